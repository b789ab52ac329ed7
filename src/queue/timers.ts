import type { Logger } from "pino";
import type { Env } from "../config/env.js";
import type { Policy } from "../engine/policy.js";
import { type SweepResult, sweepDueCases } from "../shell/sweep.js";
import type { Database } from "../store/database.js";
import { runScheduledJob } from "./scheduled-job.js";

export const TIMERS_QUEUE = "timers";
export const SWEEP_SCHEDULER_ID = "sweep-due-cases";
export const SWEEP_EVERY_MS = 60_000;

/**
 * The durable timers: a BullMQ job scheduler (one per queue prefix, however many workers start
 * it) adds a sweep job every minute and one worker runs it. The timers themselves live in the
 * database (cases.next_due_at), so nothing is lost while Redis or the service is down: the next
 * sweep fires whatever came due meanwhile, once.
 */
export function runTimerSweeper(
  env: Pick<Env, "REDIS_URL" | "QUEUE_PREFIX">,
  db: Database,
  policy: Policy,
  logger: Logger,
  now: () => Date,
): () => Promise<void> {
  return runScheduledJob(env, logger, {
    queue: TIMERS_QUEUE,
    schedulerId: SWEEP_SCHEDULER_ID,
    jobName: "sweep",
    repeat: { everyMs: SWEEP_EVERY_MS },
    what: "timer sweep",
    run: (): Promise<SweepResult> => sweepAndLog(db, policy, now(), logger),
  });
}

/** Most ids one "timers fired" line lists: a sweep after downtime may fire thousands of cases. */
export const LOGGED_CASE_IDS = 100;

/**
 * One sweep, logged: the cases where something fired (ids in the line, up to LOGGED_CASE_IDS) and
 * each case that failed. Logged here rather than from the job's result, which BullMQ keeps in Redis.
 */
export async function sweepAndLog(
  db: Database,
  policy: Policy,
  now: Date,
  logger: Logger,
): Promise<SweepResult> {
  const caseIds: string[] = [];
  const findingIds: string[] = [];
  const result = await sweepDueCases(db, policy, now, {
    onFired: (cases, findings) => {
      caseIds.push(...cases.slice(0, LOGGED_CASE_IDS - caseIds.length));
      findingIds.push(...findings.slice(0, LOGGED_CASE_IDS - findingIds.length));
    },
    onCaseError: (caseId, error) =>
      // The case could not be loaded or decided: its id is all there is, and a case's id is its finding's.
      logger.warn(
        { caseId, findingId: caseId, err: error },
        "a case's timer could not be fired; the next sweep retries",
      ),
  });
  if (result.fired > 0) {
    logger.info(
      { ...result, caseIds, findingIds, ...(result.fired > caseIds.length ? { idsTruncated: true } : {}) },
      "timers fired",
    );
  }
  return result;
}
