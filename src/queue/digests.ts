import type { WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import type { Env } from "../config/env.js";
import type { Policy } from "../engine/policy.js";
import { type DigestOutcome, postDigests } from "../slack/digest.js";
import type { ChannelPacer } from "../slack/pacer.js";
import type { Database } from "../store/database.js";
import { runScheduledJob } from "./scheduled-job.js";

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
  return runScheduledJob(env, logger, {
    queue: DIGESTS_QUEUE,
    schedulerId: DIGEST_SCHEDULER_ID,
    jobName: "digest",
    repeat: { everyMs: policy.notifications.digestIntervalMs },
    what: "digest run",
    // A run waits at most one Retry-After per team; the default lock (30 s, renewed) covers it.
    run: (): Promise<DigestOutcome[]> =>
      postDigests({
        db,
        policy,
        client,
        logger,
        now: now(),
        ...(options.pacer ? { pacer: options.pacer } : {}),
      }),
    onCompleted: (outcomes) => {
      const posted = outcomes.filter((outcome) => outcome.outcome === "posted").length;
      const failed = outcomes.filter((outcome) => outcome.outcome === "failed").length;
      if (posted > 0 || failed > 0) logger.info({ posted, failed }, "digest run done");
    },
  });
}
