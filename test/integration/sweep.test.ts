import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Observation, parseEnvelope } from "../../src/intake/envelope.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { sweepDueCases } from "../../src/shell/sweep.js";
import type { Database } from "../../src/store/database.js";
import { examplePolicy } from "../support/engine.js";
import { asffEvent } from "../support/events.js";
import { openTestStore, STORE_KINDS } from "../support/stores.js";

const policy = examplePolicy();
const opened = () => new Date("2026-11-10T00:00:00.000Z");

function observation(id: string): Observation {
  // HIGH, first observed 2026-11-01: the 50% step is due 2026-11-16.
  const parsed = parseEnvelope(asffEvent({ id, controlId: "S3.1", severity: "HIGH" }, `sweep-${id}`));
  if (!parsed.ok || !parsed.observations[0]) throw new Error("fixture did not parse");
  return parsed.observations[0];
}

describe.each(STORE_KINDS)("the timer sweep on %s", (kind) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ db, cleanup } = await openTestStore(kind));
  });
  afterAll(async () => cleanup());

  it("fires every due case once across pages, and a second sweep finds nothing", async () => {
    const ids = Array.from({ length: 1_200 }, (_, index) => `arn:test:sweep:${index}`);
    await observeFindings(db, policy, ids.map(observation), opened);
    const at = new Date("2026-11-17T00:00:00.000Z");
    expect(await sweepDueCases(db, policy, at, { pageSize: 500 })).toEqual({
      due: 1_200,
      fired: 1_200,
      events: 1_200,
      effects: 1_200,
      failed: 0,
    });
    expect((await sweepDueCases(db, policy, at, { pageSize: 500 })).due).toBe(0);
    const escalated = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE type = 'escalated'",
    );
    expect(escalated[0]?.n).toBe(1_200);
  });

  it("a stale due time (the policy changed) is recomputed without firing anything", async () => {
    const id = "arn:test:sweep:stale";
    await observeFindings(db, policy, [observation(id)], opened);
    const at = new Date("2026-11-17T00:00:00.000Z");
    await sweepDueCases(db, policy, at);
    // Pretend an older policy had a step due now that this one does not have.
    await db.query("UPDATE cases SET next_due_at = $2 WHERE id = $1", [id, "2026-11-16T12:00:00.000Z"]);
    const result = await sweepDueCases(db, policy, at);
    expect(result).toMatchObject({ due: 1, fired: 0, events: 0 });
    const rows = await db.query<{ next_due_at: Date }>("SELECT next_due_at FROM cases WHERE id = $1", [id]);
    expect(rows[0]?.next_due_at.toISOString()).toBe("2026-11-23T12:00:00.000Z"); // the 75% step
    expect((await sweepDueCases(db, policy, at)).due).toBe(0);
  });
});

describe("the timer sweep and a broken case", () => {
  it("one case that cannot be written does not hold back the others; it is reported and retried next time", async () => {
    const { db, cleanup } = await openTestStore("pglite");
    try {
      const ids = ["arn:test:broken:a", "arn:test:broken:b", "arn:test:broken:c"];
      await observeFindings(db, policy, ids.map(observation), opened);
      // A state the store cannot take back (its version is not a number).
      await db.query(`UPDATE cases SET state = jsonb_set(state, '{version}', '"x"') WHERE id = $1`, [ids[1]]);
      const failures: string[] = [];
      const result = await sweepDueCases(db, policy, new Date("2026-11-17T00:00:00.000Z"), {
        onCaseError: (id) => failures.push(id),
      });
      expect(result).toMatchObject({ due: 3, fired: 2, failed: 1 });
      expect(failures).toEqual([ids[1]]);
      const due = await db.query<{ id: string }>("SELECT id FROM cases WHERE next_due_at <= $1", [
        "2026-11-17T00:00:00.000Z",
      ]);
      expect(due.map((row) => row.id)).toEqual([ids[1]]);
    } finally {
      await cleanup();
    }
  });
});
