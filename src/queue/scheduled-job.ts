import { type Job, Queue, Worker } from "bullmq";
import type { Logger } from "pino";
import type { Env } from "../config/env.js";
import {
  closeWorker,
  isRedisConnectionError,
  logBullError,
  redisAddress,
  reportOutages,
  workerConnection,
} from "./redis.js";

export interface ScheduledJob<Result> {
  queue: string;
  schedulerId: string;
  jobName: string;
  /** Every `everyMs`, or on a cron pattern (with seconds allowed) in a time zone. */
  repeat: { everyMs: number } | { pattern: string; timezone: string };
  /**
   * What the job does; one runs at a time across every worker of the queue prefix. `scheduledAt`
   * is the instant the schedule fired for (not when the job happened to start).
   */
  run: (scheduledAt: Date) => Promise<Result>;
  /** Said in logs: "timer sweep", "digests". */
  what: string;
  onCompleted?: (result: Result) => void;
}

/**
 * A BullMQ job scheduler (one per queue prefix, however many workers start it) that adds a job
 * on its schedule, and a worker (concurrency 1) that runs it. The schedule is upserted again
 * whenever the connection is (re)established: a Redis that lost its data (restarted without
 * persistence, failed over) gets it back without a restart. Returns the function that stops it.
 */
export function runScheduledJob<Result>(
  env: Pick<Env, "REDIS_URL" | "QUEUE_PREFIX">,
  logger: Logger,
  job: ScheduledJob<Result>,
): () => Promise<void> {
  const connection = workerConnection(env.REDIS_URL);
  reportOutages(connection, logger, job.queue, redisAddress(env.REDIS_URL));
  const queue = new Queue(job.queue, { connection, prefix: env.QUEUE_PREFIX });
  queue.on("error", logBullError(logger, `${job.what} queue`));
  const schedule = () =>
    queue
      .upsertJobScheduler(
        job.schedulerId,
        "everyMs" in job.repeat
          ? { every: job.repeat.everyMs }
          : { pattern: job.repeat.pattern, tz: job.repeat.timezone },
        { name: job.jobName, opts: { removeOnComplete: 100, removeOnFail: 100 } },
      )
      .catch((error) => {
        // Redis being away is said once by reportOutages; the schedule is upserted again on ready.
        if (isRedisConnectionError(error)) return;
        logger.error({ err: error }, `could not schedule the ${job.what}; retrying when Redis is back`);
      });
  void schedule();
  connection.on("ready", () => void schedule());
  const worker = new Worker<unknown, Result>(job.queue, (bullJob) => job.run(scheduledAt(bullJob)), {
    connection,
    prefix: env.QUEUE_PREFIX,
    concurrency: 1,
  });
  worker.on("completed", (_job, result) => job.onCompleted?.(result));
  worker.on("failed", (_job, error) =>
    logger.warn({ err: error }, `${job.what} failed; the next run retries`),
  );
  worker.on("error", logBullError(logger, `${job.what} worker`));
  return () => closeWorker(worker, connection, [queue]);
}

/**
 * The instant a job was scheduled for: a scheduler's jobs carry it as prevMillis (and in their id,
 * repeat:<scheduler>:<millis>); a job added by hand runs for the time it was added.
 */
export function scheduledAt(job: Pick<Job, "id" | "opts" | "timestamp">): Date {
  const fromOpts = (job.opts as { prevMillis?: number }).prevMillis;
  if (typeof fromOpts === "number" && fromOpts > 0) return new Date(fromOpts);
  const fromId = /^repeat:.+:(\d+)$/.exec(job.id ?? "")?.[1];
  if (fromId) return new Date(Number(fromId));
  return new Date(job.timestamp);
}
