import type { Finding } from "../engine/finding.js";
import type { Sql } from "./database.js";

/** Of `keys`, those already recorded: a redelivered event is a duplicate, decided nothing twice. */
export async function recordedObservationKeys(tx: Sql, keys: string[]): Promise<Set<string>> {
  const rows = await tx.query<{ key: string }>("SELECT key FROM observations WHERE key = ANY($1::text[])", [
    keys,
  ]);
  return new Set(rows.map((row) => row.key));
}

export interface ObservationRow {
  key: string;
  findingId: string;
  eventId: string;
  detailType: string;
  /** True when the case already held a version as new or newer. */
  stale: boolean;
  receivedAt: string;
}

/** Records observations in one statement, whatever their number. */
export async function insertObservations(tx: Sql, rows: ObservationRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO observations (key, finding_id, event_id, detail_type, stale, received_at)
     SELECT key, finding_id, event_id, detail_type, stale, received_at
       FROM jsonb_to_recordset($1::jsonb) AS x(key text, finding_id text, event_id text, detail_type text,
                                              stale boolean, received_at timestamptz)`,
    [
      JSON.stringify(
        rows.map((row) => ({
          key: row.key,
          finding_id: row.findingId,
          event_id: row.eventId,
          detail_type: row.detailType,
          stale: row.stale,
          received_at: row.receivedAt,
        })),
      ),
    ],
  );
}

/** Stores the newest version of each finding (and the event it came in), in one statement. */
export async function saveFindings(
  tx: Sql,
  rows: { finding: Finding; raw: unknown; storedAt: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO findings (id, product_arn, format, updated_at, processed_at, finding, raw, stored_at)
     SELECT id, product_arn, format, updated_at, processed_at, finding, raw, stored_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, product_arn text, format text, updated_at timestamptz,
                                              processed_at timestamptz, finding jsonb, raw jsonb, stored_at timestamptz)
     ON CONFLICT (id) DO UPDATE SET product_arn = EXCLUDED.product_arn, format = EXCLUDED.format,
       updated_at = EXCLUDED.updated_at, processed_at = EXCLUDED.processed_at, finding = EXCLUDED.finding,
       raw = EXCLUDED.raw, stored_at = EXCLUDED.stored_at`,
    [
      JSON.stringify(
        rows.map(({ finding, raw, storedAt }) => ({
          id: finding.id,
          product_arn: finding.productArn,
          format: finding.format,
          updated_at: finding.updatedAt,
          processed_at: finding.processedAt,
          finding,
          raw,
          stored_at: storedAt,
        })),
      ),
    ],
  );
}

/** Whether any observation was ever recorded (a store that has seen no event yet). */
export async function hasObservations(db: Sql): Promise<boolean> {
  const rows = await db.query<{ found: boolean }>("SELECT EXISTS (SELECT 1 FROM observations) AS found");
  return rows[0]?.found === true;
}

/** How many observations are recorded. */
export async function countObservations(db: Sql): Promise<number> {
  const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM observations");
  return Number(rows[0]?.n ?? 0);
}
