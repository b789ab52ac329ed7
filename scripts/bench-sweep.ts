/**
 * npm run bench:sweep [-- --large 1000000 --small 10000 --due 1000 --runs 5 --warmup 1 --chunk 10000 --jobs 2 --keep]
 *
 * Runs against PostgreSQL: two throwaway databases on BENCH_DATABASE_ADMIN_URL's server, one with
 * `--small` cases and one with `--large`, each with exactly `--due` of them due at the sweep's
 * `now`. Both are migrated by openStore and dropped afterwards (kept with --keep).
 *
 * 1. Load: one real case is made by the engine (decide + applyEvents on an ASFF-like S3.8 finding,
 *    HIGH, routed by the default rule: a plain SLA case) together with its audit rows. Its state
 *    and audit rows become text templates in which the finding id and every timestamp are tokens;
 *    INSERT ... SELECT from generate_series fills them in per case (an md5-derived id, a per-case
 *    time shift) and chains the audit hashes with sha256 exactly as src/store/audit-log.ts does,
 *    so every case's audit chain verifies (checked on samples) and the sweep appends at
 *    seq = version + 1 onto it. Three kinds of case: due (the 50% escalation step fell due within
 *    the hour before `now`; the 75% one is 7.5 days later), waiting (the 50% step 1 min to 14 days
 *    after `now`) and resolved (one in four of the rest: next_due_at NULL, outside the partial
 *    index). findings, observations and outbox start empty: the sweep reads none of them.
 * 2. Sweep: sweepDueCases(db, policy, now) on each database, `--warmup` runs not counted, then
 *    `--runs` runs, interleaved small and large. Before each run the due cases are put back as
 *    loaded (their rows restored, the audit and outbox rows the sweep added deleted), then VACUUM
 *    and CHECKPOINT, so every run starts from the same state, and pays the full-page writes a
 *    sweep pays when it touches pages for the first time since a checkpoint. Autovacuum is off on
 *    the bench tables so it cannot run during a sweep. The time is split by statement (the
 *    database handed to the sweep is wrapped, src/ is unchanged) and the WAL written is measured.
 * 3. The sweep's selection query alone (its first page), timed on both, with its plan.
 * Prints the median sweep time of each size, their ratio (target: near 1, the sweep's cost follows
 * the due cases, not all cases), the query times, the plans on stderr, and last a one-line JSON object.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import type { Case, CaseEvent } from "../src/engine/case.js";
import { applyEvents, decide } from "../src/engine/decide.js";
import type { Finding } from "../src/engine/finding.js";
import type { Policy } from "../src/engine/policy.js";
import { nextDueAt } from "../src/engine/timers.js";
import { canonicalJson } from "../src/lib/canonical-json.js";
import { loadPolicyDir } from "../src/policy/load.js";
import { sweepDueCases } from "../src/shell/sweep.js";
import { type AuditContent, type AuditRow, auditRows } from "../src/store/audit-log.js";
import { verifyAudit } from "../src/store/audit-verify.js";
import type { Database, Sql } from "../src/store/database.js";
import { openStore } from "../src/store/open.js";
import { finding, observed } from "../test/support/engine.js";
import { createBenchDatabase } from "./bench-database.js";

const { values } = parseArgs({
  options: {
    small: { type: "string", default: "10000" },
    large: { type: "string", default: "1000000" },
    due: { type: "string", default: "1000" },
    runs: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    chunk: { type: "string", default: "10000" },
    jobs: { type: "string", default: "2" },
    "query-runs": { type: "string", default: "21" },
    keep: { type: "boolean", default: false },
  },
});
const SMALL = Number(values.small);
const LARGE = Number(values.large);
const DUE = Number(values.due);
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);
const CHUNK = Number(values.chunk);
const JOBS = Number(values.jobs);
const QUERY_RUNS = Number(values["query-runs"]);
const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const run = randomBytes(4).toString("hex");
/** The sweep's own page size (src/shell/sweep.ts), for the query timed alone. */
const SWEEP_PAGE_SIZE = 500;
/** The instant of every sweep; fixed, so both databases and every run see the same due set. */
const NOW = new Date("2026-12-01T12:00:00.000Z");

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const log = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const ms = (x: number) => x.toFixed(1);

// ---------------------------------------------------------------------------------------------
// Templates: one real case, made by the engine, with its id and timestamps turned into tokens.

const ID_PREFIX = "arn:aws:securityhub:us-east-1:111111111111:security-control/S3.8/finding/";
const TEMPLATE_KEY = "feedfacefeedfacefeedfacefeedface";
const uuidOf = (key: string) =>
  `${key.slice(0, 8)}-${key.slice(8, 12)}-${key.slice(12, 16)}-${key.slice(16, 20)}-${key.slice(20)}`;
const TEMPLATE_ID = `${ID_PREFIX}${uuidOf(TEMPLATE_KEY)}`;
/** The template case's first observation; every timestamp in it is this plus an offset. */
const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

interface TemplateEvent {
  seq: number;
  type: string;
  actor: string;
  reason: string | null;
  atOffset: number;
  /** The audit row's data, as JSON text with tokens. */
  data: string;
  /** canonicalJson of the audit row's hashed content, with tokens: what auditHash hashes after `prev\n`. */
  canonical: string;
}

interface Template {
  kind: string;
  /** The case state as JSON text with tokens. */
  state: string;
  /** cases.next_due_at as an offset from T0, or null. */
  nextDueOffset: number | null;
  events: TemplateEvent[];
  /** Every time offset that occurs as a token. */
  offsets: number[];
}

function tokenize(text: string, offsets: Set<number>): string {
  const out = text
    .replaceAll(TEMPLATE_ID, "@@ID@@")
    .replaceAll(TEMPLATE_KEY, "@@KEY@@")
    .replace(ISO, (stamp) => {
      const offset = Date.parse(stamp) - T0;
      if (offset < 0 || offset > 90 * DAY) throw new Error(`unexpected timestamp ${stamp} in the template`);
      offsets.add(offset);
      return `@@T${offset}@@`;
    });
  if (/\d{4}-\d{2}-\d{2}/.test(out) || out.includes("feedface")) {
    throw new Error(`the template holds a date or id that would not be substituted: ${out}`);
  }
  return out;
}

function template(kind: string, state: Case, events: CaseEvent[], policy: Policy): Template {
  const offsets = new Set<number>();
  const rows = auditRows(state.id, 1, null, events);
  const due = nextDueAt(state, policy);
  return {
    kind,
    state: tokenize(JSON.stringify(state), offsets),
    nextDueOffset: due === null ? null : Date.parse(due) - T0,
    events: rows.map((row) => ({
      seq: row.seq,
      type: row.type,
      actor: row.actor,
      reason: row.reason,
      atOffset: Date.parse(row.at) - T0,
      data: tokenize(JSON.stringify(row.data), offsets),
      // What auditHash covers: the row without its hashes.
      canonical: tokenize(canonicalJson(auditContent(row)), offsets),
    })),
    offsets: [...offsets].sort((a, b) => a - b),
  };
}

function templates(policy: Policy): { open: Template; resolved: Template } {
  const at = (offset: number) => new Date(T0 + offset).toISOString();
  const f: Finding = finding({
    id: TEMPLATE_ID,
    title: "S3 general purpose buckets should block public access",
    generatorId: "security-control/S3.8",
    controlId: "S3.8",
    severity: "HIGH",
    resources: [
      {
        type: "AwsS3Bucket",
        id: `arn:aws:s3:::bench-${TEMPLATE_KEY}`,
        region: "us-east-1",
        tags: {},
        details: null,
      },
    ],
    firstObservedAt: at(0),
    createdAt: at(0),
    updatedAt: at(HOUR),
    processedAt: at(HOUR + 5_000),
  });
  const opened = decide(null, observed(f), policy, new Date(T0 + HOUR + 10_000));
  const open = applyEvents(null, opened.events);
  if (open?.status !== "open" || !open.sla) throw new Error("the template finding opened no SLA case");
  const passed = {
    ...f,
    complianceStatus: "PASSED" as const,
    updatedAt: at(3 * DAY),
    processedAt: at(3 * DAY + 5_000),
  };
  const fixed = decide(open, observed(passed), policy, new Date(T0 + 3 * DAY + 10_000));
  const resolved = applyEvents(open, fixed.events);
  if (resolved?.status !== "resolved") throw new Error("the template case did not resolve");
  const openTemplate = template("open", open, opened.events, policy);
  const resolvedTemplate = template("resolved", resolved, [...opened.events, ...fixed.events], policy);
  if (openTemplate.nextDueOffset === null || resolvedTemplate.nextDueOffset !== null) {
    throw new Error("expected an open case with a next due time and a resolved one without");
  }
  // The sweep at NOW must fire the first step only: the next one must lie beyond the spread of due times.
  const nextStep = policy.escalation[1];
  if (!nextStep || (nextStep.at - (policy.escalation[0]?.at ?? 0)) * open.sla.durationMs < 2 * HOUR) {
    throw new Error("the policy's escalation ladder is not the one this bench expects");
  }
  return { open: openTemplate, resolved: resolvedTemplate };
}

// ---------------------------------------------------------------------------------------------
// Loading: INSERT ... SELECT from generate_series, templates filled in by SQL.

const isoSql = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const plusMs = (base: string, offset: number | string) =>
  `(${base} + (${offset})::bigint * interval '1 millisecond')`;

/**
 * Case i (1..n) is due when i is a multiple of n/due (scattered over the table); of the others,
 * one in four is resolved. `hash` spreads the rest over time, deterministically.
 */
function layout(n: number, due: number) {
  const stride = Math.floor(n / due);
  const isDue = `(g.i % ${stride} = 0 AND g.i / ${stride} <= ${due})`;
  const hash = "(hashint4(g.i)::bigint & 2147483647)";
  return { stride, isDue, isResolved: `(NOT ${isDue} AND g.i % 4 = 1)`, hash };
}

function insertStatement(
  t: Template,
  where: string,
  /** Milliseconds from NOW to the case's T0 (its first observation), as SQL over g.i. */
  baseFromNow: string,
): { text: string; params: (p: { lo: number; hi: number }) => unknown[] } {
  const fixed: unknown[] = [];
  const param = (value: unknown) => {
    fixed.push(value);
    return `$${fixed.length + 3}`;
  };
  // The text split at its tokens, put back together with the case's values: no searching in SQL.
  const fill = (text: string) =>
    `(${text
      .split(/@@(ID|KEY|T\d+)@@/)
      .map((piece, index) => {
        if (index % 2 === 0) return `${param(piece)}::text`;
        if (piece === "ID") return "s.id";
        if (piece === "KEY") return "s.key";
        return `s.t${t.offsets.indexOf(Number(piece.slice(1)))}`;
      })
      .join(" || ")})`;
  const filled = [`${fill(t.state)} AS state`];
  t.events.forEach((e, k) => {
    filled.push(`${fill(e.canonical)} AS c${k}`, `${fill(e.data)} AS d${k}`);
  });
  const hashes = t.events.map(
    (_, k) =>
      `CROSS JOIN LATERAL (SELECT encode(sha256(convert_to(${k === 0 ? "''" : `h${k - 1}.h`} || E'\\n' || f.c${k}, 'UTF8')), 'hex') AS h) AS h${k}`,
  );
  const last = t.events.length - 1;
  const auditValues = t.events.map(
    (e, k) =>
      `(${e.seq}, ${param(e.type)}::text, ${param(e.actor)}::text, ${plusMs("h.base", e.atOffset)}, ${param(e.reason)}::text, h.d${k}, ${k === 0 ? "NULL::text" : `h.h${k - 1}`}, h.h${k})`,
  );
  const nextDue = t.nextDueOffset === null ? "NULL::timestamptz" : plusMs("h.base", t.nextDueOffset);
  const text = `
    WITH src AS MATERIALIZED (
      SELECT k.key, '${ID_PREFIX}' || substr(k.key, 1, 8) || '-' || substr(k.key, 9, 4) || '-' || substr(k.key, 13, 4)
               || '-' || substr(k.key, 17, 4) || '-' || substr(k.key, 21, 12) AS id,
             b.base, ${t.offsets.map((offset, k) => `${isoSql(plusMs("b.base", offset))} AS t${k}`).join(", ")}
        FROM generate_series($1::integer, $2::integer) AS g(i)
        CROSS JOIN LATERAL (SELECT md5('shgov-bench-sweep-' || g.i) AS key,
                                   ${plusMs("$3::timestamptz", baseFromNow)} AS base) AS k
        CROSS JOIN LATERAL (SELECT k.base) AS b
       WHERE ${where}
    ), filled AS MATERIALIZED (
      SELECT s.id, s.base, ${filled.join(", ")} FROM src AS s
    ), hashed AS (
      SELECT f.*, ${t.events.map((_, k) => `h${k}.h AS h${k}`).join(", ")}
        FROM filled AS f ${hashes.join(" ")}
    ), new_cases AS (
      INSERT INTO cases (id, control_id, severity, title, account_id, region, resource_id, owner_team,
        counterpart_team, status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head, state)
      SELECT h.id, st->>'controlId', st->>'severity', st->>'title', st->>'accountId', st->>'region',
             st->>'resourceId', st->>'owner', st->>'counterpart', st->>'status', (st->>'slaDueAt')::timestamptz,
             ${nextDue}, (st->>'openedAt')::timestamptz, (st->>'updatedAt')::timestamptz,
             (st->>'version')::integer, h.h${last}, st
        FROM hashed AS h CROSS JOIN LATERAL (SELECT h.state::jsonb AS st) AS j
    )
    INSERT INTO audit_events (case_id, seq, type, actor, at, reason, data, prev_hash, hash)
    SELECT h.id, e.seq, e.type, e.actor, e.at, e.reason, e.data::jsonb, e.prev_hash, e.hash
      FROM hashed AS h
      CROSS JOIN LATERAL (VALUES ${auditValues.join(", ")}) AS e(seq, type, actor, at, reason, data, prev_hash, hash)`;
  return { text, params: ({ lo, hi }) => [lo, hi, NOW.toISOString(), ...fixed] };
}

function progress(label: string, total: number) {
  const started = performance.now();
  let shown = 0;
  return (done: number) => {
    const now = performance.now();
    if (done < total && now - shown < 2_000) return;
    shown = now;
    const seconds = (now - started) / 1000;
    note(
      `  ${label}: ${done}/${total} cases (${seconds.toFixed(1)} s, ${Math.round(done / seconds)} cases/s)`,
    );
  };
}

async function load(url: string, n: number, policy: Policy, label: string): Promise<number> {
  const { open, resolved } = templates(policy);
  const { stride, isDue, isResolved, hash } = layout(n, DUE);
  const gap = Math.floor(HOUR / DUE);
  const openOffset = open.nextDueOffset as number;
  // Due: the 50% step fell due j * gap ms before NOW (j = 1..due, so within the last hour).
  // Waiting: it falls due 1 min to 14 days after NOW. Resolved: first seen 10 to 60 days ago.
  const openStatement = insertStatement(
    open,
    `NOT ${isResolved}`,
    `CASE WHEN ${isDue} THEN -(g.i::bigint / ${stride}) * ${gap} - ${openOffset}
          ELSE ${MINUTE} + ${hash} % ${14 * DAY} - ${openOffset} END`,
  );
  const resolvedStatement = insertStatement(resolved, isResolved, `-${60 * DAY} + ${hash} % ${50 * DAY}`);
  const started = performance.now();
  const show = progress(`load ${label}`, n);
  let next = 1;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(JOBS, Math.ceil(n / CHUNK)) }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query("SET work_mem = '256MB'");
        await client.query("SET synchronous_commit = off");
        while (next <= n) {
          const lo = next;
          const hi = Math.min(n, lo + CHUNK - 1);
          next = hi + 1;
          await client.query(openStatement.text, openStatement.params({ lo, hi }));
          await client.query(resolvedStatement.text, resolvedStatement.params({ lo, hi }));
          done += hi - lo + 1;
          show(done);
        }
      } finally {
        await client.end();
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

function auditContent({ prevHash: _prev, hash: _hash, ...content }: AuditRow): AuditContent {
  return content;
}

// ---------------------------------------------------------------------------------------------
// Databases, resets, measurements.

interface Bench {
  label: string;
  cases: number;
  url: string;
  db: Database;
  drop(): Promise<void>;
}

function createDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  return createBenchDatabase(ADMIN_DATABASE_URL, `shgov_bench_sweep_${run}_${label}`);
}

const count = async (db: Database, sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: string }>(sql, params))[0]?.n);
const countDue = (db: Database) =>
  count(db, "SELECT count(*) AS n FROM cases WHERE next_due_at <= $1", [NOW.toISOString()]);

async function prepare(bench: Bench, policy: Policy): Promise<number> {
  const { db } = bench;
  for (const table of ["cases", "audit_events", "outbox"]) {
    await db.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
  }
  const seconds = await load(bench.url, bench.cases, policy, bench.label);
  const vacuumStarted = performance.now();
  await db.query("VACUUM (ANALYZE, INDEX_CLEANUP ON) cases, audit_events, outbox");
  await db.query("CHECKPOINT");
  const [cases, audit, due, indexed] = await Promise.all([
    count(db, "SELECT count(*) AS n FROM cases"),
    count(db, "SELECT count(*) AS n FROM audit_events"),
    countDue(db),
    count(db, "SELECT count(*) AS n FROM cases WHERE next_due_at IS NOT NULL"),
  ]);
  if (cases !== bench.cases || due !== DUE) {
    throw new Error(
      `${bench.label}: loaded ${cases} cases with ${due} due, expected ${bench.cases} and ${DUE}`,
    );
  }
  const size = (
    await db.query<{ cases: string; audit: string; next_due: string }>(
      `SELECT pg_size_pretty(pg_total_relation_size('cases')) AS cases,
            pg_size_pretty(pg_total_relation_size('audit_events')) AS audit,
            pg_size_pretty(pg_relation_size('cases_next_due')) AS next_due`,
    )
  )[0];
  log(
    `${bench.label}: ${cases} cases (${indexed} with a next due time, ${due} due), ${audit} audit rows; ` +
      `cases ${size?.cases}, audit_events ${size?.audit}, cases_next_due ${size?.next_due}; ` +
      `loaded in ${seconds.toFixed(1)} s, VACUUM ANALYZE ${((performance.now() - vacuumStarted) / 1000).toFixed(1)} s`,
  );
  // The due cases as loaded, to put back before each run.
  await db.query("CREATE TABLE bench_due_snapshot AS SELECT * FROM cases WHERE next_due_at <= $1", [
    NOW.toISOString(),
  ]);
  return seconds;
}

/** Puts the due cases back as loaded: the rows the sweep added go, the case rows are restored. */
async function reset(bench: Bench): Promise<void> {
  const { db } = bench;
  await db.query(
    "DELETE FROM audit_events a USING bench_due_snapshot s WHERE a.case_id = s.id AND a.seq > s.version",
  );
  await db.query("DELETE FROM outbox o USING bench_due_snapshot s WHERE o.case_id = s.id");
  await db.query(
    `UPDATE cases c SET control_id = s.control_id, severity = s.severity, title = s.title,
            account_id = s.account_id, region = s.region, resource_id = s.resource_id, owner_team = s.owner_team,
            counterpart_team = s.counterpart_team, status = s.status, sla_due_at = s.sla_due_at,
            next_due_at = s.next_due_at, opened_at = s.opened_at, updated_at = s.updated_at, version = s.version,
            audit_head = s.audit_head, state = s.state
       FROM bench_due_snapshot s WHERE c.id = s.id`,
  );
  const due = await countDue(db);
  if (due !== DUE) throw new Error(`${bench.label}: ${due} cases due after the reset, expected ${DUE}`);
  await settle(bench);
}

/** Same starting point for every run: no dead rows (on both sizes), no checkpoint pending. */
async function settle(bench: Bench): Promise<void> {
  await bench.db.query("VACUUM (INDEX_CLEANUP ON) cases, audit_events, outbox");
  await bench.db.query("CHECKPOINT");
}

/** Where a sweep's time goes, by statement (recognised by its text), in ms. */
const PARTS = ["select", "lock", "load", "audit", "outbox", "save", "commit", "other_sql", "engine"] as const;
type Part = (typeof PARTS)[number];

function partOf(sql: string): Part {
  const text = sql.replace(/\s+/g, " ").trim();
  if (text.startsWith("SELECT id, next_due_at FROM cases WHERE next_due_at")) return "select";
  if (text.includes("pg_advisory_xact_lock")) return "lock";
  if (text.startsWith("SELECT id, state") && text.includes("audit_head FROM cases")) return "load";
  if (text.startsWith("INSERT INTO audit_events")) return "audit";
  if (text.startsWith("INSERT INTO outbox")) return "outbox";
  // saveCases: the case numbers' CTE, then the upsert.
  if (text.startsWith("INSERT INTO cases") || text.startsWith("WITH incoming AS MATERIALIZED")) return "save";
  return "other_sql";
}

/**
 * The store as the sweep sees it, with the time spent waiting for each statement added up.
 * `commit` is a transaction's time outside its callback (BEGIN, COMMIT with its WAL flush);
 * `engine` is what is left: decide, applyEvents, hashing, JSON, in this process.
 */
function timed(db: Database, parts: Record<Part, number>): Database {
  const query = async <Row>(inner: { query: Database["query"] }, text: string, params?: unknown[]) => {
    const started = performance.now();
    try {
      return await inner.query<Row>(text, params);
    } finally {
      parts[partOf(text)] += performance.now() - started;
    }
  };
  return {
    ...db,
    query: <Row>(text: string, params?: unknown[]) => query<Row>(db, text, params),
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const started = performance.now();
      let inside = 0;
      try {
        return await db.transaction(async (tx) => {
          const entered = performance.now();
          try {
            return await fn({
              query: <Row>(text: string, params?: unknown[]) => query<Row>(tx, text, params),
            });
          } finally {
            inside += performance.now() - entered;
          }
        });
      } finally {
        parts.commit += performance.now() - started - inside;
      }
    },
  };
}

interface SweepRun {
  ms: number;
  due: number;
  fired: number;
  events: number;
  effects: number;
  walBytes: number;
  parts: Record<Part, number>;
}

async function measureSweep(bench: Bench, policy: Policy): Promise<SweepRun> {
  const { db } = bench;
  await db.ping(); // a pooled connection is open: the sweep does not pay for connecting
  const walBefore = await db.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn");
  const parts = Object.fromEntries(PARTS.map((part) => [part, 0])) as Record<Part, number>;
  const started = performance.now();
  const result = await sweepDueCases(timed(db, parts), policy, NOW);
  const elapsed = performance.now() - started;
  parts.engine =
    elapsed - PARTS.filter((part) => part !== "engine").reduce((sum, part) => sum + parts[part], 0);
  const wal = await db.query<{ bytes: string }>(
    "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::bigint AS bytes",
    [walBefore[0]?.lsn],
  );
  const [audit, outbox, stillDue] = await Promise.all([
    count(
      db,
      "SELECT count(*) AS n FROM audit_events a JOIN bench_due_snapshot s ON a.case_id = s.id AND a.seq > s.version",
    ),
    count(db, "SELECT count(*) AS n FROM outbox"),
    countDue(db),
  ]);
  if (
    result.due !== DUE ||
    result.fired !== DUE ||
    audit !== result.events ||
    outbox !== result.effects ||
    result.effects < DUE ||
    stillDue !== 0
  ) {
    throw new Error(
      `${bench.label}: unexpected sweep ${JSON.stringify(result)}, ${audit} audit rows and ${outbox} outbox rows added, ${stillDue} still due`,
    );
  }
  return { ms: elapsed, ...result, walBytes: Number(wal[0]?.bytes), parts };
}

/** The chains of a few cases of each kind, recomputed hash by hash (after a sweep: due ones include its rows). */
async function verifySample(bench: Bench): Promise<number> {
  const { db } = bench;
  const ids = await db.query<{ id: string }>(
    `(SELECT id FROM bench_due_snapshot ORDER BY id LIMIT 3)
     UNION ALL (SELECT id FROM cases WHERE next_due_at > $1 ORDER BY id LIMIT 3)
     UNION ALL (SELECT id FROM cases WHERE next_due_at IS NULL ORDER BY id LIMIT 3)`,
    [NOW.toISOString()],
  );
  for (const { id } of ids) {
    const report = await verifyAudit(db, { caseId: id });
    if (!report.ok || report.rowsChecked < 2) {
      throw new Error(`${bench.label}: the audit chain of ${id} does not verify: ${JSON.stringify(report)}`);
    }
  }
  return ids.length;
}

/** The sweep's first page (src/shell/sweep.ts): no cursor yet. */
const SELECT_DUE = `SELECT id, next_due_at FROM cases
        WHERE next_due_at IS NOT NULL AND next_due_at <= $1
          AND ($3::timestamptz IS NULL OR (next_due_at, id) > ($3::timestamptz, $4::text))
        ORDER BY next_due_at, id LIMIT $2`;

async function measureSelect(
  bench: Bench,
): Promise<{ ms: number; serverMs: number; plan: string; nodes: string }> {
  const { db } = bench;
  const params = [NOW.toISOString(), SWEEP_PAGE_SIZE, null, null];
  for (let i = 0; i < 3; i++) await db.query(SELECT_DUE, params);
  const times: number[] = [];
  for (let i = 0; i < QUERY_RUNS; i++) {
    const started = performance.now();
    const rows = await db.query(SELECT_DUE, params);
    times.push(performance.now() - started);
    if (rows.length !== Math.min(DUE, SWEEP_PAGE_SIZE))
      throw new Error(`${bench.label}: selected ${rows.length}`);
  }
  const text = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${SELECT_DUE}`, params);
  const json = await db.query<{ "QUERY PLAN": [{ Plan: PlanNode; "Execution Time": number }] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${SELECT_DUE}`,
    params,
  );
  const top = json[0]?.["QUERY PLAN"][0];
  const nodes: string[] = [];
  for (let node: PlanNode | undefined = top?.Plan; node; node = node.Plans?.[0]) {
    nodes.push(node["Index Name"] ? `${node["Node Type"]} using ${node["Index Name"]}` : node["Node Type"]);
  }
  return {
    ms: median(times),
    serverMs: top?.["Execution Time"] ?? Number.NaN,
    plan: text.map((row) => row["QUERY PLAN"]).join("\n"),
    nodes: nodes.join(" > "),
  };
}

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

async function main() {
  if (!(SMALL >= DUE && LARGE >= DUE && DUE > 0 && RUNS > 0)) throw new Error("need small, large >= due > 0");
  const policy = await loadPolicyDir("workflows");
  log(
    `bench:sweep: one sweep with ${DUE} due among ${SMALL} and among ${LARGE} cases, ${RUNS} runs each, PostgreSQL`,
  );
  const benches: Bench[] = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const bench of benches) {
      await bench.db.close().catch(() => {});
      if (values.keep) log(`kept ${bench.label}: ${bench.url}`);
      else await bench.drop();
    }
  };
  process.once("SIGINT", () => {
    void cleanup().finally(() => process.exit(130));
  });
  try {
    for (const [label, cases] of [
      ["small", SMALL],
      ["large", LARGE],
    ] as const) {
      const database = await createDatabase(label);
      const db = await openStore({ databaseUrl: database.url, dataDir: "" }).catch(async (error) => {
        await database.drop();
        throw error;
      });
      benches.push({ label, cases, url: database.url, db, drop: database.drop });
    }
    const [small, large] = benches as [Bench, Bench];
    let loadSecondsLarge = 0;
    for (const bench of benches) {
      const seconds = await prepare(bench, policy);
      if (bench === large) loadSecondsLarge = seconds;
    }
    for (const bench of benches)
      log(`${bench.label}: audit chains of ${await verifySample(bench)} sample cases verify`);

    // Warm-up (not counted): the engine's code is compiled, both databases' pages are read once.
    for (let r = 0; r < WARMUP; r++) {
      for (const bench of benches) {
        const warm = await measureSweep(bench, policy);
        if (r === 0) await verifySample(bench);
        await reset(bench);
        log(`warm-up ${r + 1}/${WARMUP}: ${bench.label} ${ms(warm.ms)} ms (not counted)`);
      }
    }
    const runs: Record<"small" | "large", SweepRun[]> = { small: [], large: [] };
    for (let r = 0; r < RUNS; r++) {
      for (const bench of benches) {
        if (r > 0) await reset(bench);
        runs[bench.label as "small" | "large"].push(await measureSweep(bench, policy));
      }
      log(
        `run ${r + 1}/${RUNS}: small ${ms(runs.small[r]?.ms ?? Number.NaN)} ms, large ${ms(runs.large[r]?.ms ?? Number.NaN)} ms`,
      );
    }
    for (const bench of benches) await verifySample(bench);
    const first = runs.large[0] as SweepRun;
    log(
      `each sweep: ${first.due} due, ${first.fired} fired, ${first.events} events, ${first.effects} outbox rows (audit chains of the swept samples verify)`,
    );
    const breakdown = (label: "small" | "large") =>
      Object.fromEntries(
        PARTS.map((part) => [part, Number(median(runs[label].map((x) => x.parts[part])).toFixed(1))]),
      ) as Record<Part, number>;
    const partsSmall = breakdown("small");
    const partsLarge = breakdown("large");
    const walSmall = median(runs.small.map((x) => x.walBytes));
    const walLarge = median(runs.large.map((x) => x.walBytes));
    log("where the time goes (medians, ms):");
    log(`  ${"".padEnd(6)} ${PARTS.map((part) => part.padStart(9)).join(" ")}`);
    for (const [label, parts] of [
      ["small", partsSmall],
      ["large", partsLarge],
    ] as const) {
      log(`  ${label.padEnd(6)} ${PARTS.map((part) => parts[part].toFixed(1).padStart(9)).join(" ")}`);
    }
    log(`WAL per sweep: small ${(walSmall / 1e6).toFixed(1)} MB, large ${(walLarge / 1e6).toFixed(1)} MB`);
    const sweepSmall = median(runs.small.map((x) => x.ms));
    const sweepLarge = median(runs.large.map((x) => x.ms));
    const ratio = sweepLarge / sweepSmall;
    const range = (xs: SweepRun[]) =>
      `${ms(Math.min(...xs.map((x) => x.ms)))}-${ms(Math.max(...xs.map((x) => x.ms)))}`;
    log(
      `sweep:  small ${ms(sweepSmall)} ms, large ${ms(sweepLarge)} ms (medians of ${RUNS}; ranges ${range(runs.small)} and ${range(runs.large)} ms)`,
    );
    log(`ratio:  ${ratio.toFixed(2)} (large / small; target near 1: the cost follows the due cases)`);

    for (const bench of benches) await reset(bench);
    const selectSmall = await measureSelect(small);
    const selectLarge = await measureSelect(large);
    note(`\nEXPLAIN (ANALYZE, BUFFERS) of the sweep's selection, ${small.cases} cases:\n${selectSmall.plan}`);
    note(
      `\nEXPLAIN (ANALYZE, BUFFERS) of the sweep's selection, ${large.cases} cases:\n${selectLarge.plan}\n`,
    );
    const selectRatio = selectLarge.ms / selectSmall.ms;
    log(
      `select: small ${selectSmall.ms.toFixed(2)} ms, large ${selectLarge.ms.toFixed(2)} ms (round trip, medians of ${QUERY_RUNS}; ` +
        `server ${selectSmall.serverMs.toFixed(2)} / ${selectLarge.serverMs.toFixed(2)} ms), ratio ${selectRatio.toFixed(2)}`,
    );
    log(`plan (large): ${selectLarge.nodes}`);
    log(
      JSON.stringify({
        bench: "sweep",
        store: "postgres",
        cases_small: SMALL,
        cases_large: LARGE,
        due: DUE,
        runs: RUNS,
        sweep_ms_small: Number(sweepSmall.toFixed(1)),
        sweep_ms_large: Number(sweepLarge.toFixed(1)),
        ratio: Number(ratio.toFixed(3)),
        sweep_runs_ms_small: runs.small.map((x) => Number(x.ms.toFixed(1))),
        sweep_runs_ms_large: runs.large.map((x) => Number(x.ms.toFixed(1))),
        sweep_parts_ms_small: partsSmall,
        sweep_parts_ms_large: partsLarge,
        wal_mb_small: Number((walSmall / 1e6).toFixed(2)),
        wal_mb_large: Number((walLarge / 1e6).toFixed(2)),
        events_per_sweep: first.events,
        outbox_rows_per_sweep: first.effects,
        select_ms_small: Number(selectSmall.ms.toFixed(2)),
        select_ms_large: Number(selectLarge.ms.toFixed(2)),
        select_ratio: Number(selectRatio.toFixed(3)),
        select_server_ms_large: Number(selectLarge.serverMs.toFixed(3)),
        plan_large: selectLarge.nodes,
        load_s_large: Number(loadSecondsLarge.toFixed(1)),
      }),
    );
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:sweep failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
