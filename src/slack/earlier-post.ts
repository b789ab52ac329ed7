import { createHash } from "node:crypto";
import type { WebClient } from "@slack/web-api";

/**
 * Every notification the dispatcher posts carries Slack message metadata naming its outbox row, so
 * a post whose answer was never recorded (the database went away between the post and its record,
 * the process died) can be found in the channel instead of being posted twice.
 */
export const NOTIFICATION_EVENT_TYPE = "shgov_notification";

export interface NotificationMark {
  outboxId: string;
  caseId: string;
  topic: string;
}

/**
 * The metadata of a post (chat.postMessage's `metadata`). The case is named by a digest of its id:
 * a finding id is text from outside, up to 512 characters, and metadata is visible to any app.
 */
export function notificationMetadata(mark: NotificationMark) {
  return {
    event_type: NOTIFICATION_EVENT_TYPE,
    event_payload: { outbox_id: mark.outboxId, case_digest: caseDigest(mark.caseId), topic: mark.topic },
  };
}

function caseDigest(caseId: string): string {
  return createHash("sha256").update(caseId).digest("hex").slice(0, 16);
}

/** How far before the mark's time the search starts: the service's clock and Slack's may differ. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Messages read per page, and pages at most: a channel this busy since the mark is searched no further. */
const PAGE_SIZE = 200;
const MAX_PAGES = 10;

interface HistoryMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

export type EarlierPost =
  | { kind: "found"; ts: string }
  | { kind: "absent" }
  /** The channel had more messages since the mark than are searched. */
  | { kind: "unsure"; why: string };

/**
 * The message posted for `mark` in `channel` since `since`, if Slack has it. Reads
 * conversations.history with the messages' metadata (channels:history, groups:history for private
 * channels), newest first. Errors are the caller's to classify.
 */
export async function findNotificationPost(
  client: WebClient,
  channel: string,
  mark: NotificationMark,
  since: Date,
): Promise<EarlierPost> {
  const oldest = ((since.getTime() - CLOCK_SKEW_MS) / 1_000).toFixed(6);
  const wanted = notificationMetadata(mark).event_payload;
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await client.conversations.history({
      channel,
      oldest,
      limit: PAGE_SIZE,
      include_all_metadata: true,
      ...(cursor ? { cursor } : {}),
    });
    for (const message of (answer.messages ?? []) as HistoryMessage[]) {
      const payload = message.metadata?.event_payload;
      if (
        message.ts &&
        message.metadata?.event_type === NOTIFICATION_EVENT_TYPE &&
        payload?.outbox_id === wanted.outbox_id &&
        payload.case_digest === wanted.case_digest &&
        payload.topic === wanted.topic
      )
        return { kind: "found", ts: message.ts };
    }
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!answer.has_more || !cursor) return { kind: "absent" };
  }
  return { kind: "unsure", why: `more than ${PAGE_SIZE * MAX_PAGES} messages since the post was started` };
}
