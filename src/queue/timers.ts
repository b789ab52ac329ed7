import { Queue, Worker } from "bullmq";
import type { Logger } from "pino";
import { type SweepResult, sweepDueCases } from "../app/sweep.js";
import type { Env } from "../config/env.js";
import type { Policy } from "../engine/policy.js";
import type { Database } from "../store/database.js";
import { reportOutages, workerConnection } from "./redis.js";

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
  const connection = workerConnection(env.REDIS_URL);
  reportOutages(connection, logger, "timers");
  const queue = new Queue(TIMERS_QUEUE, { connection, prefix: env.QUEUE_PREFIX });
  // Registered again whenever the connection is (re)established: a Redis that lost its data
  // (restarted without persistence, failed over) gets the schedule back without a restart.
  const schedule = () =>
    queue
      .upsertJobScheduler(
        SWEEP_SCHEDULER_ID,
        { every: SWEEP_EVERY_MS },
        { name: "sweep", opts: { removeOnComplete: 100, removeOnFail: 100 } },
      )
      .catch((error) =>
        logger.error({ err: error }, "could not schedule the timer sweep; retrying when Redis is back"),
      );
  void schedule();
  connection.on("ready", () => void schedule());
  const worker = new Worker<unknown, SweepResult>(
    TIMERS_QUEUE,
    async () => sweepDueCases(db, policy, now()),
    {
      connection,
      prefix: env.QUEUE_PREFIX,
      concurrency: 1,
    },
  );
  worker.on("completed", (_job, result) => {
    if (result.fired > 0) logger.info(result, "timers fired");
  });
  worker.on("failed", (_job, error) =>
    logger.warn({ err: error }, "timer sweep failed; the next one retries"),
  );
  worker.on("error", (error) => logger.error({ err: error }, "timer worker error"));
  return async () => {
    await Promise.race([worker.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await worker.close(true).catch(() => {});
    await queue.close().catch(() => {});
    connection.disconnect();
  };
}
