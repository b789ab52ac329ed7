import type { Registry } from "prom-client";
import { CASE_STATUSES } from "../engine/case.js";
import { SEVERITIES } from "../engine/finding.js";
import { within, withTimeout } from "../lib/timeout.js";
import type { Database } from "../store/database.js";
import { type DbSnapshot, readMetricsSnapshot } from "../store/metrics-snapshot.js";
import { DEPLOYMENT_WIDE, ReadCounter, ReadGauge, type Sample } from "./registry.js";

export type DispatchTarget = "slack" | "securityhub" | "other";

/** Which dispatcher delivers an outbox kind (see LANE in src/slack/dispatcher.ts and src/securityhub/dispatcher.ts). */
export function dispatchTarget(kind: string): DispatchTarget {
  if (kind === "notify") return "slack";
  if (kind.startsWith("securityhub.")) return "securityhub";
  return "other";
}

const REPORT_RUN_STATUSES = ["claimed", "posted", "failed", "abandoned"];

export interface DbMetricsOptions {
  /** A snapshot younger than this is served as it is (15 s). 0 reads the database at every scrape. */
  refreshMs?: number;
  /** How long a scrape waits for a refresh before it serves the previous snapshot (2 s). */
  waitMs?: number;
  /** An older snapshot is not served: shgov_metrics_db_up becomes 0 (2 min). */
  staleMs?: number;
  /** PostgreSQL statement_timeout of each query (10 s). */
  statementTimeoutMs?: number;
  /** Monotonic milliseconds. */
  clock?: () => number;
}

/**
 * The database figures, cached: on a million cases and millions of audit events the queries take
 * a while, so they run at most once per refreshMs and one refresh at a time, whatever the number
 * of scrapes. A scrape waits up to waitMs for a refresh it needs, then serves the previous
 * snapshot; a failed refresh, or a snapshot older than staleMs, serves nothing (db_up 0).
 */
export class DbMetricsCache {
  private snapshot: { at: number; value: DbSnapshot } | null = null;
  private refreshing: Promise<void> | null = null;
  private lastFailed = false;
  private readonly refreshMs: number;
  private readonly waitMs: number;
  private readonly staleMs: number;
  private readonly statementTimeoutMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly db: Database,
    options: DbMetricsOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 15_000;
    this.waitMs = options.waitMs ?? 2_000;
    this.staleMs = options.staleMs ?? 120_000;
    this.statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** The snapshot to serve, or null (never refreshed, failed, or too old). */
  async read(): Promise<{ value: DbSnapshot; ageSeconds: number } | null> {
    const due = !this.snapshot || this.clock() - this.snapshot.at >= this.refreshMs;
    if (due) this.refreshing ??= this.refresh();
    if (this.refreshing) await within(this.refreshing, this.waitMs, undefined);
    if (this.lastFailed || !this.snapshot) return null;
    const age = this.clock() - this.snapshot.at;
    if (age >= this.staleMs) return null;
    return { value: this.snapshot.value, ageSeconds: age / 1_000 };
  }

  private refresh(): Promise<void> {
    const started = this.clock();
    // A connection that never answers must not hold the single refresh slot for ever.
    const limitMs = this.statementTimeoutMs + 5_000;
    return withTimeout(
      readMetricsSnapshot(this.db, this.statementTimeoutMs),
      limitMs,
      `no answer within ${limitMs} ms`,
    )
      .then(
        (value) => {
          this.snapshot = { at: started, value };
          this.lastFailed = false;
        },
        () => {
          this.lastFailed = true;
        },
      )
      .finally(() => {
        this.refreshing = null;
      });
  }
}

/** Registers the database-derived metrics, all read through one cache. */
export function registerDbMetrics(
  registry: Registry,
  db: Database,
  options: DbMetricsOptions & { escalationLevels?: number } = {},
): DbMetricsCache {
  const cache = new DbMetricsCache(db, options);
  const levels = Array.from({ length: options.escalationLevels ?? 0 }, (_, index) => String(index + 1));
  const from =
    <T extends string>(pick: (snapshot: DbSnapshot) => Sample<T>[]) =>
    async (): Promise<Sample<T>[] | null> => {
      const current = await cache.read();
      return current ? pick(current.value) : null;
    };
  const byTarget = (snapshot: DbSnapshot, value: (row: DbSnapshot["outbox"][number]) => number) => {
    const totals = new Map<DispatchTarget, number>([
      ["slack", 0],
      ["securityhub", 0],
    ]);
    for (const row of snapshot.outbox) {
      const target = dispatchTarget(row.kind);
      totals.set(target, (totals.get(target) ?? 0) + value(row));
    }
    return [...totals].map(([target, total]) => ({ labels: { target }, value: total }));
  };

  new ReadGauge(
    {
      name: "shgov_metrics_db_up",
      help: `1 when the database figures below are served (the last refresh succeeded and is recent), else 0. ${DEPLOYMENT_WIDE}`,
      registers: [registry],
    },
    async () => [{ labels: {}, value: (await cache.read()) ? 1 : 0 }],
  );
  new ReadGauge(
    {
      name: "shgov_metrics_db_age_seconds",
      help: `Age of the database figures served: they are read at most every ${(options.refreshMs ?? 15_000) / 1_000} s. ${DEPLOYMENT_WIDE}`,
      registers: [registry],
    },
    async () => {
      const current = await cache.read();
      return current ? [{ labels: {}, value: current.ageSeconds }] : null;
    },
  );
  new ReadGauge(
    {
      name: "shgov_cases",
      help: `Cases by status and severity. ${DEPLOYMENT_WIDE}`,
      labelNames: ["status", "severity"] as const,
      registers: [registry],
    },
    from((snapshot) => {
      const counts = new Map<string, Sample<"status" | "severity">>();
      for (const status of CASE_STATUSES)
        for (const severity of SEVERITIES)
          counts.set(`${status}\n${severity}`, { labels: { status, severity }, value: 0 });
      for (const row of snapshot.cases)
        counts.set(`${row.status}\n${row.severity}`, {
          labels: { status: row.status, severity: row.severity },
          value: row.count,
        });
      return [...counts.values()];
    }),
  );
  new ReadCounter(
    {
      name: "shgov_sla_breaches_total",
      help: `SLA breaches: sla.breached events of the audit log. ${DEPLOYMENT_WIDE}`,
      registers: [registry],
    },
    from((snapshot) => [{ labels: {}, value: snapshot.breaches }]),
  );
  new ReadCounter(
    {
      name: "shgov_escalations_total",
      help: `Escalations by level reached: escalated events of the audit log. ${DEPLOYMENT_WIDE}`,
      labelNames: ["level"] as const,
      registers: [registry],
    },
    from((snapshot) => {
      const counts = new Map(levels.map((level) => [level, 0]));
      for (const row of snapshot.escalations) counts.set(row.level, row.count);
      return [...counts].map(([level, value]) => ({ labels: { level }, value }));
    }),
  );
  new ReadCounter(
    {
      name: "shgov_dispatcher_successes_total",
      help: `Outbox rows delivered (status done), by target (slack: notify; securityhub: securityhub.*). ${DEPLOYMENT_WIDE}`,
      labelNames: ["target"] as const,
      registers: [registry],
    },
    from((snapshot) => byTarget(snapshot, (row) => (row.status === "done" ? row.rows : 0))),
  );
  new ReadCounter(
    {
      name: "shgov_dispatcher_failures_total",
      help: `Outbox rows given up (status failed), by target. ${DEPLOYMENT_WIDE}`,
      labelNames: ["target"] as const,
      registers: [registry],
    },
    from((snapshot) => byTarget(snapshot, (row) => (row.status === "failed" ? row.rows : 0))),
  );
  new ReadCounter(
    {
      name: "shgov_dispatcher_retries_total",
      help: `Delivery attempts beyond each outbox row's first (throttling, outages, deferrals, expired leases), by target. ${DEPLOYMENT_WIDE}`,
      labelNames: ["target"] as const,
      registers: [registry],
    },
    from((snapshot) => byTarget(snapshot, (row) => row.retries)),
  );
  new ReadGauge(
    {
      name: "shgov_outbox_rows",
      help: `Outbox rows by target, kind and status (pending, done, failed, dry_run, superseded). ${DEPLOYMENT_WIDE}`,
      labelNames: ["target", "kind", "status"] as const,
      registers: [registry],
    },
    from((snapshot) =>
      snapshot.outbox.map((row) => ({
        labels: { target: dispatchTarget(row.kind), kind: row.kind, status: row.status },
        value: row.rows,
      })),
    ),
  );
  new ReadGauge(
    {
      name: "shgov_report_periods",
      help: `Report periods by status (claimed, posted, failed) in the report_runs table; absent until the table exists. ${DEPLOYMENT_WIDE}`,
      labelNames: ["status"] as const,
      registers: [registry],
    },
    from((snapshot) => {
      if (!snapshot.reportRuns) return [];
      const counts = new Map(REPORT_RUN_STATUSES.map((status) => [status, 0]));
      for (const row of snapshot.reportRuns) counts.set(row.status, row.count);
      return [...counts].map(([status, value]) => ({ labels: { status }, value }));
    }),
  );
  return cache;
}

/** Whether the database answers now: a ping at each scrape, apart from the cached figures. */
export function registerDatabaseUp(registry: Registry, db: Database): void {
  new ReadGauge(
    {
      name: "shgov_database_up",
      help: "1 when the database answered a ping within 1 s at this scrape, else 0.",
      registers: [registry],
    },
    async () => {
      const up = await within(
        db.ping().then(
          () => 1,
          () => 0,
        ),
        1_000,
        0,
      );
      return [{ labels: {}, value: up }];
    },
  );
}
