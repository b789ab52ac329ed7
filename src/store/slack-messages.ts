import { iso, type Sql } from "./database.js";
import { renewOutboxLease } from "./outbox.js";

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

/**
 * An update of an earlier message (chat.update) is recorded in the same table, under the outbox row
 * of the notification that caused it, with `channel` = "update:{channel_id}:{ts}" of the message
 * updated: a message is updated once, by the first decision delivered after it, and a row delivered
 * again does not update it again. These marker rows are not messages: the readers below skip them.
 */
export const UPDATE_MARKER_PREFIX = "update:";

function updateMarker(channelId: string, ts: string): string {
  return `${UPDATE_MARKER_PREFIX}${channelId}:${ts}`;
}

const NOT_MARKER = `channel NOT LIKE '${UPDATE_MARKER_PREFIX}%'`;

/** Records that `message` was updated (or given up on) for the notification of outbox row `outboxId`. */
export async function recordSlackUpdate(
  tx: Sql,
  update: { outboxId: string; message: SlackMessageRow; topic: string; updatedAt: string },
): Promise<void> {
  await recordSlackMessage(tx, {
    outboxId: update.outboxId,
    channel: updateMarker(update.message.channelId, update.message.ts),
    channelId: update.message.channelId,
    ts: update.message.ts,
    caseId: update.message.caseId,
    topic: update.topic,
    postedAt: update.updatedAt,
  });
}

/** A posted message still to update, with the notification (outbox payload) it was posted for. */
export interface SlackMessageToUpdate extends SlackMessageRow {
  /** The notify effect of the message's outbox row; null if the row is gone. */
  effect: unknown;
  /**
   * For an exception request's message, the exception it asked about: the latest exception.requested
   * event of the case up to the version whose decision wrote the outbox row. Null for other topics
   * or when unknown.
   */
  exceptionId: string | null;
}

/**
 * The messages of `caseId` with one of `topics`, posted for outbox rows older than `beforeOutboxId`,
 * that no decision has updated yet; oldest first.
 */
export async function slackMessagesToUpdate(
  db: Sql,
  filter: { caseId: string; topics: string[]; beforeOutboxId: string },
): Promise<SlackMessageToUpdate[]> {
  if (filter.topics.length === 0) return [];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT m.*, o.payload AS effect,
            (SELECT e.data->>'exceptionId' FROM audit_events e
              WHERE e.case_id = m.case_id AND e.type = 'exception.requested' AND m.topic = 'exception.requested'
                AND e.seq <= o.case_version
              ORDER BY e.seq DESC LIMIT 1) AS exception_id
       FROM slack_messages m LEFT JOIN outbox o ON o.id = m.outbox_id
      WHERE m.case_id = $1 AND m.topic = ANY($2::text[]) AND m.outbox_id < $3::bigint
        AND m.channel NOT LIKE '${UPDATE_MARKER_PREFIX}%'
        AND NOT EXISTS (
          SELECT 1 FROM slack_messages u
           WHERE u.case_id = m.case_id AND u.channel = '${UPDATE_MARKER_PREFIX}' || m.channel_id || ':' || m.ts)
      ORDER BY m.posted_at, m.outbox_id, m.channel`,
    [filter.caseId, filter.topics, filter.beforeOutboxId],
  );
  return rows.map((row) => ({
    ...rowOf(row),
    effect: row.effect ?? null,
    exceptionId: typeof row.exception_id === "string" ? row.exception_id : null,
  }));
}

/** The audit events of one exception of a case (requested, decided, expired), in order. */
export async function exceptionEvents(
  db: Sql,
  caseId: string,
  exceptionId: string,
): Promise<
  { type: string; actor: string; at: string; reason: string | null; data: Record<string, unknown> }[]
> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT type, actor, at, reason, data FROM audit_events
      WHERE case_id = $1 AND type LIKE 'exception.%' AND data->>'exceptionId' = $2 ORDER BY seq`,
    [caseId, exceptionId],
  );
  return rows.map((row) => ({
    type: String(row.type),
    actor: String(row.actor),
    at: iso(row.at),
    reason: (row.reason as string | null) ?? null,
    data: (row.data ?? {}) as Record<string, unknown>,
  }));
}

/** The updates recorded (markers), for a case: which messages were updated by which outbox row. */
export async function listSlackUpdates(db: Sql, caseId: string): Promise<SlackMessageRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM slack_messages WHERE case_id = $1 AND channel LIKE '${UPDATE_MARKER_PREFIX}%'
      ORDER BY posted_at, outbox_id, channel`,
    [caseId],
  );
  return rows.map(rowOf);
}

/** The messages already posted for the given outbox rows. */
export async function postedSlackMessages(db: Sql, outboxIds: string[]): Promise<SlackMessageRow[]> {
  if (outboxIds.length === 0) return [];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM slack_messages WHERE outbox_id = ANY($1::bigint[]) AND ${NOT_MARKER}
      ORDER BY posted_at, outbox_id, channel`,
    [outboxIds],
  );
  return rows.map(rowOf);
}

/** The messages posted about a case, oldest first (to update them later with chat.update). */
export async function listSlackMessages(
  db: Sql,
  filter: { caseId?: string; topic?: string } = {},
): Promise<SlackMessageRow[]> {
  const where: string[] = [NOT_MARKER];
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
    `SELECT * FROM slack_messages WHERE ${where.join(" AND ")}
      ORDER BY posted_at, outbox_id, channel`,
    params,
  );
  return rows.map(rowOf);
}

/** A post that was about to be made and was never recorded: it may or may not be in the channel. */
export interface UnrecordedSlackPost {
  outboxId: string;
  channel: string;
  startedAt: string;
}

/**
 * Marks a post to `channel` for the outbox row as about to be made, and renews the row's lease to
 * `leaseUntil`, if the row is still pending under the lease this dispatcher holds (`leasedUntil`:
 * its available_at as this dispatcher last set it; a dispatcher that took the row over since has
 * moved it). A mark already there keeps its first time, where a search of the channel for an
 * unrecorded post starts. Returns false when the lease is no longer held: the row is someone
 * else's now and must not be posted.
 */
export async function startSlackPost(
  tx: Sql,
  post: { outboxId: string; channel: string; leasedUntil: string; leaseUntil: string; startedAt: string },
): Promise<boolean> {
  if (!(await renewOutboxLease(tx, post.outboxId, post.leasedUntil, post.leaseUntil))) return false;
  await tx.query(
    `INSERT INTO slack_posts_started (outbox_id, channel, started_at) VALUES ($1, $2, $3)
     ON CONFLICT (outbox_id, channel) DO NOTHING`,
    [post.outboxId, post.channel, post.startedAt],
  );
  return true;
}

/** Records a posted message and clears its mark, in one transaction: the post is known for good. */
export async function recordStartedSlackPost(tx: Sql, message: SlackMessageRow): Promise<void> {
  await recordSlackMessage(tx, message);
  await clearSlackPosts(tx, [message.outboxId], message.channel);
}

/** Clears the marks of the given rows (of one channel, or all): the rows are closed or recorded. */
export async function clearSlackPosts(tx: Sql, outboxIds: string[], channel?: string): Promise<void> {
  if (outboxIds.length === 0) return;
  await tx.query(
    `DELETE FROM slack_posts_started WHERE outbox_id = ANY($1::bigint[]) AND ($2::text IS NULL OR channel = $2)`,
    [outboxIds, channel ?? null],
  );
}

/** The marked posts of the given rows that were never recorded: each may already be in its channel. */
export async function unrecordedSlackPosts(db: Sql, outboxIds: string[]): Promise<UnrecordedSlackPost[]> {
  if (outboxIds.length === 0) return [];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT s.outbox_id, s.channel, s.started_at FROM slack_posts_started s
      WHERE s.outbox_id = ANY($1::bigint[])
        AND NOT EXISTS (SELECT 1 FROM slack_messages m WHERE m.outbox_id = s.outbox_id AND m.channel = s.channel)
      ORDER BY s.outbox_id, s.channel`,
    [outboxIds],
  );
  return rows.map((row) => ({
    outboxId: String(row.outbox_id),
    channel: String(row.channel),
    startedAt: iso(row.started_at),
  }));
}
