import type { Logger } from "pino";
import { type SweepResult, sweepDueCases } from "../app/sweep.js";
import type { Env } from "../config/env.js";
import type { Policy } from "../engine/policy.js";
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
    everyMs: SWEEP_EVERY_MS,
    what: "timer sweep",
    run: (): Promise<SweepResult> => sweepDueCases(db, policy, now()),
    onCompleted: (result) => {
      if (result.fired > 0) logger.info(result, "timers fired");
    },
  });
}
