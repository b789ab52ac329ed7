import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { DbMetricsCache, dispatchTarget, registerDbMetrics } from "../../src/metrics/db-metrics.js";
import type { Database, Sql } from "../../src/store/database.js";
import { parsePrometheusText } from "../support/prometheus.js";

/**
 * The cache in front of the database figures, against a database stand-in whose speed and
 * failures the test decides. The clock of the cache is the test's; waits are real but short.
 */
interface FakeDb extends Database {
  transactions: number;
  statements: string[];
  delayMs: number;
  failing: boolean;
  reportRunsTable: boolean;
  breaches: number;
}

function fakeDb(): FakeDb {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const db: FakeDb = {
    kind: "postgres",
    transactions: 0,
    statements: [],
    delayMs: 0,
    failing: false,
    reportRunsTable: false,
    breaches: 2,
    async query<Row>(text: string): Promise<Row[]> {
      db.statements.push(text);
      const rows = (): unknown[] => {
        if (text.includes("FROM cases")) return [{ status: "open", severity: "HIGH", n: "3" }];
        if (text.includes("FROM audit_events"))
          return [
            { type: "sla.breached", level: null, n: String(db.breaches) },
            { type: "escalated", level: "1", n: "5" },
          ];
        if (text.includes("FROM outbox"))
          return [
            { kind: "notify", status: "done", n: "4", retries: "1" },
            { kind: "securityhub.update", status: "failed", n: "1", retries: "6" },
          ];
        if (text.includes("to_regclass")) return [{ present: db.reportRunsTable }];
        if (text.includes("FROM report_runs")) return [{ status: "posted", n: "1" }];
        return [];
      };
      return rows() as Row[];
    },
    async exec() {},
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      db.transactions += 1;
      if (db.delayMs > 0) await sleep(db.delayMs);
      if (db.failing) throw new Error("connection refused");
      return fn(db);
    },
    async ping() {},
    async close() {},
  };
  return db;
}

describe("database metrics cache", () => {
  it("reads the database at most once per refresh interval, and once for concurrent scrapes", async () => {
    const db = fakeDb();
    let now = 0;
    const cache = new DbMetricsCache(db, { refreshMs: 15_000, clock: () => now });
    await Promise.all([cache.read(), cache.read(), cache.read()]);
    expect(db.transactions).toBe(1);
    now = 14_999;
    expect((await cache.read())?.ageSeconds).toBeCloseTo(14.999);
    expect(db.transactions).toBe(1);
    now = 15_000;
    expect((await cache.read())?.ageSeconds).toBe(0);
    expect(db.transactions).toBe(2);
  });

  it("runs its queries read-only under a statement timeout", async () => {
    const db = fakeDb();
    await new DbMetricsCache(db, { statementTimeoutMs: 3_000 }).read();
    expect(db.statements.slice(0, 2)).toEqual([
      "SET TRANSACTION READ ONLY",
      "SET LOCAL statement_timeout = 3000",
    ]);
  });

  it("keeps one refresh in flight; a scrape waits at most waitMs and then serves the previous snapshot", async () => {
    const db = fakeDb();
    let now = 0;
    const cache = new DbMetricsCache(db, { refreshMs: 1_000, waitMs: 50, clock: () => now });
    expect((await cache.read())?.value.breaches).toBe(2);

    db.delayMs = 300;
    db.breaches = 3;
    now = 5_000;
    const started = performance.now();
    const served = await cache.read();
    expect(performance.now() - started).toBeLessThan(250);
    expect(served?.value.breaches).toBe(2);
    expect(served?.ageSeconds).toBe(5);
    // Still running: another scrape does not start a second refresh.
    await cache.read();
    expect(db.transactions).toBe(2);

    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await cache.read())?.value.breaches).toBe(3);
  });

  it("serves nothing when the refresh fails or the snapshot is too old, and recovers", async () => {
    const db = fakeDb();
    let now = 0;
    const cache = new DbMetricsCache(db, { refreshMs: 1_000, waitMs: 20, staleMs: 60_000, clock: () => now });
    expect(await cache.read()).not.toBeNull();

    db.failing = true;
    now = 2_000;
    expect(await cache.read()).toBeNull();

    db.failing = false;
    now = 4_000;
    expect(await cache.read()).not.toBeNull();

    // A refresh that never ends (a hung connection) leaves the last snapshot until it is too old.
    db.delayMs = 1_000;
    now = 50_000;
    expect(await cache.read()).not.toBeNull();
    now = 64_000;
    expect(await cache.read()).toBeNull();
  });

  it("exposes no database series while the figures are unavailable, instead of zeros that look like resets", async () => {
    const db = fakeDb();
    const registry = new Registry();
    registerDbMetrics(registry, db, { refreshMs: 0, waitMs: 20, escalationLevels: 2 });

    const up = parsePrometheusText(await registry.metrics());
    expect(up.value("shgov_metrics_db_up")).toBe(1);
    expect(up.value("shgov_sla_breaches_total")).toBe(2);
    expect(up.value("shgov_escalations_total", { level: "1" })).toBe(5);
    expect(up.value("shgov_escalations_total", { level: "2" })).toBe(0);
    expect(up.value("shgov_cases", { status: "open", severity: "HIGH" })).toBe(3);
    expect(up.value("shgov_dispatcher_successes_total", { target: "slack" })).toBe(4);
    expect(up.value("shgov_dispatcher_retries_total", { target: "securityhub" })).toBe(6);
    // No report_runs table yet: no series.
    expect(up.series("shgov_report_periods")).toEqual([]);
    expect(db.transactions).toBe(1);

    db.failing = true;
    const down = parsePrometheusText(await registry.metrics());
    expect(down.value("shgov_metrics_db_up")).toBe(0);
    expect(down.samples.filter((sample) => sample.name !== "shgov_metrics_db_up")).toEqual([]);

    db.failing = false;
    db.reportRunsTable = true;
    const back = parsePrometheusText(await registry.metrics());
    expect(back.value("shgov_report_periods", { status: "posted" })).toBe(1);
    expect(back.value("shgov_report_periods", { status: "claimed" })).toBe(0);
  });

  it("sends notify rows to Slack and securityhub.* rows to Security Hub", () => {
    expect(dispatchTarget("notify")).toBe("slack");
    expect(dispatchTarget("securityhub.update")).toBe("securityhub");
    expect(dispatchTarget("securityhub.find_suppressor")).toBe("securityhub");
  });
});
