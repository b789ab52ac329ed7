import type { Queue } from "bullmq";
import type { Registry } from "prom-client";
import { withTimeout } from "../lib/timeout.js";
import { DEPLOYMENT_WIDE, ReadGauge, sharedWhileRunning } from "./registry.js";

export const QUEUE_STATES = ["waiting", "active", "delayed", "failed"] as const;

interface QueueSnapshot {
  counts: Record<(typeof QUEUE_STATES)[number], number>;
  oldestWaitingAgeSeconds: number;
}

export interface QueueMetricsOptions {
  /** The findings queue; throws while Redis has not been reachable (see ProducerQueue). */
  queue: () => Queue;
  /** How long a scrape waits for Redis before it reports shgov_queue_up 0. */
  timeoutMs?: number;
  /** Wall clock in ms, compared with BullMQ's job timestamps (also wall clock). */
  clock?: () => number;
}

/**
 * The findings queue as Redis sees it, asked at scrape time. Redis down or slow gives
 * shgov_queue_up 0 within timeoutMs, and no depth figures, rather than a failed scrape.
 */
export function registerQueueMetrics(registry: Registry, options: QueueMetricsOptions): void {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const clock = options.clock ?? Date.now;
  const snapshot = sharedWhileRunning(async (): Promise<QueueSnapshot | null> => {
    try {
      const queue = options.queue();
      const [counts, oldest] = await withTimeout(
        Promise.all([
          queue.getJobCounts(...QUEUE_STATES),
          // New jobs are pushed on the left of the wait list: ascending order from the right is oldest first.
          queue.getJobs(["waiting"], 0, 0, true),
        ]),
        timeoutMs,
        `Redis did not answer within ${timeoutMs} ms`,
      );
      const timestamp = oldest[0]?.timestamp;
      return {
        counts: Object.fromEntries(
          QUEUE_STATES.map((state) => [state, counts[state] ?? 0]),
        ) as QueueSnapshot["counts"],
        oldestWaitingAgeSeconds: timestamp ? Math.max(0, (clock() - timestamp) / 1_000) : 0,
      };
    } catch {
      return null;
    }
  });

  new ReadGauge(
    {
      name: "shgov_queue_up",
      help: `1 when Redis answered the scrape's questions about the findings queue within ${timeoutMs} ms, else 0. ${DEPLOYMENT_WIDE}`,
      registers: [registry],
    },
    async () => [{ labels: {}, value: (await snapshot()) ? 1 : 0 }],
  );
  new ReadGauge(
    {
      name: "shgov_queue_jobs",
      help: `Jobs of the findings queue by state (waiting, active, delayed, failed). ${DEPLOYMENT_WIDE}`,
      labelNames: ["state"] as const,
      registers: [registry],
    },
    async () => {
      const current = await snapshot();
      return current
        ? QUEUE_STATES.map((state) => ({ labels: { state }, value: current.counts[state] }))
        : null;
    },
  );
  new ReadGauge(
    {
      name: "shgov_queue_oldest_waiting_age_seconds",
      help: `Age of the oldest waiting job of the findings queue (0 when none waits). ${DEPLOYMENT_WIDE}`,
      registers: [registry],
    },
    async () => {
      const current = await snapshot();
      return current ? [{ labels: {}, value: current.oldestWaitingAgeSeconds }] : null;
    },
  );
}
