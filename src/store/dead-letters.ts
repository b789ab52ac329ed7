import type { FieldError } from "../lib/zod-errors.js";
import type { Sql } from "./database.js";

export interface DeadLetterInput {
  source: string;
  reason: string;
  errors: FieldError[];
  contentType: string | null;
  body: string;
  bodyBytes: number;
  truncated: boolean;
  receivedAt: Date;
}

/** Keeps a rejected payload with the reason, so a bad event can be inspected and replayed. */
export async function insertDeadLetter(db: Sql, letter: DeadLetterInput): Promise<number> {
  const rows = await db.query<{ id: string | number }>(
    `INSERT INTO dead_letters (received_at, source, reason, errors, content_type, body, body_bytes, truncated)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8) RETURNING id`,
    [
      letter.receivedAt.toISOString(),
      letter.source,
      letter.reason,
      JSON.stringify(letter.errors),
      letter.contentType,
      letter.body,
      letter.bodyBytes,
      letter.truncated,
    ],
  );
  return Number(rows[0]?.id);
}

export interface DeadLetter {
  id: number;
  receivedAt: string;
  source: string;
  reason: string;
  errors: FieldError[];
  contentType: string | null;
  body: string;
  truncated: boolean;
}

export async function listDeadLetters(db: Sql, limit = 100): Promise<DeadLetter[]> {
  const rows = await db.query<Record<string, unknown>>(
    "SELECT * FROM dead_letters ORDER BY id DESC LIMIT $1",
    [limit],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    receivedAt: new Date(row.received_at as string).toISOString(),
    source: String(row.source),
    reason: String(row.reason),
    errors: row.errors as FieldError[],
    contentType: (row.content_type as string | null) ?? null,
    body: String(row.body),
    truncated: Boolean(row.truncated),
  }));
}
