import { type Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Env } from "../config/env.js";
import type { Policy } from "../engine/policy.js";
import type { Observation } from "../intake/envelope.js";
import { RepeatedFailureLog } from "../log.js";
import { type ObservationOutcome, observeFindings } from "../shell/observe-findings.js";
import type { Database } from "../store/database.js";
import { isPostgresUnavailable } from "../store/postgres.js";
import { FINDINGS_QUEUE, type FindingJobData } from "./findings-queue.js";
import { GroupCommitter } from "./group-commit.js";
import { closeWorker, logBullError, redisAddress, reportOutages, workerConnection } from "./redis.js";

export interface FindingsWorkerOptions {
  connection: Redis;
  prefix: string;
  db: Database;
  policy: Policy;
  logger: Logger;
  concurrency: number;
  /** How long a job's lock lasts; a crashed worker's jobs are picked up again after it. */
  lockDurationMs: number;
  now?: () => Date;
}

const MAX_BACKOFF_MS = 10 * 60_000;

/** 1 s, 2 s, 4 s ... capped at 10 minutes: with 200 attempts, about a day of retries. */
export function cappedBackoff(attemptsMade: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attemptsMade - 1), MAX_BACKOFF_MS);
}

export function startFindingsWorker(
  options: FindingsWorkerOptions,
): Worker<FindingJobData, ObservationOutcome> {
  const now = options.now ?? (() => new Date());
  const committer = new GroupCommitter<Observation, ObservationOutcome>((observations) =>
    observeFindings(options.db, options.policy, observations, now),
  );
  const worker = new Worker<FindingJobData, ObservationOutcome>(
    FINDINGS_QUEUE,
    async (job: Job<FindingJobData>) => committer.submit(job.data),
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: Math.max(1_000, Math.floor(options.lockDurationMs / 2)),
      // A stalled job is one whose worker died: retry it, the database makes it idempotent.
      maxStalledCount: 1_000,
      settings: { backoffStrategy: (attemptsMade: number) => cappedBackoff(attemptsMade) },
    },
  );
  // A database away fails every job the same way: said once, and once when jobs apply again.
  const databaseAway = new RepeatedFailureLog(
    options.logger,
    "applying findings (the database is unavailable)",
  );
  worker.on("completed", () => databaseAway.succeeded());
  worker.on("failed", (job, error) => {
    if (isPostgresUnavailable(error)) return databaseAway.failed(error);
    options.logger.warn(
      {
        // One case per finding: the case id is the finding id.
        caseId: job?.data.finding.id,
        findingId: job?.data.finding.id,
        jobId: job?.id,
        attempts: job?.attemptsMade,
        err: error,
      },
      "finding not applied; will retry",
    );
  });
  worker.on("error", logBullError(options.logger, "findings worker"));
  return worker;
}

/**
 * The worker as the service runs it: its own Redis connection (outages logged once) and the
 * settings from the environment. Returns the function that stops both.
 */
export function runFindingsWorker(
  env: Pick<Env, "REDIS_URL" | "QUEUE_PREFIX" | "WORKER_CONCURRENCY" | "WORKER_LOCK_DURATION_MS">,
  db: Database,
  policy: Policy,
  logger: Logger,
  now: () => Date = () => new Date(),
): () => Promise<void> {
  const connection = workerConnection(env.REDIS_URL);
  reportOutages(connection, logger, "worker", redisAddress(env.REDIS_URL));
  const worker = startFindingsWorker({
    connection,
    prefix: env.QUEUE_PREFIX,
    db,
    policy,
    logger,
    concurrency: env.WORKER_CONCURRENCY,
    lockDurationMs: env.WORKER_LOCK_DURATION_MS,
    now,
  });
  return () => closeWorker(worker, connection);
}
