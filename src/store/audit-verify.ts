import { auditHash } from "./audit-log.js";
import { resolveCaseId } from "./cases.js";
import { iso, type Sql } from "./database.js";

/**
 * - `changed`: a row's content no longer matches its own hash.
 * - `broken_link`: a row's prev_hash is not the hash of the row before it (a row inserted or deleted).
 * - `gap`: the seq numbers of a case do not run 1, 2, 3… (a row deleted).
 * - `head_mismatch`: the last row is not the one the case records (`cases.version`, `cases.audit_head`):
 *   a row deleted or appended at the end.
 * - `orphan`: audit rows of a case that does not exist, or a case without audit rows.
 */
export type AuditProblemKind = "changed" | "broken_link" | "gap" | "head_mismatch" | "orphan";

export interface AuditProblem {
  kind: AuditProblemKind;
  caseId: string;
  /** The row concerned; null for a case that has no audit rows at all. */
  seq: number | null;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  /** The case verified, or null for all of them. */
  caseId: string | null;
  /** Distinct case ids seen, in the audit log or in the cases table. */
  casesChecked: number;
  rowsChecked: number;
  /** As found (chain problems by case id and seq, then cases without events); at most `maxProblems`. */
  problems: AuditProblem[];
  /** Problems found beyond `maxProblems`, counted but not listed. */
  problemsOmitted: number;
}

export interface VerifyAuditOptions {
  /**
   * Verify one case only: SHG-42, 42 or the finding id. An id no case answers to is taken as a
   * finding id, so the audit rows of a case row that is gone are still checked (as orphans).
   */
  caseId?: string | undefined;
  /** Rows read per query (keyset pagination). */
  pageSize?: number;
  /** Problems listed in the report; the rest are only counted. */
  maxProblems?: number;
}

interface AuditEventRecord {
  case_id: string;
  seq: number;
  type: string;
  actor: string;
  at: unknown;
  reason: string | null;
  data: unknown;
  prev_hash: string | null;
  hash: string;
  case_exists: boolean;
  version: number | null;
  audit_head: string | null;
}

/** The walk through one case's rows. */
interface CaseWalk {
  caseId: string;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  rows: number;
  /** From the cases row, read in the same statement as the case's last row seen. */
  exists: boolean;
  version: number | null;
  auditHead: string | null;
}

const short = (hash: string | null) => (hash === null ? "null" : hash.slice(0, 12));

/**
 * Walks the audit log case by case in (case_id, seq) order, a page at a time, recomputing every
 * hash and checking every link, and checks each case's last row against the case's version and
 * audit head. Memory stays constant whatever the size of the log.
 *
 * Each page is one statement that also reads the case rows it needs, so a case's rows and its
 * head come from one snapshot even while the service keeps writing (a writer updates both in one
 * transaction). Nothing holds a transaction open, so a long verification does not block writers.
 */
export async function verifyAudit(db: Sql, options: VerifyAuditOptions = {}): Promise<AuditReport> {
  const pageSize = options.pageSize ?? 5_000;
  const maxProblems = options.maxProblems ?? 1_000;
  const caseId =
    options.caseId === undefined ? null : ((await resolveCaseId(db, options.caseId)) ?? options.caseId);
  const problems: AuditProblem[] = [];
  let problemsOmitted = 0;
  let casesChecked = 0;
  let rowsChecked = 0;

  const report = (kind: AuditProblemKind, id: string, seq: number | null, message: string) => {
    if (problems.length < maxProblems) problems.push({ kind, caseId: id, seq, message });
    else problemsOmitted++;
  };

  const finishCase = (walk: CaseWalk) => {
    casesChecked++;
    if (!walk.exists) {
      report(
        "orphan",
        walk.caseId,
        walk.firstSeq,
        `${walk.rows} audit event${walk.rows === 1 ? "" : "s"} (seq ${walk.firstSeq}..${walk.lastSeq}) but no case`,
      );
      return;
    }
    if (walk.lastSeq !== walk.version || walk.lastHash !== walk.auditHead) {
      report(
        "head_mismatch",
        walk.caseId,
        walk.lastSeq,
        `last event is seq ${walk.lastSeq} (hash ${short(walk.lastHash)}) but the case records ` +
          `version ${walk.version} (audit head ${short(walk.auditHead)})`,
      );
    }
  };

  let walk: CaseWalk | null = null;
  let cursor: { caseId: string; seq: number } | null = null;
  for (;;) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (caseId !== null) {
      params.push(caseId);
      where.push(`a.case_id = $${params.length}::text`);
    }
    // The bound on c.id too: without it PostgreSQL merges with the cases index from its start on
    // every page, and the walk slows down quadratically.
    let join = "c.id = a.case_id";
    if (cursor) {
      params.push(cursor.caseId, cursor.seq);
      where.push(`(a.case_id, a.seq) > ($${params.length - 1}::text, $${params.length}::integer)`);
      join += ` AND c.id >= $${params.length - 1}::text`;
    }
    params.push(pageSize);
    const rows: AuditEventRecord[] = await db.query<AuditEventRecord>(
      `SELECT a.case_id, a.seq, a.type, a.actor, a.at, a.reason, a.data, a.prev_hash, a.hash,
              c.id IS NOT NULL AS case_exists, c.version, c.audit_head
         FROM audit_events a LEFT JOIN cases c ON ${join}
        ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY a.case_id, a.seq
        LIMIT $${params.length}::integer`,
      params,
    );

    for (const row of rows) {
      const seq = Number(row.seq);
      const prevHash = row.prev_hash ?? null;
      if (walk && walk.caseId !== row.case_id) {
        finishCase(walk);
        walk = null;
      }
      const expectedSeq: number = walk ? walk.lastSeq + 1 : 1;
      const expectedPrev: string | null = walk ? walk.lastHash : null;
      if (seq !== expectedSeq) {
        report(
          "gap",
          row.case_id,
          seq,
          walk
            ? `seq ${seq} follows seq ${walk.lastSeq}: ${seq - expectedSeq} event${seq - expectedSeq === 1 ? "" : "s"} missing`
            : `the first event is seq ${seq}, not 1`,
        );
      }
      if (prevHash !== expectedPrev) {
        report(
          "broken_link",
          row.case_id,
          seq,
          `prev_hash ${short(prevHash)} is not the hash of the ${walk ? `previous event (seq ${walk.lastSeq}, ${short(expectedPrev)})` : "start of the chain (null)"}`,
        );
      }
      const recomputed = auditHash(prevHash, {
        caseId: row.case_id,
        seq,
        type: row.type,
        actor: row.actor,
        at: iso(row.at),
        reason: row.reason ?? null,
        data: row.data,
      });
      if (recomputed !== row.hash) {
        report(
          "changed",
          row.case_id,
          seq,
          `content does not match its hash: stored ${short(row.hash)}, recomputed ${short(recomputed)}`,
        );
      }
      rowsChecked++;
      walk ??= {
        caseId: row.case_id,
        firstSeq: seq,
        lastSeq: seq,
        lastHash: row.hash,
        rows: 0,
        exists: false,
        version: null,
        auditHead: null,
      };
      walk.lastSeq = seq;
      walk.lastHash = row.hash;
      walk.rows++;
      walk.exists = Boolean(row.case_exists);
      walk.version = row.version === null ? null : Number(row.version);
      walk.auditHead = row.audit_head ?? null;
    }
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) break;
    cursor = { caseId: last.case_id, seq: Number(last.seq) };
  }
  if (walk) finishCase(walk);

  // Cases without a single audit row: every case starts with `case.opened`, so none should exist.
  let after: string | null = null;
  for (;;) {
    const params: unknown[] = [];
    const where: string[] = [];
    if (caseId !== null) {
      params.push(caseId);
      where.push(`c.id = $${params.length}::text`);
    }
    if (after !== null) {
      params.push(after);
      where.push(`c.id > $${params.length}::text`);
    }
    params.push(pageSize);
    const rows: { id: string; version: number }[] = await db.query<{ id: string; version: number }>(
      `SELECT c.id, c.version FROM cases c
        WHERE ${[...where, "NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.case_id = c.id)"].join(" AND ")}
        ORDER BY c.id
        LIMIT $${params.length}::integer`,
      params,
    );
    for (const row of rows) {
      casesChecked++;
      report("orphan", row.id, null, `the case records version ${row.version} but has no audit events`);
    }
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) break;
    after = last.id;
  }

  return {
    ok: problems.length === 0 && problemsOmitted === 0,
    caseId,
    casesChecked,
    rowsChecked,
    problems,
    problemsOmitted,
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The verdict as people read it: `OK: 3 cases, 12 events verified`, or each problem and FAILED. */
export function auditReportText(report: AuditReport): string {
  const counts = `${plural(report.casesChecked, "case")}, ${plural(report.rowsChecked, "event")}`;
  if (report.ok) return `OK: ${counts} verified`;
  const lines = report.problems.map(
    (problem) => `${problem.kind}: case ${problem.caseId} seq ${problem.seq ?? "-"}: ${problem.message}`,
  );
  if (report.problemsOmitted > 0) lines.push(`... and ${report.problemsOmitted} more`);
  const total = report.problems.length + report.problemsOmitted;
  lines.push(`FAILED: ${plural(total, "problem")} in ${counts} checked`);
  return lines.join("\n");
}
