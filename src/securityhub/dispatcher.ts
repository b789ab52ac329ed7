import type { SecurityHubClient } from "@aws-sdk/client-securityhub";
import type { Logger } from "pino";
import type { FindSuppressorEffect, WorkflowUpdateEffect } from "../engine/effects.js";
import { NOTE_IDENTITY } from "../engine/inputs.js";
import type { Policy } from "../engine/policy.js";
import { RepeatedFailureLog } from "../log.js";
import { applyDispatcherResult, type DispatcherResult } from "../shell/apply-result.js";
import { PollLoop } from "../shell/poll-loop.js";
import { suppressorFromCloudTrail } from "../shell/record-api-calls.js";
import { latestSuppressingCall } from "../store/api-calls.js";
import type { Database } from "../store/database.js";
import {
  claimOutbox,
  finishOutbox,
  type OutboxLane,
  type OutboxRow,
  outboxBackoffMs,
  retryOutbox,
  supersedeOlderUpdates,
} from "../store/outbox.js";
import { classifyError, type SecurityHubCall, sendWorkflowUpdates } from "./batch-update.js";
import { findSuppressor } from "./history.js";
import { createRateLimiter, type RateLimiter } from "./rate-limiter.js";

export const NOTE_AUTHOR = "securityhub-governor";
const LANE: OutboxLane = { kinds: ["securityhub.update", "securityhub.find_suppressor"] };

export interface SecurityHubDispatcherOptions {
  db: Database;
  policy: Policy;
  /** Null in dry-run mode: nothing is sent. */
  client: SecurityHubClient | null;
  logger: Logger;
  now?: () => Date;
  limiter?: RateLimiter;
  /** Rows taken per round. */
  pageSize?: number;
  /** A taken row is offered again after this long if its dispatcher died. */
  leaseMs?: number;
  /**
   * Attempts before a retryable failure (throttling, outage, expired credentials) counts as
   * permanent. Unlimited by default: giving up would let a blocked suppression stand, so the
   * dispatcher keeps trying every 30 minutes and logs an error from the 8th attempt on.
   */
  maxAttempts?: number;
  /** Attempts of a GetFindingHistory lookup before the teams are told with the identity unknown. */
  lookupMaxAttempts?: number;
  pollMs?: number;
  /** Sees each Security Hub call made (or, in dry-run mode, that would be made). */
  onCall?: (call: SecurityHubCall | { operation: "GetFindingHistory"; input: unknown }) => void;
}

const STILL_FAILING_AFTER = 8;
/** About eight and a half minutes of retries (2 s doubling). */
const LOOKUP_MAX_ATTEMPTS = 8;

/**
 * Delivers the Security Hub effects of the outbox: workflow updates in batches (BatchUpdateFindings,
 * or V2 for OCSF findings) and the GetFindingHistory lookups that name who suppressed a finding.
 * A row is closed only after the call succeeded, so a crash repeats a call rather than losing it
 * (the update sets a status and a note: repeating it changes nothing). Permanent failures and the
 * lookups' answers go back to the engine, in the transaction that closes the row.
 */
export class SecurityHubDispatcher {
  private readonly now: () => Date;
  private readonly limiter: RateLimiter;
  private readonly loop: PollLoop;

  constructor(private readonly options: SecurityHubDispatcherOptions) {
    this.now = options.now ?? (() => new Date());
    const failures = new RepeatedFailureLog(options.logger, "Security Hub dispatcher round");
    this.loop = new PollLoop(() => this.runOnce(), {
      pollMs: options.pollMs ?? 1_000,
      onError: (error) => failures.failed(error),
      onRecovered: () => failures.succeeded(),
    });
    this.limiter = options.limiter ?? createRateLimiter({ ratePerSecond: 10, burst: 10 });
  }

  get dryRun(): boolean {
    return this.options.client === null;
  }

  /** Delivers one page of due rows; returns how many rows it took. */
  async runOnce(): Promise<number> {
    const { db } = this.options;
    const rows = await db.transaction(async (tx) => {
      await supersedeOlderUpdates(tx, this.now());
      return claimOutbox(tx, LANE, this.now(), this.options.pageSize ?? 500, this.options.leaseMs ?? 120_000);
    });
    if (rows.length === 0) return 0;
    const updates = rows.filter((row) => row.kind === "securityhub.update");
    const lookups = rows.filter((row) => row.kind === "securityhub.find_suppressor");
    await this.deliverUpdates(updates);
    for (const row of lookups) await this.deliverLookup(row);
    return rows.length;
  }

  /** Runs until no due row is left (for tests and the demo). */
  drain(): Promise<void> {
    return this.loop.drain();
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async deliverUpdates(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    const { db, logger } = this.options;
    const effects = new Map(rows.map((row) => [row.id, row.payload as WorkflowUpdateEffect]));
    const updates = rows.map((row) => {
      const effect = row.payload as WorkflowUpdateEffect;
      return {
        id: row.id,
        findingId: effect.findingId,
        productArn: effect.productArn,
        format: effect.format,
        accountId: effect.accountId,
        workflowStatus: effect.workflowStatus,
        note: effect.note,
      };
    });
    const client = this.options.client;
    if (!client) {
      for (const update of updates) {
        const call = {
          operation: update.format === "ocsf" ? "BatchUpdateFindingsV2" : "BatchUpdateFindings",
          input: update,
        } as const;
        logger.info(
          { caseId: effects.get(update.id)?.caseId, findingId: update.findingId, ...call },
          "dry run: would call Security Hub",
        );
        this.options.onCall?.(call);
      }
      await db.transaction((tx) => finishOutbox(tx, [...effects.keys()], "dry_run", this.now()));
      return;
    }
    const outcomes = await sendWorkflowUpdates(client, updates, {
      limiter: this.limiter,
      noteAuthor: NOTE_AUTHOR,
      ...(this.options.onCall ? { onCall: this.options.onCall } : {}),
    });
    const done = outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.id);
    await db.transaction((tx) => finishOutbox(tx, done, "done", this.now()));
    const attempts = new Map(rows.map((row) => [row.id, row.attempts]));
    for (const outcome of outcomes) {
      if (outcome.ok) continue;
      const tries = attempts.get(outcome.id) ?? 1;
      const effect = effects.get(outcome.id);
      if (!effect) continue;
      const log = logger.child({ caseId: effect.caseId, findingId: effect.findingId });
      if (outcome.retryable && tries < (this.options.maxAttempts ?? Number.POSITIVE_INFINITY)) {
        const at = new Date(this.now().getTime() + outboxBackoffMs(tries));
        await db.transaction((tx) => retryOutbox(tx, outcome.id, at, outcome.error));
        (tries >= STILL_FAILING_AFTER ? log.error.bind(log) : log.warn.bind(log))(
          { attempts: tries, error: outcome.error },
          "Security Hub update will be retried",
        );
        continue;
      }
      log.error({ error: outcome.error }, "Security Hub update failed for good");
      await this.close(outcome.id, "failed", effect, outcome.error, {
        type: "effect_failed",
        effect: "securityhub.update",
        purpose: effect.purpose,
        error: outcome.error,
      });
    }
  }

  private async deliverLookup(row: OutboxRow): Promise<void> {
    const effect = row.payload as FindSuppressorEffect;
    const query = {
      findingId: effect.findingId,
      productArn: effect.productArn,
      ...(effect.since ? { since: effect.since } : {}),
    };
    // CloudTrail may have named the caller already (its event came first): no history needed.
    const recorded = await latestSuppressingCall(this.options.db, effect.findingId, effect.since ?? null);
    if (recorded) {
      await this.close(
        row.id,
        "done",
        effect,
        null,
        suppressorFromCloudTrail(recorded.at, recorded.note, recorded.caller),
      );
      return;
    }
    this.options.onCall?.({ operation: "GetFindingHistory", input: query });
    const client = this.options.client;
    if (!client) {
      this.options.logger.info(
        { caseId: effect.caseId, findingId: effect.findingId, operation: "GetFindingHistory", input: query },
        "dry run: would call Security Hub",
      );
      // A dry run does not ask; the finding's note, when it names someone, is the best it has.
      const noteBy = effect.noteBy ?? null;
      await this.close(row.id, "dry_run", effect, null, {
        type: "suppressor_found",
        suppressedBy: noteBy,
        suppressedByType: noteBy ? NOTE_IDENTITY : null,
        suppressedAt: null,
        error: noteBy
          ? `dry run: GetFindingHistory was not called; the finding's note names ${noteBy}`
          : "dry run: GetFindingHistory was not called",
      });
      return;
    }
    let found: Awaited<ReturnType<typeof findSuppressor>>;
    try {
      found = await findSuppressor(client, query, this.limiter);
    } catch (error) {
      const kind = classifyError(error);
      const message = error instanceof Error ? error.message : String(error);
      // The teams are told only once the lookup answered, so it is not retried for long.
      if (kind.retryable && row.attempts < (this.options.lookupMaxAttempts ?? LOOKUP_MAX_ATTEMPTS)) {
        const at = new Date(this.now().getTime() + outboxBackoffMs(row.attempts));
        await this.options.db.transaction((tx) => retryOutbox(tx, row.id, at, message));
        return;
      }
      await this.close(row.id, "failed", effect, message, {
        type: "suppressor_found",
        suppressedBy: null,
        suppressedByType: null,
        suppressedAt: null,
        error: `GetFindingHistory failed: ${message}`,
      });
      return;
    }
    // Outside the try: a database error here is not a Security Hub failure; the row is leased
    // and will be looked up again.
    await this.close(row.id, "done", effect, null, {
      type: "suppressor_found",
      suppressedBy: found.identity,
      suppressedByType: found.identityType,
      suppressedAt: found.at,
      error: found.identity ? null : "the finding history shows no change to SUPPRESSED",
    });
  }

  /** Closes a row and hands its result to the engine in one transaction: the result is applied once. */
  private async close(
    id: string,
    status: "done" | "failed" | "dry_run",
    effect: Pick<FindSuppressorEffect, "caseId" | "findingId">,
    error: string | null,
    input: DispatcherResult,
  ): Promise<void> {
    const { db, policy } = this.options;
    await db.transaction(async (tx) => {
      const closed = await finishOutbox(tx, [id], status, this.now(), error);
      if (closed.length === 0) return;
      const result = await applyDispatcherResult(tx, policy, effect.caseId, input, this.now());
      if (result.refusal)
        this.options.logger.warn(
          { caseId: effect.caseId, findingId: effect.findingId, refusal: result.refusal.message },
          "dispatcher result refused",
        );
    });
  }
}
