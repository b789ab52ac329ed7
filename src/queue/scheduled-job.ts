import { Queue, Worker } from "bullmq";
import type { Logger } from "pino";
import type { Env } from "../config/env.js";
import { reportOutages, workerConnection } from "./redis.js";

export interface ScheduledJob<Result> {
  queue: string;
  schedulerId: string;
  jobName: string;
  everyMs: number;
  /** What the job does; one runs at a time across every worker of the queue prefix. */
  run: () => Promise<Result>;
  /** Said in logs: "timer sweep", "digests". */
  what: string;
  onCompleted?: (result: Result) => void;
}

/**
 * A BullMQ job scheduler (one per queue prefix, however many workers start it) that adds a job
 * every `everyMs`, and a worker (concurrency 1) that runs it. The schedule is upserted again
 * whenever the connection is (re)established: a Redis that lost its data (restarted without
 * persistence, failed over) gets it back without a restart. Returns the function that stops it.
 */
export function runScheduledJob<Result>(
  env: Pick<Env, "REDIS_URL" | "QUEUE_PREFIX">,
  logger: Logger,
  job: ScheduledJob<Result>,
): () => Promise<void> {
  const connection = workerConnection(env.REDIS_URL);
  reportOutages(connection, logger, job.queue);
  const queue = new Queue(job.queue, { connection, prefix: env.QUEUE_PREFIX });
  const schedule = () =>
    queue
      .upsertJobScheduler(
        job.schedulerId,
        { every: job.everyMs },
        { name: job.jobName, opts: { removeOnComplete: 100, removeOnFail: 100 } },
      )
      .catch((error) =>
        logger.error({ err: error }, `could not schedule the ${job.what}; retrying when Redis is back`),
      );
  void schedule();
  connection.on("ready", () => void schedule());
  const worker = new Worker<unknown, Result>(job.queue, job.run, {
    connection,
    prefix: env.QUEUE_PREFIX,
    concurrency: 1,
  });
  worker.on("completed", (_job, result) => job.onCompleted?.(result));
  worker.on("failed", (_job, error) =>
    logger.warn({ err: error }, `${job.what} failed; the next run retries`),
  );
  worker.on("error", (error) => logger.error({ err: error }, `${job.what} worker error`));
  return async () => {
    await Promise.race([worker.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await worker.close(true).catch(() => {});
    await queue.close().catch(() => {});
    connection.disconnect();
  };
}
