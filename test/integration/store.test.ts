import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Observation, parseEnvelope } from "../../src/intake/envelope.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { auditHash } from "../../src/store/audit-log.js";
import { getCase, listCases } from "../../src/store/cases.js";
import type { Database } from "../../src/store/database.js";
import { insertDeadLetter, listDeadLetters } from "../../src/store/dead-letters.js";
import { MIGRATIONS, migrate } from "../../src/store/migrations.js";
import { examplePolicy } from "../support/engine.js";
import { asffEvent, eksAsffEvent, type FindingVersion } from "../support/events.js";
import { openTestStore, STORE_KINDS } from "../support/stores.js";

const policy = examplePolicy();
const clock = () => new Date("2026-11-21T12:00:00.000Z");

function observationOf(version: FindingVersion, eventId?: string): Observation {
  const result = parseEnvelope(asffEvent(version, eventId));
  if (!result.ok || !result.observations[0]) throw new Error("fixture did not parse");
  return result.observations[0];
}

// The same suite against both implementations: they share SQL and migrations, and must agree.
describe.each(STORE_KINDS)("store conformance: %s", (kind) => {
  let db: Database;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ db, cleanup } = await openTestStore(kind));
  });
  afterAll(async () => cleanup());

  it("migrates once: a second run applies nothing", async () => {
    expect(await migrate(db)).toEqual([]);
    const rows = await db.query<{ version: number }>("SELECT version FROM schema_migrations");
    expect(rows.map((r) => r.version).sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("applies a finding: the finding, its case with owner and SLA, and the audit events in one go", async () => {
    const result = parseEnvelope(eksAsffEvent());
    if (!result.ok) throw new Error("fixture");
    const [outcome] = await observeFindings(db, policy, result.observations, clock);
    expect(outcome).toBe("applied");
    const id = result.observations[0]?.finding.id ?? "";
    const detail = await getCase(db, id);
    expect(detail?.case).toMatchObject({
      owner: "platform",
      counterpart: "security",
      controlId: "EKS.2",
      status: "awaiting_date", // EKS.2 waits for an agreed upgrade date
    });
    expect(detail?.case.slaDueAt).toBe("2026-10-01T10:15:00.000Z");
    expect(detail?.events.map((e) => [e.seq, e.type])).toEqual([
      [1, "case.opened"],
      [2, "finding.observed"],
    ]);
    const stored = await db.query<{ id: string }>("SELECT id FROM findings WHERE id = $1", [id]);
    expect(stored).toHaveLength(1);
  });

  it("ignores a redelivered observation, and applies the duplicate inside one batch once", async () => {
    const observation = observationOf({ id: "finding-redelivered" });
    expect(await observeFindings(db, policy, [observation, observation], clock)).toEqual([
      "applied",
      "duplicate",
    ]);
    expect(await observeFindings(db, policy, [observation], clock)).toEqual(["duplicate"]);
    const detail = await getCase(db, "finding-redelivered");
    expect(detail?.events.filter((e) => e.type === "finding.observed")).toHaveLength(1);
  });

  it("keeps the newest version when versions arrive out of order", async () => {
    const id = "finding-reordered";
    const v1 = observationOf({ id, updatedAt: "2026-11-20T10:00:00.000Z", workflowStatus: "NEW" });
    const v2 = observationOf({ id, updatedAt: "2026-11-20T11:00:00.000Z", workflowStatus: "NOTIFIED" });
    const v3 = observationOf({
      id,
      updatedAt: "2026-11-20T11:00:00.000Z",
      processedAt: "2026-11-20T12:00:00.000Z",
      workflowStatus: "SUPPRESSED",
    });
    expect(await observeFindings(db, policy, [v3], clock)).toEqual(["applied"]);
    expect(await observeFindings(db, policy, [v1, v2], clock)).toEqual(["stale", "stale"]);
    const detail = await getCase(db, id);
    expect(detail?.case.latest.workflowStatus).toBe("SUPPRESSED");
    const rows = await db.query<{ finding: { workflowStatus: string } }>(
      "SELECT finding FROM findings WHERE id = $1",
      [id],
    );
    expect(rows[0]?.finding.workflowStatus).toBe("SUPPRESSED");
    const observed = detail?.events.filter((e) => e.type === "finding.observed") ?? [];
    expect(observed.map((e) => e.data.stale)).toEqual([false, true, true]);
  });

  it("isolates a failing observation of a batch: the others are applied", async () => {
    const good = observationOf({ id: "finding-good" });
    const bad = { ...observationOf({ id: "finding-bad" }) };
    bad.finding = { ...bad.finding, firstObservedAt: "not a date" };
    const outcomes = await observeFindings(db, policy, [good, bad], clock);
    expect(outcomes[0]).toBe("applied");
    expect(outcomes[1]).toBeInstanceOf(Error);
    expect(await getCase(db, "finding-good")).not.toBeNull();
    expect(await getCase(db, "finding-bad")).toBeNull();
  });

  it("chains each case's audit events by hash", async () => {
    const detail = await getCase(db, "finding-reordered");
    const rows = await db.query<Record<string, unknown>>(
      "SELECT case_id, seq, type, actor, at, reason, data, prev_hash, hash FROM audit_events WHERE case_id = $1 ORDER BY seq",
      ["finding-reordered"],
    );
    let prev: string | null = null;
    for (const row of rows) {
      expect(row.prev_hash ?? null).toBe(prev);
      const expected = auditHash(prev, {
        caseId: String(row.case_id),
        seq: Number(row.seq),
        type: String(row.type),
        actor: String(row.actor),
        at: new Date(row.at as string).toISOString(),
        reason: (row.reason as string | null) ?? null,
        data: row.data,
      });
      expect(row.hash).toBe(expected);
      prev = String(row.hash);
    }
    expect(rows).toHaveLength(detail?.events.length ?? -1);
  });

  it("lists cases by SLA due date, filtered by owner and status", async () => {
    const all = await listCases(db);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const dues = all.map((c) => c.slaDueAt).filter((d): d is string => d !== null);
    expect([...dues].sort()).toEqual(dues);
    expect((await listCases(db, { owner: "platform" })).map((c) => c.controlId)).toEqual(["EKS.2"]);
    expect(await listCases(db, { status: "resolved" })).toEqual([]);
  });

  it("keeps dead letters with their reason and body", async () => {
    const id = await insertDeadLetter(db, {
      source: "eventbridge",
      reason: "invalid_json",
      errors: [{ field: "(body)", message: "Unexpected token" }],
      contentType: "application/json",
      body: "{not json",
      bodyBytes: 9,
      truncated: false,
      receivedAt: new Date("2026-11-21T00:00:00Z"),
    });
    const [letter] = await listDeadLetters(db, 1);
    expect(letter).toMatchObject({ id, reason: "invalid_json", body: "{not json", truncated: false });
  });
});
