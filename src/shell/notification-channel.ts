import type { Logger } from "pino";
import type { Case } from "../engine/case.js";
import type { NotifyEffect } from "../engine/effects.js";
import type { Policy, Team, TeamAddress } from "../engine/policy.js";
import { RepeatedFailureLog } from "../log.js";
import { loadCases } from "../store/cases.js";
import type { Database } from "../store/database.js";
import { claimOutbox, finishOutbox, type OutboxRow, outboxBackoffMs, retryOutbox } from "../store/outbox.js";
import { PollLoop } from "./poll-loop.js";

/** One notification as a channel delivers it. */
export interface NotificationDelivery {
  effect: NotifyEffect;
  /** The case as it is now (null when it no longer exists): a message can show its current state. */
  case: Case | null;
  /** The effect's teams this channel reaches, each with its address on the channel. */
  to: { team: Team; address: TeamAddress }[];
}

/**
 * The port a notification channel implements: its name is the key teams are reached by in the
 * policy (`reach.<name>`) and the outbox lane it delivers. deliver() resolves once the channel has
 * the notification and throws to have it tried again later. Slack has a dispatcher of its own
 * (pacing, message updates, no duplicate posts: src/slack/dispatcher.ts) on the same lane contract.
 */
export interface NotificationChannel {
  readonly name: string;
  deliver(delivery: NotificationDelivery): Promise<void>;
}

export interface ChannelDispatcherOptions {
  db: Database;
  policy: Policy;
  channel: NotificationChannel;
  logger: Logger;
  now?: () => Date;
  pageSize?: number;
  /** A taken row is offered again after this long if its dispatcher died. */
  leaseMs?: number;
  /** Attempts before a delivery is given up (failed, logged as an error). */
  maxAttempts?: number;
  pollMs?: number;
}

/**
 * Delivers one channel's notify rows of the outbox through a NotificationChannel: at least once,
 * a failed delivery retried with the outbox's backoff, a row closed only after its delivery.
 */
export class ChannelDispatcher {
  private readonly now: () => Date;
  private readonly loop: PollLoop;
  private readonly log: Logger;

  constructor(private readonly options: ChannelDispatcherOptions) {
    this.now = options.now ?? (() => new Date());
    this.log = options.logger.child({ component: "notifications", channel: options.channel.name });
    const failures = new RepeatedFailureLog(this.log, `${options.channel.name} dispatcher round`);
    this.loop = new PollLoop(() => this.runOnce(), {
      pollMs: options.pollMs ?? 1_000,
      onError: (error) => failures.failed(error),
      onRecovered: () => failures.succeeded(),
    });
  }

  /** Delivers one page of due rows; returns how many rows it took. */
  async runOnce(): Promise<number> {
    const { db, channel } = this.options;
    const lane = { kinds: ["notify" as const], channel: channel.name };
    const rows = await db.transaction((tx) =>
      claimOutbox(tx, lane, this.now(), this.options.pageSize ?? 50, this.options.leaseMs ?? 120_000),
    );
    if (rows.length === 0) return 0;
    const cases = await loadCases(db, [...new Set(rows.map((row) => row.caseId))]);
    for (const row of rows) await this.deliver(row, cases.get(row.caseId)?.state ?? null);
    return rows.length;
  }

  private async deliver(row: OutboxRow, current: Case | null): Promise<void> {
    const { db, policy, channel } = this.options;
    const effect = row.payload as NotifyEffect;
    const to = [...new Set(effect.teams)].flatMap((name) => {
      const team = policy.teams[name];
      const address = team?.reach[channel.name];
      return team && address ? [{ team, address }] : [];
    });
    try {
      if (to.length > 0) await channel.deliver({ effect, case: current, to });
      await db.transaction((tx) => finishOutbox(tx, [row.id], "done", this.now()));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const context = { outboxId: row.id, caseId: row.caseId, attempts: row.attempts, err: error };
      if (row.attempts >= (this.options.maxAttempts ?? 10)) {
        this.log.error(context, "notification given up");
        await db.transaction((tx) => finishOutbox(tx, [row.id], "failed", this.now(), message));
        return;
      }
      this.log.warn(context, "notification failed; it is tried again");
      const at = new Date(this.now().getTime() + outboxBackoffMs(row.attempts));
      await db.transaction((tx) => retryOutbox(tx, row.id, at, message, { leasedUntil: row.availableAt }));
    }
  }

  /** Runs until no due row is left (for tests). */
  drain(): Promise<void> {
    return this.loop.drain();
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
