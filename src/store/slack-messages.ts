import { iso, type Sql } from "./database.js";

/** A Slack message posted for a notify effect (outbox row) to one channel. */
export interface SlackMessageRow {
  outboxId: string;
  /** The channel the message was addressed to (as the renderer named it). */
  channel: string;
  /** The channel id Slack answered with: the one chat.update needs. */
  channelId: string;
  ts: string;
  caseId: string;
  topic: string;
  postedAt: string;
}

/** Records a posted message; a second record of the same (outbox row, channel) changes nothing. */
export async function recordSlackMessage(tx: Sql, message: SlackMessageRow): Promise<void> {
  await tx.query(
    `INSERT INTO slack_messages (outbox_id, channel, channel_id, ts, case_id, topic, posted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (outbox_id, channel) DO NOTHING`,
    [
      message.outboxId,
      message.channel,
      message.channelId,
      message.ts,
      message.caseId,
      message.topic,
      message.postedAt,
    ],
  );
}

function rowOf(row: Record<string, unknown>): SlackMessageRow {
  return {
    outboxId: String(row.outbox_id),
    channel: String(row.channel),
    channelId: String(row.channel_id),
    ts: String(row.ts),
    caseId: String(row.case_id),
    topic: String(row.topic),
    postedAt: iso(row.posted_at),
  };
}

/** The messages already posted for the given outbox rows. */
export async function postedSlackMessages(db: Sql, outboxIds: string[]): Promise<SlackMessageRow[]> {
  if (outboxIds.length === 0) return [];
  const rows = await db.query<Record<string, unknown>>(
    "SELECT * FROM slack_messages WHERE outbox_id = ANY($1::bigint[]) ORDER BY posted_at, outbox_id, channel",
    [outboxIds],
  );
  return rows.map(rowOf);
}

/** The messages posted about a case, oldest first (to update them later with chat.update). */
export async function listSlackMessages(
  db: Sql,
  filter: { caseId?: string; topic?: string } = {},
): Promise<SlackMessageRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of [
    ["case_id", filter.caseId],
    ["topic", filter.topic],
  ] as const) {
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM slack_messages ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY posted_at, outbox_id, channel`,
    params,
  );
  return rows.map(rowOf);
}
