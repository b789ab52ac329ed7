import { createHash } from "node:crypto";
import type { CaseEvent } from "../engine/case.js";
import { canonicalJson } from "../lib/canonical-json.js";
import type { Sql } from "./database.js";

/** What an audit row says; its hash covers exactly this. */
export interface AuditContent {
  caseId: string;
  seq: number;
  type: string;
  actor: string;
  at: string;
  reason: string | null;
  data: unknown;
}

export interface AuditRow extends AuditContent {
  prevHash: string | null;
  hash: string;
}

/** The hash of one audit row: its content chained to the previous row of the same case. */
export function auditHash(prevHash: string | null, row: AuditContent): string {
  return createHash("sha256")
    .update(`${prevHash ?? ""}\n${canonicalJson(row)}`)
    .digest("hex");
}

/** Turns a case's new events into chained audit rows, starting at `firstSeq` after `prevHash`. */
export function auditRows(
  caseId: string,
  firstSeq: number,
  prevHash: string | null,
  events: CaseEvent[],
): AuditRow[] {
  const rows: AuditRow[] = [];
  let head = prevHash;
  events.forEach((event, index) => {
    const { type, actor, at, reason, ...data } = event;
    const seq = firstSeq + index;
    const hash = auditHash(head, { caseId, seq, type, actor, at, reason, data });
    rows.push({ caseId, seq, type, actor, at, reason, data, prevHash: head, hash });
    head = hash;
  });
  return rows;
}

/** Appends rows to the audit log in one statement (append-only: never updated or deleted). */
export async function insertAuditRows(tx: Sql, rows: AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO audit_events (case_id, seq, type, actor, at, reason, data, prev_hash, hash)
     SELECT case_id, seq, type, actor, at, reason, data, prev_hash, hash
       FROM jsonb_to_recordset($1::jsonb) AS x(case_id text, seq integer, type text, actor text, at timestamptz,
                                              reason text, data jsonb, prev_hash text, hash text)`,
    [
      JSON.stringify(
        rows.map((row) => ({
          case_id: row.caseId,
          seq: row.seq,
          type: row.type,
          actor: row.actor,
          at: row.at,
          reason: row.reason,
          data: row.data,
          prev_hash: row.prevHash,
          hash: row.hash,
        })),
      ),
    ],
  );
}
