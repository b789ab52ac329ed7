/**
 * npm run bench:report [-- --cases 1000000 --events 5000000 --templates 5000 --runs 3 --keep]
 *
 * The weekly report over a large store, in PostgreSQL (a throwaway database on
 * BENCH_DATABASE_ADMIN_URL's server, dropped afterwards unless --keep).
 *
 * 1. Load: `--templates` cases are decided by the real engine over a year of simulated history
 *    (test/support/report-dataset.ts: openings, escalations, blocked suppressions with their
 *    attribution, exceptions, EKS upgrade dates, resolutions, re-openings) and stored as the
 *    service stores them. SQL then copies them (INSERT ... SELECT with generate_series, ids
 *    suffixed) up to `--cases` cases, and adds re-import events (finding.observed, the most common
 *    event in a real log) until the audit log holds `--events` rows. VACUUM ANALYZE, as
 *    autovacuum would have done on a live store.
 * 2. Report: a separate Node process (scripts/bench-report-run.ts, so that loading does not count
 *    in its memory) builds the report for the last 7 days and renders it in every format (JSON,
 *    Markdown, CSV, HTML with the chart PNG), `--runs` times; it prints its times and its peak RSS.
 * Targets: the report under 10 s, peak RSS under 512 MB. Ends with a one-line JSON object.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadPolicyDir } from "../src/policy/load.js";
import { openStore } from "../src/store/open.js";
import { generateHistory, storeHistory } from "../test/support/report-dataset.js";
import { createBenchDatabase } from "./bench-database.js";

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "1000000" },
    events: { type: "string", default: "5000000" },
    templates: { type: "string", default: "5000" },
    runs: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
  },
});
const CASES = Number(values.cases);
const EVENTS = Number(values.events);
const TEMPLATES = Number(values.templates);
const RUNS = Number(values.runs);
const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const UNTIL = "2026-11-30T12:00:00.000Z";
const log = (message: string) => process.stderr.write(`bench:report: ${message}\n`);

const database = await createBenchDatabase(
  ADMIN_DATABASE_URL,
  `shgov_bench_report_${randomBytes(4).toString("hex")}`,
);
try {
  const loadStarted = performance.now();
  const policy = await loadPolicyDir("workflows");
  const templates = generateHistory(policy, {
    seed: 7,
    cases: TEMPLATES,
    until: UNTIL,
    weeksBack: 52,
    afterUntilMs: 0,
  });
  const db = await openStore({ databaseUrl: database.url, dataDir: "unused" });
  await storeHistory(db, templates);
  await db.close();
  log(`${templates.length} template cases decided by the engine and stored`);

  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  // The templates as stored, numbered; copy g of template rn becomes case number g * T + rn.
  await client.query("CREATE TABLE tpl_cases AS SELECT *, row_number() OVER (ORDER BY id) AS rn FROM cases");
  await client.query("CREATE TABLE tpl_events AS SELECT * FROM audit_events");
  const copies = Math.ceil(CASES / templates.length);
  const STEP = 20;
  for (let first = 1; first < copies; first += STEP) {
    const last = Math.min(first + STEP - 1, copies - 1);
    const params = [first, last, templates.length, CASES];
    await client.query(
      `INSERT INTO cases (id, control_id, severity, title, account_id, region, resource_id, owner_team,
         counterpart_team, status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head,
         upgrade_deadline, upgrade_date_agreed, eks_version, exception_expires_at, state)
       SELECT t.id || '/' || g, t.control_id, t.severity, t.title, t.account_id, t.region, t.resource_id || '/' || g,
              t.owner_team, t.counterpart_team, t.status, t.sla_due_at, t.next_due_at, t.opened_at, t.updated_at,
              t.version, t.audit_head, t.upgrade_deadline, t.upgrade_date_agreed, t.eks_version,
              t.exception_expires_at,
              jsonb_set(jsonb_set(t.state, '{id}', to_jsonb(t.id || '/' || g)), '{resourceId}', to_jsonb(t.resource_id || '/' || g))
         FROM tpl_cases t CROSS JOIN generate_series($1::int, $2::int) AS g
        WHERE g * $3::bigint + t.rn <= $4`,
      params,
    );
    await client.query(
      `INSERT INTO audit_events (case_id, seq, type, actor, at, reason, data, prev_hash, hash)
       SELECT e.case_id || '/' || g, e.seq, e.type, e.actor, e.at, e.reason, e.data, e.prev_hash, e.hash
         FROM tpl_events e JOIN tpl_cases t ON t.id = e.case_id CROSS JOIN generate_series($1::int, $2::int) AS g
        WHERE g * $3::bigint + t.rn <= $4`,
      params,
    );
    log(`copies ${first}-${last} of ${copies - 1} loaded`);
  }
  await client.query("DROP TABLE tpl_cases, tpl_events");
  const counted = await client.query<{ events: string }>("SELECT count(*) AS events FROM audit_events");
  let missing = EVENTS - Number(counted.rows[0]?.events ?? 0);
  if (missing < 0) {
    // More than asked: drop re-imports of the last copies (the report counts none of them).
    await client.query(
      `DELETE FROM audit_events WHERE id IN
         (SELECT id FROM audit_events WHERE type = 'finding.observed' ORDER BY id DESC LIMIT $1)`,
      [-missing],
    );
    missing = 0;
  }
  // Re-imports: one finding.observed per case and round, from seq 1000 on, until the log is full.
  for (let round = 0; missing > 0; round += 1) {
    const inserted = await client.query(
      `INSERT INTO audit_events (case_id, seq, type, actor, at, reason, data, prev_hash, hash)
       SELECT c.id, 1000 + $1, 'finding.observed', 'aws:securityhub', c.opened_at + make_interval(days => $1 + 1),
              NULL, jsonb_build_object('observationKey', md5(c.id || $1), 'eventId', md5(c.id), 'stale', false,
                'ownUpdate', false, 'severity', c.severity, 'title', c.title, 'customAction', NULL,
                'detailType', 'Security Hub Findings - Imported',
                'version', c.state->'latest'),
              NULL, md5(c.id || 'x' || $1)
         FROM cases c ORDER BY c.id LIMIT $2`,
      [round, missing],
    );
    missing -= inserted.rowCount ?? 0;
  }
  await client.query("VACUUM ANALYZE");
  const sizes = await client.query<{ cases: string; events: string; mb: string }>(
    `SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM audit_events) AS events,
            round(pg_database_size(current_database()) / 1048576.0) AS mb`,
  );
  await client.end();
  const loaded = sizes.rows[0];
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  log(
    `loaded ${loaded?.cases} cases, ${loaded?.events} audit events, ${loaded?.mb} MB in ${loadSeconds.toFixed(0)} s`,
  );

  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/bench-report-run.ts", "--until", UNTIL, "--runs", String(RUNS)],
    {
      env: { ...process.env, DATABASE_URL: database.url },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  if (child.status !== 0) throw new Error(`the report run failed (exit ${child.status})`);
  const lastLine = child.stdout.trim().split("\n").at(-1) ?? "{}";
  const run = JSON.parse(lastLine) as {
    report_ms: number[];
    query_ms: number[];
    render_ms: number[];
    peak_rss_mb: number;
    open: number;
    closed: number;
  };
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  const figures = {
    bench: "report",
    store: "postgres",
    cases: Number(loaded?.cases),
    audit_events: Number(loaded?.events),
    database_mb: Number(loaded?.mb),
    runs: RUNS,
    report_ms_median: Math.round(median(run.report_ms)),
    report_ms_max: Math.round(Math.max(...run.report_ms)),
    query_ms_median: Math.round(median(run.query_ms)),
    render_ms_median: Math.round(median(run.render_ms)),
    peak_rss_mb: run.peak_rss_mb,
    target_ms: 10_000,
    target_rss_mb: 512,
    within_targets: Math.max(...run.report_ms) < 10_000 && run.peak_rss_mb < 512,
    open_cases: run.open,
    closed_in_period: run.closed,
    load_s: Math.round(loadSeconds),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  if (values.keep) log(`kept ${database.url}`);
  else await database.drop();
}
