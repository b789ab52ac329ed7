import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCase } from "../../src/store/cases.js";
import type { Database } from "../../src/store/database.js";
import { asffEvent } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import {
  deleteQueueKeys,
  SHARED_REDIS_URL,
  startTestService,
  TEST_API_KEY,
  type TestService,
  uniquePrefix,
} from "../support/service.js";

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ store: "postgres" });
});
afterAll(async () => t.stop());

const post = (body: unknown) => postEvent(t.url, body, { apiKey: TEST_API_KEY });

async function observedCount(findingId: string, db: Database = t.service.db): Promise<number> {
  const rows = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1 AND type = 'finding.observed'",
    [findingId],
  );
  return rows[0]?.n ?? 0;
}

describe("redelivery and reordering through the HTTP intake", () => {
  it("the same event delivered five times (EventBridge retries) ends in one case and one observation", async () => {
    const id = "arn:test:redelivered";
    const event = asffEvent({ id }, "aaaaaaaa-0000-0000-0000-000000000001");
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(event)));
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    // Every delivery is a job of its own: the store, not the queue, keeps one.
    expect(new Set(responses.map((r) => JSON.stringify(r.body.jobIds))).size).toBe(5);
    await eventually(async () => ((await observedCount(id)) === 1 ? true : undefined));
    await post(event); // once more after it was processed
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await observedCount(id)).toBe(1);
    const cases = await t.service.db.query("SELECT id FROM cases WHERE id = $1", [id]);
    expect(cases).toHaveLength(1);
  });

  it("versions of one finding arriving newest first end with the newest state, every version audited once", async () => {
    const id = "arn:test:reordered";
    const versions = [
      asffEvent(
        { id, updatedAt: "2026-11-20T10:00:00.000Z", workflowStatus: "NEW", severity: "MEDIUM" },
        "e1",
      ),
      asffEvent(
        { id, updatedAt: "2026-11-20T11:00:00.000Z", workflowStatus: "NOTIFIED", severity: "HIGH" },
        "e2",
      ),
      asffEvent(
        {
          id,
          updatedAt: "2026-11-20T11:00:00.000Z",
          processedAt: "2026-11-20T11:30:00.000Z",
          workflowStatus: "SUPPRESSED",
          severity: "HIGH",
        },
        "e3",
      ),
    ];
    // Newest first, then the rest in reverse, each redelivered once.
    for (const event of [versions[2], versions[1], versions[0], versions[1], versions[2]]) {
      expect((await post(event)).status).toBe(202);
    }
    await eventually(
      async () => ((await observedCount(id)) === 3 ? true : undefined),
      20_000,
      "three observations",
    );
    const detail = await getCase(t.service.db, id);
    expect(detail?.case.latest.workflowStatus).toBe("SUPPRESSED");
    expect(detail?.case.severity).toBe("HIGH");
    expect(detail?.case.slaDueAt).toBe("2026-12-01T00:00:00.000Z"); // HIGH: 30 days from first observation
    const observations = detail?.events.filter((e) => e.type === "finding.observed") ?? [];
    expect(observations.map((e) => e.data.stale)).toEqual([false, true, true]);
  });
});

describe("deduplication is the store's, never the queue's history", () => {
  it("a store restored to before an event (a new, empty database on the same Redis and prefix) stores it when EventBridge sends it again", async () => {
    const prefix = uniquePrefix();
    const id = "arn:test:restored";
    const event = asffEvent({ id }, "cccccccc-0000-0000-0000-000000000001");
    try {
      const before = await startTestService({ store: "postgres", queuePrefix: prefix });
      try {
        expect((await postEvent(before.url, event, { apiKey: TEST_API_KEY })).status).toBe(202);
        await eventually(
          async () => ((await observedCount(id, before.service.db)) === 1 ? true : undefined),
          20_000,
          "the event applied to the first store",
        );
      } finally {
        await before.stop(); // drops its database; the queue's keys stay, as a restore leaves them
      }
      const restored = await startTestService({ store: "postgres", queuePrefix: prefix });
      try {
        const again = await postEvent(restored.url, event, { apiKey: TEST_API_KEY });
        expect(again.status).toBe(202);
        await eventually(
          async () => ((await observedCount(id, restored.service.db)) === 1 ? true : undefined),
          20_000,
          "the event applied to the restored store",
        );
        await postEvent(restored.url, event, { apiKey: TEST_API_KEY }); // and once more: still one
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await observedCount(id, restored.service.db)).toBe(1);
        const cases = await restored.service.db.query("SELECT id FROM cases WHERE id = $1", [id]);
        expect(cases).toHaveLength(1);
      } finally {
        await restored.stop();
      }
    } finally {
      await deleteQueueKeys(SHARED_REDIS_URL, prefix);
    }
  });
});
