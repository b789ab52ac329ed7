import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asffEvent } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import {
  deleteQueueKeys,
  SHARED_REDIS_URL,
  startTestService,
  TEST_API_KEY,
  type TestService,
  uniquePrefix,
} from "../support/service.js";
import { exited, spawnWorker } from "../support/worker-process.js";

const EVENTS = 1_500;
const CONCURRENCY = 32;

let database: TestDatabase;
let intake: TestService;
const prefix = uniquePrefix();

beforeAll(async () => {
  database = await createTestDatabase();
  // The intake runs here; the worker runs as a child process so it can be killed with SIGKILL.
  intake = await startTestService({
    databaseUrl: database.url,
    queuePrefix: prefix,
    roles: { http: true, worker: false },
  });
});
afterAll(async () => {
  await intake.stop();
  await deleteQueueKeys(SHARED_REDIS_URL, prefix);
  await database.drop();
});

async function count(sql: string): Promise<number> {
  const rows = await intake.service.db.query<{ n: number }>(sql);
  return rows[0]?.n ?? 0;
}

describe("worker killed with SIGKILL during a burst", () => {
  it("every event that got 202 ends in exactly one case and one observed audit event", async () => {
    const workerEnv = {
      DATABASE_URL: database.url,
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      WORKFLOWS_DIR: intake.env.WORKFLOWS_DIR,
      // Short locks so the jobs the dead worker held are taken up again within seconds.
      WORKER_LOCK_DURATION_MS: "3000",
    };
    let worker = spawnWorker(workerEnv);

    let next = 0;
    const accepted: string[] = [];
    const poster = async () => {
      while (next < EVENTS) {
        const index = next++;
        const id = `arn:test:crash:${index}`;
        const response = await postEvent(intake.url, asffEvent({ id }, `crash-${index}`), {
          apiKey: TEST_API_KEY,
        });
        if (response.status === 202) accepted.push(id);
      }
    };
    const burst = Promise.all(Array.from({ length: CONCURRENCY }, poster));

    // Kill the worker while it is busy: some findings committed, many not yet.
    const atKill = await eventually(
      async () => {
        const n = await count("SELECT count(*)::int AS n FROM observations");
        return n >= 200 ? n : undefined;
      },
      60_000,
      "the worker to apply 200 findings",
    );
    worker.kill("SIGKILL");
    await exited(worker);
    expect(atKill).toBeLessThan(EVENTS);

    worker = spawnWorker(workerEnv);
    try {
      await burst;
      expect(accepted).toHaveLength(EVENTS);
      await eventually(
        async () => {
          const n = await count("SELECT count(*)::int AS n FROM observations");
          return n === EVENTS ? n : undefined;
        },
        90_000,
        `all ${EVENTS} observations`,
      );

      expect(await count("SELECT count(*)::int AS n FROM cases WHERE id LIKE 'arn:test:crash:%'")).toBe(
        EVENTS,
      );
      expect(await count("SELECT count(*)::int AS n FROM audit_events WHERE type = 'finding.observed'")).toBe(
        EVENTS,
      );
      expect(
        await count(
          "SELECT count(*)::int AS n FROM (SELECT case_id FROM audit_events WHERE type = 'finding.observed' GROUP BY case_id HAVING count(*) > 1) d",
        ),
      ).toBe(0);
      const ids = await intake.service.db.query<{ id: string }>("SELECT id FROM cases");
      expect(new Set(ids.map((r) => r.id))).toEqual(new Set(accepted));
    } finally {
      worker.kill("SIGTERM");
      await exited(worker);
    }
  });
});
