import { createHash } from "node:crypto";
import type { CaseEvent } from "../engine/case.js";
import { canonicalJson } from "../intake/canonical-json.js";
import type { Sql } from "./database.js";

/** The hash of one audit row: its content chained to the previous row of the same case. */
export function auditHash(
  prevHash: string | null,
  row: {
    caseId: string;
    seq: number;
    type: string;
    actor: string;
    at: string;
    reason: string | null;
    data: unknown;
  },
): string {
  return createHash("sha256")
    .update(`${prevHash ?? ""}\n${canonicalJson(row)}`)
    .digest("hex");
}

/**
 * Appends events to a case's audit log (inside the caller's transaction) and returns the new
 * head hash. `firstSeq` is the case version before the events plus one.
 */
export async function appendAuditEvents(
  tx: Sql,
  caseId: string,
  firstSeq: number,
  prevHash: string | null,
  events: CaseEvent[],
): Promise<string | null> {
  if (events.length === 0) return prevHash;
  const values: unknown[] = [];
  const tuples: string[] = [];
  let head = prevHash;
  events.forEach((event, index) => {
    const { type, actor, at, reason, ...data } = event;
    const seq = firstSeq + index;
    const hash = auditHash(head, { caseId, seq, type, actor, at, reason, data });
    const base = values.length;
    values.push(caseId, seq, type, actor, at, reason, JSON.stringify(data), head, hash);
    tuples.push(
      `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}::jsonb, $${base + 8}, $${base + 9})`,
    );
    head = hash;
  });
  await tx.query(
    `INSERT INTO audit_events (case_id, seq, type, actor, at, reason, data, prev_hash, hash) VALUES ${tuples.join(", ")}`,
    values,
  );
  return head;
}
