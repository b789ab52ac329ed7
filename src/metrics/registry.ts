import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Registry,
} from "prom-client";
import type { IntakeOutcome } from "../intake/http-intake.js";

/**
 * Two kinds of series. Per process: intake counters, report runs recorded by this process, and
 * Node's own figures; sum them across replicas. Deployment-wide: the figures read from Redis and
 * the database, which every replica reports alike; aggregate them with max, never sum.
 */
export const PER_PROCESS = "Per process: sum across replicas.";
export const DEPLOYMENT_WIDE = "Deployment-wide (same on every replica): aggregate with max, not sum.";

export type ReportRunOutcome = "posted" | "skipped" | "failed";

const REJECTIONS: Exclude<IntakeOutcome, "accepted">[] = [
  "unauthorized",
  "too_large",
  "unsupported_media_type",
  "invalid_json",
  "invalid_event",
  "queue_unavailable",
  "store_unavailable",
];
const REPORT_OUTCOMES: ReportRunOutcome[] = ["posted", "skipped", "failed"];

interface ProcessMetrics {
  registry: Registry;
  accepted: Counter;
  rejected: Counter<"reason">;
  reportRuns: Counter<"outcome">;
  redisDataLosses: Counter;
  findingsLost: Counter;
}

let processMetrics: ProcessMetrics | null = null;

/**
 * The process's own metrics, made on first use: counters must be module-wide so that code without
 * a handle on the service (the report) can count, and default metrics may be collected once only.
 */
function ownMetrics(): ProcessMetrics {
  if (processMetrics) return processMetrics;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "shgov_" });
  const accepted = new Counter({
    name: "shgov_events_accepted_total",
    help: `Events POST /events accepted (202, stored in Redis). ${PER_PROCESS}`,
    registers: [registry],
  });
  const rejected = new Counter({
    name: "shgov_events_rejected_total",
    help: `Events POST /events refused, by reason (401, 413, 415, 400 and 503 answers). ${PER_PROCESS}`,
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  // Every reason from the start: a series that appears only at its first increment hides that increment from rate().
  for (const reason of REJECTIONS) rejected.inc({ reason }, 0);
  const reportRuns = new Counter({
    name: "shgov_report_runs_total",
    help: `Report runs of this process, by outcome. ${PER_PROCESS}`,
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  for (const outcome of REPORT_OUTCOMES) reportRuns.inc({ outcome }, 0);
  // Every replica with the http role notices the same loss of Redis's data: max, not sum.
  const redisDataLosses = new Counter({
    name: "shgov_redis_data_losses_total",
    help: "Times this process found that Redis had lost the deployment's data (restarted without persistence, flushed, keys evicted), taking with it every event answered 202 and not yet applied. Every replica with the http role notices the same loss: aggregate with max, not sum.",
    registers: [registry],
  });
  const findingsLost = new Counter({
    name: "shgov_findings_lost_total",
    help: "Upper bound of the findings answered 202 and lost with Redis's data: those queued when this process last saw Redis with its data, plus those it accepted since. Aggregate with max, not sum.",
    registers: [registry],
  });
  processMetrics = { registry, accepted, rejected, reportRuns, redisDataLosses, findingsLost };
  return processMetrics;
}

/** Counts one POST /events request by how it ended (IntakeDeps.onOutcome). */
export function recordIntakeOutcome(outcome: IntakeOutcome): void {
  const metrics = ownMetrics();
  if (outcome === "accepted") metrics.accepted.inc();
  else metrics.rejected.inc({ reason: outcome });
}

/** Counts one loss of Redis's data this process noticed, with its upper bound of the findings lost. */
export function recordRedisDataLoss(lostAtMost: number): void {
  const metrics = ownMetrics();
  metrics.redisDataLosses.inc();
  metrics.findingsLost.inc(lostAtMost);
}

/** For the report scheduler: counts one run of this process by its outcome. */
export function recordReportRun(outcome: ReportRunOutcome): void {
  ownMetrics().reportRuns.inc({ outcome });
}

/** The registry of the process's own metrics (intake, report runs, Node). */
export function processRegistry(): Registry {
  return ownMetrics().registry;
}

export interface Sample<T extends string> {
  labels: Partial<Record<T, string>>;
  value: number;
}

/**
 * A counter whose values are read from elsewhere (the database) at scrape time rather than
 * incremented here. When `read` gives null (source unavailable) no sample is exposed at all: a
 * counter shown as 0 would look like a reset to Prometheus.
 */
export class ReadCounter<T extends string> extends Counter<T> {
  constructor(
    config: CounterConfiguration<T>,
    private readonly read: () => Promise<Sample<T>[] | null>,
  ) {
    super(config);
  }

  override async get(): ReturnType<Counter<T>["get"]> {
    const samples = await this.read();
    // reset, inc and super.get() (no collect) run without a pause: a concurrent scrape cannot interleave.
    this.reset();
    for (const sample of samples ?? []) this.inc(sample.labels as never, sample.value);
    const metric = await super.get();
    return samples ? metric : { ...metric, values: [] };
  }
}

/** The gauge counterpart of ReadCounter: no sample while the source is unavailable. */
export class ReadGauge<T extends string> extends Gauge<T> {
  constructor(
    config: GaugeConfiguration<T>,
    private readonly read: () => Promise<Sample<T>[] | null>,
  ) {
    super(config);
  }

  override async get(): ReturnType<Gauge<T>["get"]> {
    const samples = await this.read();
    this.reset();
    for (const sample of samples ?? []) this.set(sample.labels as never, sample.value);
    const metric = await super.get();
    return samples ? metric : { ...metric, values: [] };
  }
}

/**
 * Resolves to `fetch()`'s result, sharing one call among the callers that come while it runs: the
 * metrics of one scrape are collected side by side and must ask their source once.
 */
export function sharedWhileRunning<T>(fetch: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    running ??= fetch().finally(() => {
      running = null;
    });
    return running;
  };
}
