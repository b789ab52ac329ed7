import type { WebClient } from "@slack/web-api";
import { Queue, Worker } from "bullmq";
import type { Logger } from "pino";
import type { Env } from "../config/env.js";
import type { Policy } from "../engine/policy.js";
import { type DigestOutcome, postDigests } from "../slack/digest.js";
import type { ChannelPacer } from "../slack/pacer.js";
import type { Database } from "../store/database.js";
import { reportOutages, workerConnection } from "./redis.js";

export const DIGESTS_QUEUE = "digests";
export const DIGEST_SCHEDULER_ID = "post-digests";

/**
 * The digest schedule: a BullMQ job scheduler (one per queue prefix, however many instances start
 * it) adds a job every `notifications.digest_interval`, and one worker (concurrency 1) runs
 * postDigests for every team. The schedule is upserted again whenever the Redis connection is
 * (re)established, as the timer sweep's is. What each digest covers lives in the database
 * (slack_digests), so a run missed while Redis or the service was down is simply made up by the
 * next one, which covers everything since each team's last digest: nothing lost, nothing twice.
 */
export function runDigestScheduler(
  env: Pick<Env, "REDIS_URL" | "QUEUE_PREFIX">,
  db: Database,
  policy: Policy,
  logger: Logger,
  now: () => Date,
  client: WebClient,
  options: { pacer?: ChannelPacer } = {},
): () => Promise<void> {
  const connection = workerConnection(env.REDIS_URL);
  reportOutages(connection, logger, "digests");
  const queue = new Queue(DIGESTS_QUEUE, { connection, prefix: env.QUEUE_PREFIX });
  const schedule = () =>
    queue
      .upsertJobScheduler(
        DIGEST_SCHEDULER_ID,
        { every: policy.notifications.digestIntervalMs },
        { name: "digest", opts: { removeOnComplete: 100, removeOnFail: 100 } },
      )
      .catch((error) =>
        logger.error({ err: error }, "could not schedule the digests; retrying when Redis is back"),
      );
  void schedule();
  connection.on("ready", () => void schedule());
  const worker = new Worker<unknown, DigestOutcome[]>(
    DIGESTS_QUEUE,
    async () =>
      postDigests({
        db,
        policy,
        client,
        logger,
        now: now(),
        ...(options.pacer ? { pacer: options.pacer } : {}),
      }),
    // A run waits at most one Retry-After per team; the default lock (30 s, renewed) covers it.
    { connection, prefix: env.QUEUE_PREFIX, concurrency: 1 },
  );
  worker.on("completed", (_job, outcomes) => {
    const posted = outcomes.filter((outcome) => outcome.outcome === "posted").length;
    const failed = outcomes.filter((outcome) => outcome.outcome === "failed").length;
    if (posted > 0 || failed > 0) logger.info({ posted, failed }, "digest run done");
  });
  worker.on("failed", (_job, error) =>
    logger.warn({ err: error }, "digest run failed; the next one covers the same cases"),
  );
  worker.on("error", (error) => logger.error({ err: error }, "digest worker error"));
  return async () => {
    await Promise.race([worker.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await worker.close(true).catch(() => {});
    await queue.close().catch(() => {});
    connection.disconnect();
  };
}
