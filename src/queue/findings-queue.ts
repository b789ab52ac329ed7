import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Observation } from "../intake/envelope.js";
import { withTimeout } from "../lib/timeout.js";

export const FINDINGS_QUEUE = "findings";

/** What a findings job carries: one observation, as intake made it. */
export type FindingJobData = Observation;

/**
 * One job per delivery: the observation key, for whoever looks, and a random suffix. The queue
 * never deduplicates; the store does (the observations table has the key as primary key, so a
 * version applied twice changes nothing the second time). An id made of the version alone
 * collided with the completed job BullMQ keeps: a store restored from a backup, or a new one on
 * the same Redis and prefix, answered 202 for a version the old store had seen and stored
 * nothing. BullMQ job ids must not contain ':'.
 */
export function findingJobId(observation: Pick<Observation, "key">): string {
  return `obs-${observation.key}-${randomBytes(6).toString("hex")}`;
}

export const FINDING_JOB_OPTIONS = {
  // Retried with capped exponential backoff (see worker) for about a day, as EventBridge would.
  attempts: 200,
  backoff: { type: "capped-exponential" },
  // Completed jobs deduplicate nothing (the store does): the last thousand stay, to look at.
  removeOnComplete: { count: 1_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
} as const;

export function findingsQueue(connection: Redis, prefix: string): Queue<FindingJobData> {
  return new Queue<FindingJobData>(FINDINGS_QUEUE, {
    connection,
    prefix,
    skipWaitingForReady: true,
    defaultJobOptions: FINDING_JOB_OPTIONS,
  });
}

/**
 * The producer side for a fail-fast connection: BullMQ checks the Redis version once when a
 * Queue is made, which fails while Redis is unreachable, so the Queue is made on the first
 * `ready`. Until then `get()` throws and intake answers 503.
 */
export class ProducerQueue {
  private queue: Queue<FindingJobData> | null = null;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {
    if (connection.status === "ready") this.create();
    else connection.once("ready", () => this.create());
  }

  private create(): void {
    if (this.queue) return;
    this.queue = findingsQueue(this.connection, this.prefix);
    // The connection's outages are reported where it is made; without a listener BullMQ would
    // print each of its errors as a stack dump.
    this.queue.on("error", () => {});
  }

  get(): Queue<FindingJobData> {
    if (!this.queue) throw new Error("Redis has not been reachable since start-up");
    return this.queue;
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }
}

/**
 * Adds observations to the queue, grouping the adds of concurrent requests into one addBulk per
 * event-loop turn: one Redis round trip for many requests. Each caller's promise settles with
 * its own batch, so a 202 still means "stored in Redis".
 */
export class BatchingEnqueuer {
  private pending: {
    observations: Observation[];
    jobIds: string[];
    resolve: (jobIds: string[]) => void;
    reject: (error: Error) => void;
  }[] = [];
  private scheduled = false;

  constructor(
    private readonly queue: () => Queue<FindingJobData>,
    private readonly maxBatch = 500,
    private readonly timeoutMs = 3_000,
  ) {}

  /** Resolves with the job ids, once the jobs are stored in Redis. */
  enqueue(observations: Observation[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ observations, jobIds: observations.map(findingJobId), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch: typeof this.pending = [];
      let size = 0;
      while (this.pending.length > 0 && size < this.maxBatch) {
        const next = this.pending.shift();
        if (!next) break;
        batch.push(next);
        size += next.observations.length;
      }
      const jobs = batch.flatMap((entry) =>
        entry.observations.map((observation, index) => ({
          name: observation.detailType,
          data: observation,
          opts: { ...FINDING_JOB_OPTIONS, jobId: entry.jobIds[index] as string },
        })),
      );
      withTimeout(
        Promise.resolve().then(() => this.queue().addBulk(jobs)),
        this.timeoutMs,
        `Redis did not store the job within ${this.timeoutMs} ms`,
      ).then(
        () => {
          for (const entry of batch) entry.resolve(entry.jobIds);
        },
        (error: Error) => {
          for (const entry of batch) entry.reject(error);
        },
      );
    }
  }
}
