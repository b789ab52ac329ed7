import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Observation, parseEnvelope } from "../../src/intake/envelope.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { type AuditContent, auditHash, insertAuditRows } from "../../src/store/audit-log.js";
import { type AuditReport, verifyAudit } from "../../src/store/audit-verify.js";
import type { Database } from "../../src/store/database.js";
import { runCli } from "../support/cli.js";
import { examplePolicy } from "../support/engine.js";
import { asffEvent, eksAsffEvent, type FindingVersion } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { startTestService, TEST_API_KEY } from "../support/service.js";
import { openTestStore, STORE_KINDS } from "../support/stores.js";

const policy = examplePolicy();
const clock = () => new Date("2026-11-21T12:00:00.000Z");

function observationOf(version: FindingVersion): Observation {
  const result = parseEnvelope(asffEvent(version));
  if (!result.ok || !result.observations[0]) throw new Error("fixture did not parse");
  return result.observations[0];
}

/** Three versions of a finding through the real write path: events seq 1..5. */
function versionsOf(id: string): Observation[] {
  return [
    observationOf({ id, updatedAt: "2026-11-20T10:00:00.000Z", severity: "HIGH" }), // opened, observed
    observationOf({ id, updatedAt: "2026-11-20T11:00:00.000Z", severity: "HIGH" }), // observed
    observationOf({ id, updatedAt: "2026-11-20T12:00:00.000Z", severity: "CRITICAL" }), // observed, severity
  ];
}

const kindsAndSeqs = (report: AuditReport) => report.problems.map((p) => [p.kind, p.seq]);

const CASES = ["case-changed", "case-forged", "case-last", "case-middle", "case-orphan", "case-rehashed"];

describe.each(STORE_KINDS)("verifyAudit: %s", (kind) => {
  let db: Database;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ db, cleanup } = await openTestStore(kind));
    const outcomes = await observeFindings(db, policy, ["case-intact", ...CASES].flatMap(versionsOf), clock);
    expect(outcomes.every((outcome) => outcome === "applied")).toBe(true);
  });
  afterAll(async () => cleanup());

  it("finds an intact log intact, whatever the page size (timestamps and jsonb round-trip)", async () => {
    for (const pageSize of [undefined, 1, 2, 5, 7]) {
      const report = await verifyAudit(db, pageSize ? { pageSize } : {});
      expect(report).toEqual({
        ok: true,
        caseId: null,
        casesChecked: 7,
        rowsChecked: 35,
        problems: [],
        problemsOmitted: 0,
      });
    }
    const one = await verifyAudit(db, { caseId: "case-intact", pageSize: 2 });
    expect(one).toMatchObject({ ok: true, caseId: "case-intact", casesChecked: 1, rowsChecked: 5 });
    expect(await verifyAudit(db, { caseId: "no-such-case" })).toMatchObject({ ok: true, casesChecked: 0 });
  });

  it("reports a changed reason or data as changed, at that seq", async () => {
    await db.query("UPDATE audit_events SET reason = 'approved by security' WHERE case_id = $1 AND seq = 2", [
      "case-changed",
    ]);
    await db.query(
      `UPDATE audit_events SET data = jsonb_set(data, '{severity}', '"LOW"') WHERE case_id = $1 AND seq = 4`,
      ["case-changed"],
    );
    const report = await verifyAudit(db, { caseId: "case-changed" });
    expect(report.ok).toBe(false);
    expect(kindsAndSeqs(report)).toEqual([
      ["changed", 2],
      ["changed", 4],
    ]);
    expect(report.problems[0]?.caseId).toBe("case-changed");
  });

  it("reports a changed row whose hash was recomputed as a broken link from the next row", async () => {
    const [row] = await db.query<Record<string, unknown>>(
      "SELECT type, actor, at, data, prev_hash FROM audit_events WHERE case_id = $1 AND seq = 2",
      ["case-rehashed"],
    );
    if (!row) throw new Error("no row");
    const content: AuditContent = {
      caseId: "case-rehashed",
      seq: 2,
      type: String(row.type),
      actor: String(row.actor),
      at: (row.at as Date).toISOString(),
      reason: "forged",
      data: row.data,
    };
    await db.query("UPDATE audit_events SET reason = 'forged', hash = $2 WHERE case_id = $1 AND seq = 2", [
      "case-rehashed",
      auditHash(row.prev_hash as string, content),
    ]);
    expect(kindsAndSeqs(await verifyAudit(db, { caseId: "case-rehashed" }))).toEqual([["broken_link", 3]]);
  });

  it("reports a deleted middle row as a gap and a broken link", async () => {
    await db.query("DELETE FROM audit_events WHERE case_id = $1 AND seq = 3", ["case-middle"]);
    const report = await verifyAudit(db, { caseId: "case-middle", pageSize: 2 });
    expect(kindsAndSeqs(report)).toEqual([
      ["gap", 4],
      ["broken_link", 4],
    ]);
    expect(report.rowsChecked).toBe(4);
  });

  it("reports a deleted last row as a head mismatch", async () => {
    await db.query("DELETE FROM audit_events WHERE case_id = $1 AND seq = 5", ["case-last"]);
    const report = await verifyAudit(db, { caseId: "case-last" });
    expect(kindsAndSeqs(report)).toEqual([["head_mismatch", 4]]);
    expect(report.problems[0]?.message).toMatch(/last event is seq 4 .* version 5/);
  });

  it("reports a forged row appended with a valid hash as a head mismatch", async () => {
    const [head] = await db.query<{ version: number; audit_head: string }>(
      "SELECT version, audit_head FROM cases WHERE id = $1",
      ["case-forged"],
    );
    if (!head) throw new Error("no case");
    const content: AuditContent = {
      caseId: "case-forged",
      seq: head.version + 1,
      type: "finding.observed",
      actor: "aws:securityhub",
      at: "2026-11-21T13:00:00.000Z",
      reason: "suppressed by security",
      data: { stale: false, version: { workflowStatus: "SUPPRESSED" } },
    };
    await insertAuditRows(db, [
      { ...content, prevHash: head.audit_head, hash: auditHash(head.audit_head, content) },
    ]);
    expect(kindsAndSeqs(await verifyAudit(db, { caseId: "case-forged" }))).toEqual([["head_mismatch", 6]]);
  });

  it("reports audit rows without a case, and a case without audit rows, as orphans", async () => {
    await db.query("DELETE FROM cases WHERE id = $1", ["case-orphan"]);
    await db.query(
      `INSERT INTO cases (id, control_id, severity, title, account_id, region, resource_id, owner_team,
         counterpart_team, status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head, state)
       SELECT 'case-ghost', control_id, severity, title, account_id, region, resource_id, owner_team,
         counterpart_team, status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head, state
         FROM cases WHERE id = 'case-intact'`,
    );
    expect(kindsAndSeqs(await verifyAudit(db, { caseId: "case-orphan" }))).toEqual([["orphan", 1]]);
    const ghost = await verifyAudit(db, { caseId: "case-ghost" });
    expect(ghost).toMatchObject({ casesChecked: 1, rowsChecked: 0 });
    expect(kindsAndSeqs(ghost)).toEqual([["orphan", null]]);
  });

  it("reports every problem of the whole log, page after page, and caps the list", async () => {
    const expected = [
      ["case-changed", "changed", 2],
      ["case-changed", "changed", 4],
      ["case-forged", "head_mismatch", 6],
      ["case-last", "head_mismatch", 4],
      ["case-middle", "gap", 4],
      ["case-middle", "broken_link", 4],
      ["case-orphan", "orphan", 1],
      ["case-rehashed", "broken_link", 3],
      ["case-ghost", "orphan", null],
    ];
    for (const pageSize of [undefined, 1, 3]) {
      const report = await verifyAudit(db, pageSize ? { pageSize } : {});
      expect(report.problems.map((p) => [p.caseId, p.kind, p.seq])).toEqual(expected);
      expect(report).toMatchObject({ ok: false, casesChecked: 8, rowsChecked: 34, problemsOmitted: 0 });
    }
    const capped = await verifyAudit(db, { maxProblems: 2 });
    expect(capped).toMatchObject({ ok: false, problemsOmitted: 7 });
    expect(capped.problems).toHaveLength(2);
  });
});

describe("shgov audit verify", () => {
  const EKS_ID =
    "arn:aws:securityhub:us-east-1:111111111111:security-control/EKS.2/finding/5b1e6c52-8a0e-4d3e-9f0e-0c2a7e3b9d41";

  it("asks the service holding PGlite, or opens it itself; exits 0 when intact, 1 with each problem", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "shgov-audit-"));
    const env = { DATA_DIR: dataDir, DATABASE_URL: "" };
    const t = await startTestService({ store: "pglite", env: { DATA_DIR: dataDir } });
    try {
      expect((await postEvent(t.url, eksAsffEvent(), { apiKey: TEST_API_KEY })).status).toBe(202);
      await eventually(async () =>
        (await t.service.db.query("SELECT id FROM cases")).length === 1 ? true : undefined,
      );
      const intact = await runCli(["audit", "verify"], env);
      expect(intact).toMatchObject({ code: 0, stdout: "OK: 1 case, 2 events verified\n", stderr: "" });

      const unauthorized = await fetch(`${t.url}/api/audit/verify`);
      expect(unauthorized.status).toBe(401);

      await t.service.db.query("UPDATE audit_events SET reason = 'accepted risk' WHERE seq = 1");
      const tampered = await runCli(["audit", "verify"], env);
      expect(tampered.code).toBe(1);
      expect(tampered.stdout).toMatch(
        new RegExp(`^changed: case ${EKS_ID.replace(/\./g, "\\.")} seq 1: content does not match its hash`),
      );
      expect(tampered.stdout).toContain("FAILED: 1 problem in 1 case, 2 events checked\n");
    } finally {
      await t.stop();
    }
    const direct = await runCli(["audit", "verify", "--json", "--case", EKS_ID], env);
    expect(direct.code).toBe(1);
    const report = JSON.parse(direct.stdout) as AuditReport;
    expect(report).toMatchObject({ ok: false, caseId: EKS_ID, casesChecked: 1, rowsChecked: 2 });
    expect(kindsAndSeqs(report)).toEqual([["changed", 1]]);

    const unknown = await runCli(["audit", "verify", "--case", "nope"], env);
    expect(unknown).toMatchObject({ code: 1, stderr: "shgov: no case or audit events for finding nope\n" });
  });

  it("--help describes the command", async () => {
    const help = await runCli(["audit", "verify", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--case <id>");
    expect(help.stdout).toContain("exits 1 when there is one");
  });
});
