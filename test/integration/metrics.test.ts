import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "../../src/demo/redis-server.js";
import { recordReportRun } from "../../src/metrics/registry.js";
import type { Database } from "../../src/store/database.js";
import { asffEvent } from "../support/events.js";
import { postEvent } from "../support/http.js";
import { type PromText, scrape } from "../support/prometheus.js";
import { startTestService, TEST_API_KEY, type TestService } from "../support/service.js";

/**
 * GET /metrics through the real service: intake counters against the answers given, the queue
 * against the jobs left waiting (no worker runs), and the database figures against rows put in
 * the store. The database figures are read at every scrape here (metricsDb.refreshMs 0).
 */
let t: TestService;

beforeAll(async () => {
  t = await startTestService({
    roles: { http: true, worker: false },
    options: { metricsDb: { refreshMs: 0 } },
  });
});
afterAll(async () => {
  await t?.stop();
});

/** The change of one sample between two scrapes; a sample missing from either fails. */
function delta(before: PromText, after: PromText, name: string, labels: Record<string, string> = {}) {
  const a = before.value(name, labels);
  const b = after.value(name, labels);
  if (a === undefined || b === undefined) throw new Error(`${name} ${JSON.stringify(labels)} is missing`);
  return b - a;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("GET /metrics", () => {
  it("answers in the text format, unauthenticated, with typed families and the replica advice in HELP", async () => {
    const metrics = await scrape(t.url);
    expect(metrics.status).toBe(200);
    expect(metrics.types.get("shgov_events_accepted_total")).toBe("counter");
    expect(metrics.types.get("shgov_events_rejected_total")).toBe("counter");
    expect(metrics.types.get("shgov_queue_jobs")).toBe("gauge");
    expect(metrics.types.get("shgov_cases")).toBe("gauge");
    expect(metrics.types.get("shgov_sla_breaches_total")).toBe("counter");
    expect(metrics.types.get("shgov_escalations_total")).toBe("counter");
    expect(metrics.types.get("shgov_dispatcher_retries_total")).toBe("counter");
    expect(metrics.types.get("shgov_report_runs_total")).toBe("counter");
    expect(metrics.types.get("shgov_report_periods")).toBe("gauge");
    expect(metrics.help.get("shgov_cases")).toMatch(/aggregate with max, not sum/);
    expect(metrics.help.get("shgov_events_accepted_total")).toMatch(/Per process/);
    // prom-client's default process metrics, under the service's prefix.
    expect(metrics.value("shgov_process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(metrics.series("shgov_nodejs_heap_size_total_bytes").length).toBeGreaterThan(0);
    expect(metrics.value("shgov_queue_up")).toBe(1);
    expect(metrics.value("shgov_metrics_db_up")).toBe(1);
  });

  it("counts accepted and rejected events by reason, and the queue holds the accepted ones", async () => {
    const before = await scrape(t.url);
    const accept = async (id: string, eventId: string) => {
      const result = await postEvent(t.url, asffEvent({ id }, eventId), { apiKey: TEST_API_KEY });
      expect(result.status).toBe(202);
    };
    await accept("arn:test:metrics:first", "aaaaaaaa-0000-0000-0000-000000000001");
    // The first job waits at least this long before the scrape: the oldest age must show it.
    await sleep(1_200);
    await accept("arn:test:metrics:second", "aaaaaaaa-0000-0000-0000-000000000002");

    const valid = asffEvent({ id: "arn:test:metrics:rejected" });
    expect((await postEvent(t.url, valid, { apiKey: null })).status).toBe(401);
    expect((await postEvent(t.url, valid, { apiKey: "wrong-key" })).status).toBe(401);
    expect((await postEvent(t.url, null, { apiKey: TEST_API_KEY, raw: "{not json" })).status).toBe(400);
    expect((await postEvent(t.url, valid, { apiKey: TEST_API_KEY, contentType: "text/plain" })).status).toBe(
      415,
    );
    expect((await postEvent(t.url, {}, { apiKey: TEST_API_KEY })).status).toBe(400);
    expect((await postEvent(t.url, null, { apiKey: TEST_API_KEY, raw: "x".repeat(1_100_000) })).status).toBe(
      413,
    );

    const after = await scrape(t.url);
    expect(delta(before, after, "shgov_events_accepted_total")).toBe(2);
    const rejected = (reason: string) => delta(before, after, "shgov_events_rejected_total", { reason });
    expect(rejected("unauthorized")).toBe(2);
    expect(rejected("invalid_json")).toBe(1);
    expect(rejected("unsupported_media_type")).toBe(1);
    expect(rejected("invalid_event")).toBe(1);
    expect(rejected("too_large")).toBe(1);
    expect(rejected("queue_unavailable")).toBe(0);
    expect(rejected("store_unavailable")).toBe(0);

    expect(after.value("shgov_queue_up")).toBe(1);
    expect(after.value("shgov_queue_jobs", { state: "waiting" })).toBe(2);
    expect(after.value("shgov_queue_jobs", { state: "active" })).toBe(0);
    expect(after.value("shgov_queue_jobs", { state: "delayed" })).toBe(0);
    expect(after.value("shgov_queue_jobs", { state: "failed" })).toBe(0);
    const age = after.value("shgov_queue_oldest_waiting_age_seconds") ?? 0;
    expect(age).toBeGreaterThanOrEqual(1.2);
    expect(age).toBeLessThan(60);
  });

  it("reports cases by status and severity as they are in the store", async () => {
    const rows: [string, string, number][] = [
      ["open", "HIGH", 2],
      ["breached", "CRITICAL", 1],
      ["resolved", "LOW", 3],
      ["awaiting_date", "MEDIUM", 1],
    ];
    let n = 0;
    for (const [status, severity, count] of rows)
      for (let i = 0; i < count; i++)
        await insertCase(t.service.db, `arn:test:case:${n++}`, status, severity);

    const metrics = await scrape(t.url);
    const cases = metrics.series("shgov_cases");
    for (const sample of cases) {
      const expected = rows.find(([s, v]) => s === sample.labels.status && v === sample.labels.severity);
      expect(sample.value, JSON.stringify(sample.labels)).toBe(expected?.[2] ?? 0);
    }
    // Every status × severity is there, at 0 when no case has it.
    expect(cases).toHaveLength(6 * 5);
  });

  it("derives SLA breaches and escalations by level from the audit log", async () => {
    const events: [string, Record<string, unknown>][] = [
      ["sla.breached", { dueAt: "2026-11-01T00:00:00.000Z" }],
      ["sla.breached", { dueAt: "2026-11-02T00:00:00.000Z" }],
      ["escalated", { level: 1, notify: ["platform"] }],
      ["escalated", { level: 1, notify: ["platform"] }],
      ["escalated", { level: 1, notify: ["platform"] }],
      ["escalated", { level: 2, notify: ["security"] }],
      // A level the policy no longer has (it was shortened): still counted, under its own label.
      ["escalated", { level: 4, notify: ["leadership"] }],
      ["case.opened", {}],
      ["finding.observed", {}],
    ];
    for (const [index, [type, data]] of events.entries())
      await insertAudit(t.service.db, `arn:test:audit:${index % 3}`, index, type, data);

    const metrics = await scrape(t.url);
    expect(metrics.value("shgov_sla_breaches_total")).toBe(2);
    expect(metrics.value("shgov_escalations_total", { level: "1" })).toBe(3);
    expect(metrics.value("shgov_escalations_total", { level: "2" })).toBe(1);
    // The default policy's ladder has three levels: each is there from the start.
    expect(metrics.value("shgov_escalations_total", { level: "3" })).toBe(0);
    expect(metrics.value("shgov_escalations_total", { level: "4" })).toBe(1);
  });

  it("derives dispatcher successes, failures and retries per target from the outbox", async () => {
    // [kind, status, attempts, rows]
    const rows: [string, string, number, number][] = [
      ["notify", "done", 1, 2],
      ["notify", "done", 3, 1],
      ["notify", "failed", 2, 1],
      ["notify", "pending", 0, 1],
      ["notify", "pending", 4, 1],
      ["securityhub.update", "done", 1, 1],
      ["securityhub.update", "failed", 1, 1],
      ["securityhub.update", "superseded", 0, 1],
      ["securityhub.update", "dry_run", 1, 1],
      ["securityhub.find_suppressor", "done", 2, 1],
      ["securityhub.find_suppressor", "failed", 8, 1],
    ];
    let key = 0;
    for (const [kind, status, attempts, count] of rows)
      for (let i = 0; i < count; i++)
        await insertOutboxRow(t.service.db, `k${key++}`, kind, status, attempts);

    const metrics = await scrape(t.url);
    expect(metrics.value("shgov_dispatcher_successes_total", { target: "slack" })).toBe(3);
    expect(metrics.value("shgov_dispatcher_failures_total", { target: "slack" })).toBe(1);
    expect(metrics.value("shgov_dispatcher_retries_total", { target: "slack" })).toBe(2 + 1 + 3);
    expect(metrics.value("shgov_dispatcher_successes_total", { target: "securityhub" })).toBe(2);
    expect(metrics.value("shgov_dispatcher_failures_total", { target: "securityhub" })).toBe(2);
    expect(metrics.value("shgov_dispatcher_retries_total", { target: "securityhub" })).toBe(1 + 7);
    expect(metrics.value("shgov_outbox_rows", { target: "slack", kind: "notify", status: "pending" })).toBe(
      2,
    );
    expect(
      metrics.value("shgov_outbox_rows", {
        target: "securityhub",
        kind: "securityhub.update",
        status: "superseded",
      }),
    ).toBe(1);
    expect(metrics.series("shgov_outbox_rows").reduce((sum, sample) => sum + sample.value, 0)).toBe(12);
  });

  it("reads report periods from report_runs, and counts the report runs this process records", async () => {
    const before = await scrape(t.url);
    const statuses = ["claimed", "posted", "posted", "failed"];
    for (const [index, status] of statuses.entries()) await insertReportRun(t.service.db, index, status);
    recordReportRun("posted");
    recordReportRun("skipped");
    recordReportRun("skipped");

    const after = await scrape(t.url);
    expect(after.value("shgov_report_periods", { status: "claimed" })).toBe(1);
    expect(after.value("shgov_report_periods", { status: "posted" })).toBe(2);
    expect(after.value("shgov_report_periods", { status: "failed" })).toBe(1);
    expect(delta(before, after, "shgov_report_runs_total", { outcome: "posted" })).toBe(1);
    expect(delta(before, after, "shgov_report_runs_total", { outcome: "skipped" })).toBe(2);
    expect(delta(before, after, "shgov_report_runs_total", { outcome: "failed" })).toBe(0);
  });
});

describe("GET /metrics while Redis is away", () => {
  // This test stops Redis, so it runs its own redis-server and never touches the shared one.
  let redis: PrivateRedis;
  let down: TestService;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    down = await startTestService({
      redisUrl: redis.url,
      roles: { http: true, worker: false },
      options: { metricsDb: { refreshMs: 0 } },
    });
  });
  afterAll(async () => {
    await down?.stop();
    await redis?.stop();
  });

  it("answers within about a second with shgov_queue_up 0 when Redis hangs, and again when it is gone", async () => {
    expect((await scrape(down.url)).value("shgov_queue_up")).toBe(1);

    // A Redis that accepts connections but never answers: the scrape gives up after 1 s.
    process.kill(redis.process.pid as number, "SIGSTOP");
    try {
      const hung = await scrape(down.url);
      expect(hung.status).toBe(200);
      expect(hung.ms).toBeLessThan(3_000);
      expect(hung.value("shgov_queue_up")).toBe(0);
      expect(hung.series("shgov_queue_jobs")).toEqual([]);
      expect(hung.series("shgov_queue_oldest_waiting_age_seconds")).toEqual([]);
      expect(hung.value("shgov_metrics_db_up")).toBe(1);
    } finally {
      process.kill(redis.process.pid as number, "SIGCONT");
    }

    await redis.stop();
    const before = await scrape(down.url);
    expect(before.ms).toBeLessThan(3_000);
    expect(before.value("shgov_queue_up")).toBe(0);
    expect(before.series("shgov_queue_jobs")).toEqual([]);
    expect(before.value("shgov_cases", { status: "open", severity: "HIGH" })).toBe(0);

    const refused = await postEvent(down.url, asffEvent({ id: "arn:test:metrics:down" }), {
      apiKey: TEST_API_KEY,
    });
    expect(refused.status).toBe(503);
    const after = await scrape(down.url);
    expect(delta(before, after, "shgov_events_rejected_total", { reason: "queue_unavailable" })).toBe(1);
    expect(delta(before, after, "shgov_events_accepted_total")).toBe(0);
  });
});

describe("GET /metrics with METRICS_TOKEN", () => {
  let guarded: TestService;
  beforeAll(async () => {
    guarded = await startTestService({
      roles: { http: true, worker: false },
      env: { METRICS_TOKEN: "scrape-me" },
    });
  });
  afterAll(async () => guarded?.stop());

  it("asks for the token as a bearer token, and answers the scraper that sends it", async () => {
    const anonymous = await fetch(`${guarded.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain("shgov_");
    const wrong = await fetch(`${guarded.url}/metrics`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const scraper = await fetch(`${guarded.url}/metrics`, { headers: { authorization: "Bearer scrape-me" } });
    expect(scraper.status).toBe(200);
    expect(await scraper.text()).toContain("shgov_events_accepted_total");
  });
});

async function insertCase(db: Database, id: string, status: string, severity: string): Promise<void> {
  await db.query(
    `INSERT INTO cases (id, severity, title, account_id, region, owner_team, counterpart_team, status,
                        opened_at, updated_at, version, audit_head, state)
     VALUES ($1, $2, 'a case', '111111111111', 'us-east-1', 'platform', 'security', $3, now(), now(), 1, 'x', '{}')`,
    [id, severity, status],
  );
}

async function insertAudit(
  db: Database,
  caseId: string,
  seq: number,
  type: string,
  data: Record<string, unknown>,
): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (case_id, seq, type, actor, at, data, hash)
     VALUES ($1, $2, $3, 'test', now(), $4::jsonb, 'x')`,
    [caseId, seq, type, JSON.stringify(data)],
  );
}

async function insertOutboxRow(
  db: Database,
  key: string,
  kind: string,
  status: string,
  attempts: number,
): Promise<void> {
  await db.query(
    `INSERT INTO outbox (key, case_id, kind, payload, status, attempts, available_at, created_at)
     VALUES ($1, 'arn:test:outbox', $2, '{}', $3, $4, now(), now())`,
    [key, kind, status, attempts],
  );
}

async function insertReportRun(db: Database, index: number, status: string): Promise<void> {
  await db.query(
    `INSERT INTO report_runs (period_key, since, until, channel, status, claimed_at, claimed_by, token)
     VALUES ($1, now() - interval '7 days', now(), 'C0SECURITY', $2, now(), 'test', $3)`,
    [`2026-11-${String(index + 10)}T09:00:00.000Z`, status, `token-${index}`],
  );
}
