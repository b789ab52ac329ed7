import type { Effect } from "../engine/effects.js";
import { iso, isoOrNull, type Sql } from "./database.js";

/**
 * pending: to deliver; done: delivered; failed: given up (recorded on the case); dry_run: logged,
 * not sent; superseded: a newer update of the same finding replaced it before it was sent.
 */
export type OutboxStatus = "pending" | "done" | "failed" | "dry_run" | "superseded";

export interface OutboxRow {
  id: string;
  key: string;
  caseId: string;
  kind: Effect["kind"];
  /** The notification channel a notify row is delivered on (`slack`); null for other effects. */
  channel: string | null;
  payload: Effect;
  status: OutboxStatus;
  attempts: number;
  availableAt: string;
  createdAt: string;
  doneAt: string | null;
  lastError: string | null;
}

export interface NewOutboxRow {
  key: string;
  effect: Effect;
  channel: string | null;
  /** The case version whose decision made the effect (null for rows made outside a decision). */
  caseVersion: number | null;
  at: string;
}

export async function insertOutbox(tx: Sql, rows: NewOutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO outbox (key, case_id, kind, channel, case_version, payload, status, available_at, created_at)
     SELECT key, case_id, kind, channel, case_version, payload, 'pending', at, at
       FROM jsonb_to_recordset($1::jsonb)
         AS x(key text, case_id text, kind text, channel text, case_version integer, payload jsonb,
              at timestamptz)
     ON CONFLICT (key) DO NOTHING`,
    [
      JSON.stringify(
        rows.map((row) => ({
          key: row.key,
          case_id: row.effect.caseId,
          kind: row.effect.kind,
          channel: row.channel,
          case_version: row.caseVersion,
          payload: row.effect,
          at: row.at,
        })),
      ),
    ],
  );
}

function rowOf(row: Record<string, unknown>): OutboxRow {
  return {
    id: String(row.id),
    key: String(row.key),
    caseId: String(row.case_id),
    kind: row.kind as Effect["kind"],
    channel: (row.channel as string | null) ?? null,
    payload: row.payload as Effect,
    status: row.status as OutboxStatus,
    attempts: Number(row.attempts),
    availableAt: iso(row.available_at),
    createdAt: iso(row.created_at),
    doneAt: isoOrNull(row.done_at),
    lastError: (row.last_error as string | null) ?? null,
  };
}

/**
 * The rows one dispatcher delivers: outbox kinds, and for notifications the channel it delivers on.
 */
export interface OutboxLane {
  kinds: Effect["kind"][];
  channel?: string;
}

/**
 * Takes up to `limit` pending rows of the lane that are due, and leases them: they become
 * available again after `leaseMs`, so rows taken by a dispatcher that died are delivered later.
 * A row's available_at is also its lease's token: whoever takes it over sets a new one, so a
 * dispatcher can tell (compare-and-set on the value it set) whether it still holds the row.
 */
export async function claimOutbox(
  tx: Sql,
  lane: OutboxLane,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<OutboxRow[]> {
  const rows = await tx.query<Record<string, unknown>>(
    `UPDATE outbox SET available_at = $3::timestamptz + ($4::integer * interval '1 millisecond'),
            attempts = attempts + 1
      WHERE id IN (SELECT id FROM outbox
                    WHERE status = 'pending' AND kind = ANY($1::text[]) AND available_at <= $3::timestamptz
                      AND ($5::text IS NULL OR channel = $5::text)
                    ORDER BY available_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [lane.kinds, limit, now.toISOString(), leaseMs, lane.channel ?? null],
  );
  return rows.map(rowOf).sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * The pending rows of `kinds` older than the newest of `taken` that were not taken themselves: put
 * back for a retry that is not due yet, or still leased by a dispatcher that died. A dispatcher
 * keeps them ahead of the rows it took that share a case or a channel with them.
 */
export async function pendingRowsBefore(db: Sql, lane: OutboxLane, taken: OutboxRow[]): Promise<OutboxRow[]> {
  const ids = taken.map((row) => row.id).sort((a, b) => Number(a) - Number(b));
  if (ids.length === 0) return [];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM outbox
      WHERE status = 'pending' AND kind = ANY($1::text[]) AND id < $2::bigint AND NOT (id = ANY($3::bigint[]))
        AND ($4::text IS NULL OR channel = $4::text)
      ORDER BY id`,
    [lane.kinds, ids.at(-1), ids, lane.channel ?? null],
  );
  return rows.map(rowOf);
}

/** 2 s, 4 s, 8 s ... capped at 30 minutes: the wait before a failed row's next attempt. */
export function outboxBackoffMs(attempts: number): number {
  return Math.min(1_000 * 2 ** Math.max(1, attempts), 30 * 60_000);
}

/** Closes rows that are still pending; returns the ids it closed (a row closed meanwhile is left alone). */
export async function finishOutbox(
  tx: Sql,
  ids: string[],
  status: Exclude<OutboxStatus, "pending">,
  now: Date,
  error: string | null = null,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx.query<{ id: string }>(
    `UPDATE outbox SET status = $2, done_at = $3, last_error = COALESCE($4, last_error)
      WHERE id = ANY($1::bigint[]) AND status = 'pending' RETURNING id`,
    [ids, status, now.toISOString(), error],
  );
  return rows.map((row) => String(row.id));
}

/**
 * Puts a row back for a later attempt. Taking a row counts an attempt (claimOutbox); a row put back
 * without being tried (held behind an earlier row, rate limited, the dispatcher stopping) gives it
 * back with `attempted: false`, so its backoff does not grow while it only waits.
 */
export async function retryOutbox(
  tx: Sql,
  id: string,
  at: Date,
  error: string,
  options: { attempted?: boolean; leasedUntil?: string } = {},
): Promise<void> {
  // With `leasedUntil`, only while the caller still holds the row's lease (see claimOutbox).
  await tx.query(
    `UPDATE outbox SET available_at = $2, last_error = $3,
            attempts = CASE WHEN $4::boolean THEN attempts ELSE GREATEST(attempts - 1, 0) END
      WHERE id = $1 AND ($5::timestamptz IS NULL OR available_at = $5::timestamptz)`,
    [id, at.toISOString(), error, options.attempted ?? true, options.leasedUntil ?? null],
  );
}

/** Extends the lease of a pending row still under `leasedUntil` to `leaseUntil`; false when it is not. */
export async function renewOutboxLease(
  tx: Sql,
  id: string,
  leasedUntil: string,
  leaseUntil: string,
): Promise<boolean> {
  const renewed = await tx.query(
    `UPDATE outbox SET available_at = $3::timestamptz
      WHERE id = $1::bigint AND status = 'pending' AND available_at = $2::timestamptz RETURNING id`,
    [id, leasedUntil, leaseUntil],
  );
  return renewed.length > 0;
}

/**
 * Gives back rows a dispatcher took and could not deliver (its round failed): due again at `now`,
 * the take not counted as an attempt. Only rows still under the lease given (see claimOutbox).
 */
export async function releaseOutbox(
  tx: Sql,
  rows: { id: string; leasedUntil: string }[],
  now: Date,
): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `UPDATE outbox o SET available_at = $2::timestamptz, attempts = GREATEST(o.attempts - 1, 0)
       FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, leased_until timestamptz)
      WHERE o.id = x.id AND o.status = 'pending' AND o.available_at = x.leased_until`,
    [JSON.stringify(rows.map((row) => ({ id: row.id, leased_until: row.leasedUntil }))), now.toISOString()],
  );
}

export async function listOutbox(
  db: Sql,
  filter: {
    id?: string;
    caseId?: string;
    kind?: Effect["kind"];
    channel?: string;
    status?: OutboxStatus;
  } = {},
): Promise<OutboxRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of [
    ["id", filter.id],
    ["case_id", filter.caseId],
    ["kind", filter.kind],
    ["channel", filter.channel],
    ["status", filter.status],
  ] as const) {
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id`,
    params,
  );
  return rows.map(rowOf);
}

/**
 * Only the newest workflow update of a case may reach Security Hub: an older one still pending
 * (retrying, or leased by a dispatcher that died) would overwrite it. Older pending updates of a
 * case that has a newer update row, whatever that row's state, are closed as superseded.
 */
export async function supersedeOlderUpdates(tx: Sql, now: Date): Promise<void> {
  await tx.query(
    `UPDATE outbox AS older SET status = 'superseded', done_at = $1
      WHERE older.kind = 'securityhub.update' AND older.status = 'pending'
        AND EXISTS (SELECT 1 FROM outbox AS newer
                     WHERE newer.case_id = older.case_id AND newer.kind = 'securityhub.update'
                       AND newer.id > older.id)`,
    [now.toISOString()],
  );
}
