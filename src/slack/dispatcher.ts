import type { ChatPostMessageArguments, WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import type { Actor, Case, ExceptionState } from "../engine/case.js";
import type { NotifyEffect, NotifyTopic } from "../engine/effects.js";
import type { Policy } from "../engine/policy.js";
import { RepeatedFailureLog } from "../log.js";
import { PollLoop } from "../shell/poll-loop.js";
import { loadCases } from "../store/cases.js";
import type { Database } from "../store/database.js";
import {
  claimOutbox,
  finishOutbox,
  type OutboxLane,
  type OutboxRow,
  outboxBackoffMs,
  pendingRowsBefore,
  releaseOutbox,
  retryOutbox,
} from "../store/outbox.js";
import {
  clearSlackPosts,
  exceptionEvents,
  postedSlackMessages,
  recordSlackUpdate,
  recordStartedSlackPost,
  type SlackMessageRow,
  type SlackMessageToUpdate,
  slackMessagesToUpdate,
  startSlackPost,
  type UnrecordedSlackPost,
  unrecordedSlackPosts,
} from "../store/slack-messages.js";
import {
  type EarlierPost,
  findNotificationPost,
  type NotificationMark,
  notificationMetadata,
} from "./earlier-post.js";
import { ChannelPacer, type ChannelTurn, ChannelTurns } from "./pacer.js";
import { supersededOutcome } from "./question-outcomes.js";
import { SLACK_CHANNEL } from "./team-address.js";
import type { RenderNotification, SlackMessage } from "./types.js";

const LANE: OutboxLane = { kinds: ["notify"], channel: SLACK_CHANNEL };

export interface SlackDispatcherOptions {
  db: Database;
  policy: Policy;
  client: WebClient;
  render: RenderNotification;
  logger: Logger;
  /** Timestamps written to the outbox (leases, retries). */
  now?: () => Date;
  /** Spacing of posts to one channel: Slack allows about one message per second per channel. */
  perChannelIntervalMs?: number;
  /** Rows taken per round; a page to one channel takes about pageSize × perChannelIntervalMs. */
  pageSize?: number;
  /** A taken row is offered again after this long if its dispatcher died. */
  leaseMs?: number;
  /** Attempts before a 5xx or network failure counts as permanent; unlimited by default. Rate limits never count. */
  maxAttempts?: number;
  pollMs?: number;
  /** Monotonic milliseconds and sleep for the per-channel pacing (injectable for tests). */
  clock?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A pacer shared with other senders to the same channels (the digests); one of its own by default. */
  pacer?: ChannelPacer;
}

const STILL_FAILING_AFTER = 8;

/** The logger for one notification: its lines carry the case and finding ids. */
function caseLogger(logger: Logger, effect: NotifyEffect, current: Case | null): Logger {
  // A notify effect names only the case; the finding id comes from the case (today the same id).
  return logger.child({ caseId: effect.caseId, findingId: current?.findingId ?? effect.caseId });
}

/** What a failed Slack call means for the row. */
export type SlackFailure =
  | { kind: "rate_limited"; retryAfterMs: number; message: string }
  | { kind: "retryable"; message: string }
  | { kind: "permanent"; message: string };

/** Platform errors (HTTP 200, ok: false) worth another try; every other one is the request's fault. */
const RETRYABLE_PLATFORM_ERRORS = new Set([
  "ratelimited",
  "rate_limited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

/**
 * Sorts an error of @slack/web-api: 429 (rejected by the client with Retry-After), 5xx, network
 * failures and timeouts are retried; platform errors such as channel_not_found, not_in_channel,
 * invalid_auth or account_inactive are permanent. Matched on the error codes, not classes.
 */
export function classifySlackError(error: unknown): SlackFailure {
  const coded = error as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string };
    message?: string;
  } | null;
  const message = error instanceof Error ? error.message : String(error);
  switch (coded?.code) {
    case "slack_webapi_rate_limited_error": {
      const seconds = Number.isFinite(coded.retryAfter) ? Math.max(0, coded.retryAfter ?? 1) : 1;
      return {
        kind: "rate_limited",
        retryAfterMs: seconds * 1_000,
        message: `rate limited (Retry-After ${seconds} s)`,
      };
    }
    case "slack_webapi_platform_error": {
      const slackError = coded.data?.error ?? message;
      return RETRYABLE_PLATFORM_ERRORS.has(slackError)
        ? { kind: "retryable", message: slackError }
        : { kind: "permanent", message: slackError };
    }
    case "slack_webapi_http_error":
      return { kind: "retryable", message: `HTTP ${coded.statusCode ?? "error"}` };
    case "slack_webapi_request_error":
      return { kind: "retryable", message };
    default:
      // Not from Slack's client (a bug, a renderer that threw): retrying would not help.
      return { kind: "permanent", message };
  }
}

/**
 * Closed, put back until `at`, taken over by another dispatcher (its lease was lost), or left
 * untouched because the round ended (a failure elsewhere) before its turn came.
 */
type RowOutcome = { kind: "closed" } | { kind: "retry"; at: Date } | { kind: "lost" } | { kind: "left" };

/** One taken row in a round: its messages (or why they could not be rendered) and its turns. */
interface Delivery {
  row: OutboxRow;
  effect: NotifyEffect;
  current: Case | null;
  messages: SlackMessage[] | { error: unknown };
  /** Channels it reached in earlier attempts. */
  posted: ReadonlyMap<string, SlackMessageRow>;
  /** Channels an earlier attempt started a post to and never recorded: maybe posted. */
  unrecorded: ReadonlyMap<string, UnrecordedSlackPost>;
  /** What each of its posts carries as metadata, and what a search of a channel looks for. */
  mark: NotificationMark;
  /** Channels it has still to reach in this round (neither posted nor failed for good). */
  pending: Set<string>;
  /** Its turn at each channel of `pending`, reserved in outbox id order. */
  turns: Map<string, ChannelTurn>;
}

/** Until when the later rows of a case, or with a message for a channel, are put back. */
interface Waits {
  cases: Map<string, Date>;
  channels: Map<string, Date>;
  /** The round failed: the rows not tried yet are left as they are (released next round). */
  failed: boolean;
}

/** A row not delivered (yet): the later rows of its case and of the channels it has still to reach follow it. */
function hold(waits: Waits, delivery: Delivery, at: Date): void {
  const later = (previous: Date | undefined) => (previous && previous > at ? previous : at);
  waits.cases.set(delivery.row.caseId, later(waits.cases.get(delivery.row.caseId)));
  for (const channel of delivery.pending) waits.channels.set(channel, later(waits.channels.get(channel)));
}

/**
 * Delivers the outbox's notify effects to Slack. Each row is rendered against the case as it is
 * now, into one message per channel; each message is posted with chat.postMessage and recorded in
 * slack_messages (outbox row, channel, ts) in a small transaction of its own right after the post,
 * so a row delivered again after a crash posts only to the channels it had not reached. Posts are
 * paced per channel (about one per second); a 429 blocks its channel for Retry-After and defers the
 * row as long; 5xx and network failures put the row back with backoff. Permanent Slack errors
 * (channel_not_found, not_in_channel, invalid_auth, ...) close the row `failed` with the error,
 * logged at error level: a notification that cannot be posted is not an engine input. A row is
 * closed `done` once every one of its messages is posted. No transaction is held while waiting.
 * Messages to one channel leave in outbox id order (the order the engine decided them), one at a
 * time: each message's turn at its channel is reserved before the round posts anything, a post
 * waits for the earlier turns there to be answered, and a row put back (429, 5xx, stop, an
 * earlier row of its case waiting) puts back the later rows of its case and of each channel it
 * had still to reach, in this round and in later ones (pendingRowsBefore).
 * A decision's notification (exception approved/rejected/expired, date agreed) also updates the
 * earlier messages whose buttons it made pointless (see updateEarlier).
 */
export class SlackDispatcher {
  private readonly now: () => Date;
  private readonly pacer: ChannelPacer;
  private readonly loop: PollLoop;
  private readonly stopping = new AbortController();
  /** Rows a failed round left leased to this dispatcher (id → lease token), released next round. */
  private readonly leftLeased = new Map<string, string>();

  constructor(private readonly options: SlackDispatcherOptions) {
    this.now = options.now ?? (() => new Date());
    const failures = new RepeatedFailureLog(options.logger, "Slack dispatcher round");
    this.loop = new PollLoop(() => this.runOnce(), {
      pollMs: options.pollMs ?? 1_000,
      onError: (error) => failures.failed(error),
      onRecovered: () => failures.succeeded(),
    });
    this.pacer =
      options.pacer ??
      new ChannelPacer(
        options.perChannelIntervalMs ?? 1_000,
        options.clock ?? (() => performance.now()),
        options.sleep,
      );
  }

  /** Delivers one page of due rows; returns how many rows it took. */
  async runOnce(): Promise<number> {
    if (this.loop.stopped) return 0;
    const { db } = this.options;
    if (this.leftLeased.size > 0) {
      // The rows a failed round left under this dispatcher's lease go again now, not when the
      // lease runs out: a database blip would otherwise stall their channels for the whole lease.
      const left = [...this.leftLeased].map(([id, leasedUntil]) => ({ id, leasedUntil }));
      await db.transaction((tx) => releaseOutbox(tx, left, this.now()));
      this.leftLeased.clear();
    }
    const rows = await db.transaction((tx) =>
      claimOutbox(tx, LANE, this.now(), this.options.pageSize ?? 20, this.options.leaseMs ?? 120_000),
    );
    if (rows.length === 0) return 0;
    const answered = new Set<string>();
    try {
      await this.deliverPage(rows, answered);
    } catch (error) {
      for (const row of rows) if (!answered.has(row.id)) this.leftLeased.set(row.id, row.availableAt);
      throw error;
    }
    return rows.length;
  }

  /** Delivers the rows taken; `answered` gets the id of each row closed, put back or lost. */
  private async deliverPage(rows: OutboxRow[], answered: Set<string>): Promise<void> {
    const { db } = this.options;
    // Older rows still pending but not taken (waiting for a retry, or leased by a dispatcher that
    // died) go before the rows taken now that share a case or a channel with them.
    const earlier = await pendingRowsBefore(db, LANE, rows);
    const cases = await loadCases(db, [...new Set([...rows, ...earlier].map((row) => row.caseId))]);
    const posted = byRowAndChannel(
      await postedSlackMessages(
        db,
        [...rows, ...earlier].map((row) => row.id),
      ),
    );
    const unrecorded = byRowAndChannel(
      await unrecordedSlackPosts(
        db,
        rows.map((row) => row.id),
      ),
    );
    const plan = (row: OutboxRow) =>
      this.plan(
        row,
        cases.get(row.caseId)?.state ?? null,
        posted.get(row.id) ?? new Map(),
        unrecorded.get(row.id) ?? new Map(),
      );
    const waits: Waits = { cases: new Map(), channels: new Map(), failed: false };
    for (const row of earlier) hold(waits, plan(row), new Date(row.availableAt));
    // Every message's turn at its channel is reserved now, in outbox id order (rows come sorted
    // by id), before anything is posted: a row that reaches its channels sooner than an earlier
    // row (fewer channels before it, a quicker answer) still waits for that row's post there.
    const turns = new ChannelTurns();
    const deliveries = rows.map(plan);
    for (const delivery of deliveries)
      for (const channel of delivery.pending) delivery.turns.set(channel, turns.reserve(channel));
    // The rows of one case go in order; cases run side by side, so a channel's pacing holds back
    // only the rows that have a message for that channel at a later turn.
    const byCase = new Map<string, Delivery[]>();
    for (const delivery of deliveries)
      byCase.set(delivery.row.caseId, [...(byCase.get(delivery.row.caseId) ?? []), delivery]);
    // A failure (the database gone mid-round) stops the round: no case posts again before the
    // rows already posted could be recorded, and the rows not reached stay leased until the
    // next round releases them.
    const results = await Promise.allSettled(
      [...byCase.values()].map(async (caseDeliveries) => {
        let index = 0;
        try {
          for (; index < caseDeliveries.length; index++) {
            const delivery = caseDeliveries[index] as Delivery;
            if (waits.failed) {
              hold(waits, delivery, new Date(delivery.row.availableAt));
              for (const turn of delivery.turns.values()) turn.end();
              continue;
            }
            try {
              const outcome = await this.deliver(delivery, waits);
              if (outcome.kind !== "left") answered.add(delivery.row.id);
              // Put back: the later rows of its case and of the channels it has not reached follow it.
              if (outcome.kind === "retry") hold(waits, delivery, outcome.at);
              // Another dispatcher has it, or the round ended: the later rows wait for it.
              if (outcome.kind === "lost" || outcome.kind === "left")
                hold(waits, delivery, new Date(delivery.row.availableAt));
            } catch (error) {
              // Left leased (released at the start of the next round), and the others wait for it.
              waits.failed = true;
              hold(waits, delivery, new Date(delivery.row.availableAt));
              throw error;
            } finally {
              for (const turn of delivery.turns.values()) turn.end();
            }
          }
        } finally {
          // The case's rows not delivered end their turns too: a turn left open would hold its
          // channel, and every later row of another case there, for ever.
          for (const delivery of caseDeliveries.slice(index + 1)) {
            hold(waits, delivery, new Date(delivery.row.availableAt));
            for (const turn of delivery.turns.values()) turn.end();
          }
        }
      }),
    );
    const failure = results.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
  }

  /** A row's messages rendered against the case as it is now, and the channels it has still to reach. */
  private plan(
    row: OutboxRow,
    current: Case | null,
    posted: ReadonlyMap<string, SlackMessageRow>,
    unrecorded: ReadonlyMap<string, UnrecordedSlackPost>,
  ): Delivery {
    const effect = row.payload as NotifyEffect;
    let messages: SlackMessage[] | { error: unknown };
    try {
      messages = uniqueByChannel(this.options.render(effect, current, this.options.policy));
    } catch (error) {
      messages = { error };
    }
    const pending = new Set(
      Array.isArray(messages)
        ? messages.map((message) => message.channel).filter((channel) => !posted.has(channel))
        : [],
    );
    const mark = { outboxId: row.id, caseId: effect.caseId, topic: effect.topic };
    return { row, effect, current, messages, posted, unrecorded, mark, pending, turns: new Map() };
  }

  /** Runs until no due row is left (for tests and the demo). */
  drain(): Promise<void> {
    return this.loop.drain();
  }

  start(): void {
    this.loop.start();
  }

  /** Stops taking rows; rows of the round in progress not yet posted are put back for later. */
  stop(): Promise<void> {
    return this.loop.stop(() => this.stopping.abort());
  }

  private async deliver(delivery: Delivery, waits: Waits): Promise<RowOutcome> {
    const { row, effect, current, messages, posted, unrecorded, mark, pending } = delivery;
    const caseWait = waits.cases.get(row.caseId);
    if (caseWait) {
      await this.retry(row, caseWait, "waiting for an earlier notification of the case", false);
      return { kind: "retry", at: caseWait };
    }
    const logger = caseLogger(this.options.logger, effect, current);
    if (!Array.isArray(messages)) {
      const { error } = messages;
      const message = `rendering failed: ${error instanceof Error ? error.message : String(error)}`;
      logger.error({ topic: effect.topic, err: error }, "Slack notification failed for good");
      await this.finish(row, "failed", message);
      return { kind: "closed" };
    }
    const permanent: string[] = [];
    for (const message of messages) {
      if (posted.has(message.channel)) continue;
      const turn = delivery.turns.get(message.channel);
      await turn?.ready;
      // The round failed while this row waited for its turn: nothing more is written or posted.
      if (waits.failed) return { kind: "left" };
      // An earlier row with a message for this channel was put back: this one goes after it.
      const channelWait = waits.channels.get(message.channel);
      if (channelWait) {
        await this.retry(
          row,
          channelWait,
          `waiting for an earlier notification to ${message.channel}`,
          false,
        );
        return { kind: "retry", at: channelWait };
      }
      await this.pacer.take(message.channel, this.stopping.signal);
      if (this.loop.stopped) {
        const at = this.now();
        await this.retry(row, at, "the dispatcher stopped before posting", false);
        return { kind: "retry", at };
      }
      const started = unrecorded.get(message.channel);
      if (started) {
        // An earlier attempt started this post and never recorded it: it may be in the channel.
        const found = await this.findEarlierPost(
          delivery,
          message.channel,
          new Date(started.startedAt),
          logger,
        );
        if (found.kind === "retry") return found;
        if (found.kind === "found") {
          pending.delete(message.channel);
          turn?.end();
          await this.record(delivery, message.channel, message.channel, found.ts);
          logger.info(
            { topic: effect.topic, channel: message.channel, ts: found.ts },
            "Slack already had this notification (posted before its record was written); not posted again",
          );
          continue;
        }
      }
      // Marked before posting, and only under a lease still held: a post whose answer is then
      // lost is looked for in the channel before any retry posts it again.
      const leaseUntil = new Date(this.now().getTime() + (this.options.leaseMs ?? 120_000)).toISOString();
      const held = await this.options.db.transaction((tx) =>
        startSlackPost(tx, {
          outboxId: row.id,
          channel: message.channel,
          leasedUntil: row.availableAt,
          leaseUntil,
          startedAt: this.now().toISOString(),
        }),
      );
      if (!held) {
        logger.warn(
          { topic: effect.topic, channel: message.channel },
          "another dispatcher took this notification over; left to it",
        );
        return { kind: "lost" };
      }
      row.availableAt = leaseUntil; // the lease renewed: the token later writes compare against
      let answer: { ts?: string; channel?: string };
      try {
        answer = await this.options.client.chat.postMessage(postArguments(message, mark));
      } catch (error) {
        const failure = classifySlackError(error);
        const context = { topic: effect.topic, channel: message.channel };
        if (failure.kind === "rate_limited") {
          this.pacer.block(message.channel, failure.retryAfterMs);
          const at = new Date(this.now().getTime() + failure.retryAfterMs);
          // A 429 posted nothing: the mark goes, so the retry posts without searching the channel.
          await this.retry(row, at, `${message.channel}: ${failure.message}`, false, message.channel);
          logger.warn(
            { ...context, retryAfterMs: failure.retryAfterMs },
            "Slack rate limited a post; deferred",
          );
          return { kind: "retry", at };
        }
        if (
          failure.kind === "retryable" &&
          row.attempts < (this.options.maxAttempts ?? Number.POSITIVE_INFINITY)
        ) {
          const at = new Date(this.now().getTime() + outboxBackoffMs(row.attempts));
          await this.retry(row, at, `${message.channel}: ${failure.message}`);
          (row.attempts >= STILL_FAILING_AFTER ? logger.error.bind(logger) : logger.warn.bind(logger))(
            { ...context, attempts: row.attempts, error: failure.message },
            "Slack post will be retried",
          );
          return { kind: "retry", at };
        }
        logger.error(
          { ...context, attempts: row.attempts, error: failure.message },
          "Slack post failed for good",
        );
        permanent.push(`${message.channel}: ${failure.message}`);
        pending.delete(message.channel);
        turn?.end();
        continue;
      }
      // Answered: the message is in the channel, and the next row's post to it may go.
      pending.delete(message.channel);
      turn?.end();
      // Recorded at once, in a transaction of its own: a crash from here on does not post it again.
      await this.record(delivery, message.channel, answer.channel ?? message.channel, answer.ts ?? "");
    }
    const deferred = await this.updateEarlier(row, effect, current, logger);
    if (deferred) return deferred;
    await this.finish(row, permanent.length > 0 ? "failed" : "done", permanent.join("; ") || null);
    return { kind: "closed" };
  }

  /**
   * After a decision is announced, the earlier messages whose buttons it made pointless (the
   * exception request's Approve/Reject, the proposal's Agree) are rendered again against the case
   * as it is now (the outcome, no buttons) and replaced with chat.update. Each update is recorded
   * at once (slack_messages marker), so a row delivered again skips it; a message that cannot be
   * updated for good (deleted, too old) is recorded too and not tried again. A 429, 5xx or network
   * failure defers the row like a failed post (its posts are not repeated).
   */
  private async updateEarlier(
    row: OutboxRow,
    effect: NotifyEffect,
    current: Case | null,
    logger: Logger,
  ): Promise<RowOutcome | null> {
    const topics = UPDATES_ON[effect.topic];
    if (!topics || topics.length === 0) return null;
    const { db, policy } = this.options;
    const earlier = await slackMessagesToUpdate(db, {
      caseId: effect.caseId,
      topics,
      beforeOutboxId: row.id,
    });
    for (const message of earlier) {
      if (this.loop.stopped) {
        const at = this.now();
        await this.retry(row, at, "the dispatcher stopped before updating earlier messages", false);
        return { kind: "retry", at };
      }
      const context = {
        topic: effect.topic,
        channel: message.channelId,
        ts: message.ts,
      };
      let content: SlackMessage;
      try {
        content = updatedContent(
          message,
          await this.asOfMessage(message, current),
          policy,
          this.options.render,
        );
      } catch (error) {
        logger.error({ ...context, err: error }, "rendering an earlier Slack message failed; not updated");
        await this.recordUpdate(row, message, effect.topic);
        continue;
      }
      try {
        await this.options.client.chat.update({
          channel: message.channelId,
          ts: message.ts,
          text: content.text,
          blocks: (content.blocks ?? []) as never,
        });
      } catch (error) {
        const failure = classifySlackError(error);
        if (failure.kind === "rate_limited") {
          const at = new Date(this.now().getTime() + failure.retryAfterMs);
          await this.retry(row, at, `chat.update ${message.channelId}: ${failure.message}`, false);
          logger.warn(
            { ...context, retryAfterMs: failure.retryAfterMs },
            "Slack rate limited an update; deferred",
          );
          return { kind: "retry", at };
        }
        if (
          failure.kind === "retryable" &&
          row.attempts < (this.options.maxAttempts ?? Number.POSITIVE_INFINITY)
        ) {
          const at = new Date(this.now().getTime() + outboxBackoffMs(row.attempts));
          await this.retry(row, at, `chat.update ${message.channelId}: ${failure.message}`);
          logger.warn(
            { ...context, attempts: row.attempts, error: failure.message },
            "Slack update will be retried",
          );
          return { kind: "retry", at };
        }
        logger.warn(
          { ...context, attempts: row.attempts, error: failure.message },
          "an earlier Slack message could not be updated; left as it is",
        );
      }
      await this.recordUpdate(row, message, effect.topic);
    }
    return null;
  }

  /**
   * The case to render an earlier message against: as it is now, except that an exception request's
   * message shows its own exception (from the audit log) when the case has moved on to a newer one.
   */
  private async asOfMessage(message: SlackMessageToUpdate, current: Case | null): Promise<Case | null> {
    if (!current || !message.exceptionId || current.exception?.id === message.exceptionId) return current;
    const events = await exceptionEvents(this.options.db, message.caseId, message.exceptionId);
    const requested = events.find((event) => event.type === "exception.requested");
    if (!requested) return current;
    const data = requested.data as { requester?: Actor; justification?: string; expiresAt?: string };
    const decided = events.find(
      (event) => event.type === "exception.approved" || event.type === "exception.rejected",
    );
    const expired = events.find((event) => event.type === "exception.expired");
    const exception: ExceptionState = {
      id: message.exceptionId,
      status: expired
        ? "expired"
        : decided?.type === "exception.approved"
          ? "approved"
          : decided
            ? "rejected"
            : "requested",
      requester: data.requester ?? { user: requested.actor, team: "" },
      justification: data.justification ?? "",
      expiresAt: data.expiresAt ?? requested.at,
      requestedAt: requested.at,
      decidedBy: decided ? ((decided.data.by as Actor | undefined) ?? null) : null,
      decidedAt: decided?.at ?? null,
      decisionReason: decided?.reason ?? null,
    };
    return { ...current, exception };
  }

  private async recordUpdate(row: OutboxRow, message: SlackMessageRow, topic: string): Promise<void> {
    await this.options.db.transaction((tx) =>
      recordSlackUpdate(tx, { outboxId: row.id, message, topic, updatedAt: this.now().toISOString() }),
    );
  }

  /** Records the message posted for the row to `channel`, and clears the post's mark. */
  private async record(delivery: Delivery, channel: string, channelId: string, ts: string): Promise<void> {
    const { row, effect } = delivery;
    await this.options.db.transaction((tx) =>
      recordStartedSlackPost(tx, {
        outboxId: row.id,
        channel,
        channelId,
        ts,
        caseId: effect.caseId,
        topic: effect.topic,
        postedAt: this.now().toISOString(),
      }),
    );
  }

  /**
   * Looks in the channel for the post an earlier attempt started (by its metadata). Found: its ts.
   * Absent: post it. A rate limit, 5xx or network failure puts the row back; a search that cannot
   * be made (no channels:history scope, a channel too busy to search) is said, and the message is
   * posted: a notification shown twice is better than one never shown.
   */
  private async findEarlierPost(
    delivery: Delivery,
    channel: string,
    since: Date,
    logger: Logger,
  ): Promise<{ kind: "found"; ts: string } | { kind: "absent" } | { kind: "retry"; at: Date }> {
    const { row, effect } = delivery;
    let found: EarlierPost;
    try {
      found = await findNotificationPost(this.options.client, channel, delivery.mark, since);
    } catch (error) {
      const failure = classifySlackError(error);
      if (failure.kind === "rate_limited" || failure.kind === "retryable") {
        const at = new Date(
          this.now().getTime() +
            (failure.kind === "rate_limited" ? failure.retryAfterMs : outboxBackoffMs(row.attempts)),
        );
        await this.retry(
          row,
          at,
          `conversations.history ${channel}: ${failure.message}`,
          failure.kind === "retryable",
        );
        return { kind: "retry", at };
      }
      found = { kind: "unsure", why: failure.message };
    }
    if (found.kind === "found") return found;
    if (found.kind === "unsure")
      logger.warn(
        { topic: effect.topic, channel, error: found.why },
        "could not look in Slack for an unrecorded earlier post of this notification; posting it, so it may show twice",
      );
    return { kind: "absent" };
  }

  private async finish(row: OutboxRow, status: "done" | "failed", error: string | null): Promise<void> {
    await this.options.db.transaction(async (tx) => {
      await finishOutbox(tx, [row.id], status, this.now(), error);
      await clearSlackPosts(tx, [row.id]);
    });
  }

  /**
   * Puts the row back until `at`, if its lease is still held; `attempted`: false when it only
   * waited; `notPosted`: a channel Slack certainly did not post to, whose mark is cleared.
   */
  private async retry(
    row: OutboxRow,
    at: Date,
    error: string,
    attempted = true,
    notPosted?: string,
  ): Promise<void> {
    await this.options.db.transaction(async (tx) => {
      await retryOutbox(tx, row.id, at, error, { attempted, leasedUntil: row.availableAt });
      if (notPosted) await clearSlackPosts(tx, [row.id], notPosted);
    });
  }
}

/** The earlier messages (by topic) whose buttons a decision of each topic makes pointless. */
export const UPDATES_ON: Partial<Record<NotifyTopic, NotifyTopic[]>> = {
  "exception.approved": ["exception.requested"],
  "exception.rejected": ["exception.requested"],
  "exception.expired": ["exception.requested"],
  "date.agreed": ["date.proposed"],
};

/**
 * The new content of an earlier message: its notification rendered again against the case as it
 * is now, for the channel it went to; the outcome alone when that notification is gone.
 */
function updatedContent(
  message: SlackMessageToUpdate,
  current: Case | null,
  policy: Policy,
  render: RenderNotification,
): SlackMessage {
  const original = message.effect as NotifyEffect | null;
  if (original?.kind === "notify") {
    const rendered = render(original, current, policy).find((m) => m.channel === message.channel);
    if (rendered) return rendered;
  }
  const text =
    supersededOutcome(message.topic as NotifyTopic, current) ?? "This notification has been answered.";
  return { channel: message.channel, text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

/** Posts (recorded or only started) by outbox row, then by channel: both tables are keyed so. */
function byRowAndChannel<T extends { outboxId: string; channel: string }>(
  posts: T[],
): Map<string, Map<string, T>> {
  const rows = new Map<string, Map<string, T>>();
  for (const post of posts) {
    const channels = rows.get(post.outboxId) ?? new Map<string, T>();
    channels.set(post.channel, post);
    rows.set(post.outboxId, channels);
  }
  return rows;
}

/** One message per channel and notification: slack_messages is keyed so. */
function uniqueByChannel(messages: SlackMessage[]): SlackMessage[] {
  const seen = new Set<string>();
  return messages.filter((message) => {
    if (seen.has(message.channel)) return false;
    seen.add(message.channel);
    return true;
  });
}

function postArguments(message: SlackMessage, mark: NotificationMark): ChatPostMessageArguments {
  return {
    channel: message.channel,
    text: message.text,
    ...(message.blocks ? { blocks: message.blocks } : {}),
    metadata: notificationMetadata(mark),
    unfurl_links: false,
    unfurl_media: false,
  } as ChatPostMessageArguments;
}
