import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { examplePolicy } from "../support/engine.js";
import { generateHistory, storeHistory } from "../support/report-dataset.js";
import { openTestStore } from "../support/stores.js";

/**
 * The report reads four columns of cases that saveCases keeps from the case's state; migration 5
 * fills them in for cases saved before it. Both must say the same thing.
 */
const history = generateHistory(examplePolicy(), {
  seed: 3,
  cases: 150,
  until: "2026-11-30T12:00:00.000Z",
  weeksBack: 8,
  afterUntilMs: 0,
});
const COLUMNS =
  "SELECT id, upgrade_deadline, upgrade_date_agreed, eks_version, exception_expires_at FROM cases ORDER BY id";

describe("the report's case columns", () => {
  let db: Database;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ db, cleanup } = await openTestStore("postgres"));
    await storeHistory(db, history);
  });
  afterAll(async () => cleanup?.());

  it("saveCases writes what the state says, and the migration's backfill computes the same from the state", async () => {
    const saved = await db.query<Record<string, unknown>>(COLUMNS);
    const byId = new Map(history.map((c) => [c.state.id, c.state]));
    for (const row of saved) {
      const state = byId.get(String(row.id));
      expect(row.eks_version).toBe(state?.upgrade?.eksVersion ?? null);
      expect(row.upgrade_date_agreed).toBe(state?.upgrade ? state.upgrade.agreed !== null : null);
      expect((row.upgrade_deadline as Date | null)?.toISOString() ?? null).toBe(
        state?.upgrade?.deadline ?? null,
      );
      expect((row.exception_expires_at as Date | null)?.toISOString() ?? null).toBe(
        state?.exception?.status === "approved" ? state.exception.expiresAt : null,
      );
    }
    expect(saved.filter((row) => row.upgrade_date_agreed === false).length).toBeGreaterThan(0);
    expect(saved.filter((row) => row.upgrade_date_agreed === true).length).toBeGreaterThan(0);
    expect(saved.filter((row) => row.exception_expires_at !== null).length).toBeGreaterThan(0);

    await db.query(
      "UPDATE cases SET upgrade_deadline = NULL, upgrade_date_agreed = NULL, eks_version = NULL, exception_expires_at = NULL",
    );
    const migration = MIGRATIONS.find((m) => m.version === 5)?.sql ?? "";
    const backfill = /UPDATE cases SET[\s\S]*?;/.exec(migration)?.[0];
    if (!backfill) throw new Error("migration 5 has no backfill");
    await db.query(backfill.replace(/;$/, ""));
    expect(await db.query(COLUMNS)).toEqual(saved);
  });

  it("migration 8's columns (what the digest and the report read instead of JSON paths) match the state, and its backfill computes the same", async () => {
    const columns = `SELECT id, finding_id, tracked, resource_type, first_observed_at, exception_id,
                            exception_requested_by, exception_decided_by FROM cases ORDER BY id`;
    const saved = await db.query<Record<string, unknown>>(columns);
    const byId = new Map(history.map((c) => [c.state.id, c.state]));
    for (const row of saved) {
      const state = byId.get(String(row.id));
      expect(row.finding_id).toBe(state?.findingId);
      expect(row.tracked).toBe(state?.tracked);
      expect(row.resource_type).toBe(state?.resourceType ?? null);
      expect((row.first_observed_at as Date).toISOString()).toBe(
        new Date(state?.firstObservedAt ?? "").toISOString(),
      );
      expect(row.exception_id).toBe(state?.exception?.id ?? null);
      expect(row.exception_requested_by).toBe(state?.exception?.requester.user ?? null);
      expect(row.exception_decided_by).toBe(state?.exception?.decidedBy?.user ?? null);
    }
    expect(saved.filter((row) => row.exception_decided_by !== null).length).toBeGreaterThan(0);
    expect(saved.filter((row) => row.tracked === false).length).toBeGreaterThan(0);

    await db.query(
      `UPDATE cases SET finding_id = NULL, tracked = NULL, resource_type = NULL, first_observed_at = NULL,
                        exception_id = NULL, exception_requested_by = NULL, exception_decided_by = NULL`,
    );
    const migration = MIGRATIONS.find((m) => m.version === 8)?.sql ?? "";
    const backfill = /UPDATE cases SET[\s\S]*?;/.exec(migration)?.[0];
    if (!backfill) throw new Error("migration 8 has no backfill");
    await db.query(backfill.replace(/;$/, ""));
    expect(await db.query(columns)).toEqual(saved);
  });
});
