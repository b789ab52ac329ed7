import type { CallerIdentity } from "../engine/inputs.js";
import type { ApiCall } from "../intake/api-call.js";
import type { Sql } from "./database.js";

/** Keeps a call for one of its findings; the same CloudTrail event delivered again is kept once. */
export async function insertApiCall(
  tx: Sql,
  call: ApiCall,
  findingId: string,
  receivedAt: Date,
): Promise<void> {
  await tx.query(
    `INSERT INTO api_calls (event_id, finding_id, event_name, at, workflow_status, note, caller, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) ON CONFLICT DO NOTHING`,
    [
      call.eventId,
      findingId,
      call.eventName,
      call.at,
      call.workflowStatus,
      call.note,
      JSON.stringify(call.caller),
      receivedAt.toISOString(),
    ],
  );
}

export interface SuppressingCall {
  at: string;
  note: string | null;
  caller: CallerIdentity;
}

/** The latest call that set the finding SUPPRESSED at or after `since` (any time when null). */
export async function latestSuppressingCall(
  tx: Sql,
  findingId: string,
  since: string | null,
): Promise<SuppressingCall | null> {
  const [row] = await tx.query<{ at: Date | string; note: string | null; caller: CallerIdentity | string }>(
    `SELECT at, note, caller FROM api_calls
      WHERE finding_id = $1 AND workflow_status = 'SUPPRESSED' AND ($2::timestamptz IS NULL OR at >= $2::timestamptz)
      ORDER BY at DESC LIMIT 1`,
    [findingId, since],
  );
  if (!row) return null;
  return {
    at: new Date(row.at).toISOString(),
    note: row.note,
    caller: typeof row.caller === "string" ? (JSON.parse(row.caller) as CallerIdentity) : row.caller,
  };
}
