/**
 * The fault run: a burst of events with suppressions and Slack notifications through a real
 * `shgov serve`, while PostgreSQL is stopped twice and its sessions are ended three times, and
 * Redis (AOF, fsync always) is killed once. It checks what the service promises: the process
 * never exits, every event answered 202 ends in exactly one case and one finding.observed, no
 * Slack message and no Security Hub revert is sent twice, and the audit log verifies.
 *
 *   npm run fault-run -- [--events 2000] [--concurrency 16]
 *
 * Everything it starts is its own (a throwaway PostgreSQL cluster, a redis-server, fake Slack
 * and Security Hub on loopback); it prints figures and ends with a one-line JSON object. Exit
 * status 1 when a promise is broken.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { freePort, redisAnswers } from "../src/demo/redis-server.js";
import { verifyAudit } from "../src/store/audit-verify.js";
import { openStore } from "../src/store/open.js";
import buildForTests from "../test/support/build-for-tests.js";
import { asffEvent, REPO_ROOT } from "../test/support/events.js";
import { startFakeSecurityHub } from "../test/support/fake-securityhub.js";
import { startFakeSlack } from "../test/support/fake-slack.js";
import { startPrivatePostgres } from "../test/support/private-postgres.js";
import { startServe } from "../test/support/serve-process.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "16" },
  },
});
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const API_KEY = "fault-run-ingest-key-0123456789abcdef";
const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A redis-server with AOF fsynced on every write: what a 202 needs to survive a kill. */
async function startDurableRedis(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--save",
      "",
      "--maxmemory-policy",
      "noeviction",
    ],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 200; i++) {
    if (await redisAnswers(`redis://127.0.0.1:${port}`, 200)) return child;
    await sleep(50);
  }
  throw new Error("redis-server did not start");
}

async function main(): Promise<void> {
  const started = performance.now();
  const removeBuild = buildForTests(); // startServe runs the compiled CLI
  const work = mkdtempSync(join(tmpdir(), "shgov-fault-run-"));
  const postgres = await startPrivatePostgres();
  const redisPort = await freePort();
  let redis = await startDurableRedis(work, redisPort);
  const slack = await startFakeSlack({ perChannelIntervalMs: 20, burst: 50 });
  const securityHub = await startFakeSecurityHub({
    callerIdentity: "arn:aws:sts::111111111111:assumed-role/shgov/bot",
  });

  const findings = Array.from({ length: EVENTS }, (_, index) => {
    const suppressed = index % 10 === 0;
    const severity = index % 7 === 0 ? "HIGH" : "MEDIUM";
    return {
      id: `arn:fault-run:finding/${index}`,
      suppressed,
      severity,
      title: `Fault-run finding ${index}`,
    } as const;
  });
  const productArn = (asffEvent().detail.findings[0] as { ProductArn: string }).ProductArn;
  securityHub.seed(
    findings
      .filter((f) => f.suppressed)
      .map((f) => ({ id: f.id, productArn, workflowStatus: "SUPPRESSED" as const })),
  );
  for (const f of findings.filter((f) => f.suppressed)) {
    securityHub.recordConsoleUpdate(f.id, "arn:aws:sts::111111111111:assumed-role/Admin/jane", "SUPPRESSED");
  }

  const serve = startServe({
    DATABASE_URL: postgres.url,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    INGEST_API_KEY: API_KEY,
    HOST: "127.0.0.1",
    PORT: "0",
    QUEUE_PREFIX: "faultrun",
    WORKFLOWS_DIR: join(REPO_ROOT, "workflows"),
    SLACK_BOT_TOKEN: "xoxb-fault-run",
    SLACK_SIGNING_SECRET: "fault-run-signing-secret",
    SLACK_API_URL: slack.url,
    // The fake allows a post per 20 ms per channel: the run checks delivery, not Slack's pace.
    SLACK_POST_INTERVAL_MS: "20",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDFAKE",
    AWS_SECRET_ACCESS_KEY: "fake",
    AWS_ENDPOINT_URL_SECURITYHUB: securityHub.url,
    AWS_EC2_METADATA_DISABLED: "true",
    SECURITYHUB_DRY_RUN: "false",
    WORKER_LOCK_DURATION_MS: "5000",
    LOG_LEVEL: "warn",
  });
  let exitedDuringRun: number | null = null;
  serve.child.once("exit", (code) => {
    exitedDuringRun = code ?? -1;
  });
  const url = await serve.listening();
  say(`fault-run: serve on ${url}, ${EVENTS} events, concurrency ${CONCURRENCY}`);

  // The faults, on a clock of their own while the burst runs.
  const faults: string[] = [];
  const terminateSessions = async () => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const rows = await client.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname IS NOT NULL",
      );
      faults.push(`terminated ${rows.rowCount} sessions`);
    } finally {
      await client.end();
    }
  };
  const schedule: [number, () => Promise<void>][] = [
    [1_000, terminateSessions],
    [
      3_000,
      async () => {
        await postgres.stop();
        faults.push("PostgreSQL stopped");
      },
    ],
    [
      6_000,
      async () => {
        await postgres.start();
        faults.push("PostgreSQL started");
      },
    ],
    [8_000, terminateSessions],
    [
      10_000,
      async () => {
        redis.kill("SIGKILL");
        await new Promise((resolve) => redis.once("exit", resolve));
        faults.push("Redis killed");
        await sleep(1_000);
        redis = await startDurableRedis(work, redisPort);
        faults.push("Redis started (AOF)");
      },
    ],
    [
      13_000,
      async () => {
        await postgres.stop();
        faults.push("PostgreSQL stopped");
      },
    ],
    [
      16_000,
      async () => {
        await postgres.start();
        faults.push("PostgreSQL started");
      },
    ],
    [18_000, terminateSessions],
  ];
  const burstStart = performance.now();
  const faultsDone = (async () => {
    for (const [at, fault] of schedule) {
      await sleep(Math.max(0, at - (performance.now() - burstStart)));
      await fault().catch((error: Error) => faults.push(`fault failed: ${error.message}`));
      say(`fault-run: ${faults.at(-1)}`);
    }
  })();

  // The burst: each event is sent until it is answered 202, as EventBridge retries 5xx.
  const accepted = new Set<string>();
  let retries = 0;
  let next = 0;
  const post = async (index: number) => {
    const f = findings[index];
    if (!f) return;
    const event = asffEvent(
      { id: f.id, severity: f.severity, workflowStatus: f.suppressed ? "SUPPRESSED" : "NEW", title: f.title },
      `fault-run-${String(index).padStart(8, "0")}`,
    );
    for (;;) {
      const response = await fetch(`${url}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": API_KEY },
        body: JSON.stringify(event),
      }).catch(() => null);
      if (response?.status === 202) {
        accepted.add(f.id);
        return;
      }
      retries++;
      await sleep(250);
    }
  };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < findings.length) await post(next++);
      // Keep a trickle going while the faults run, so each finds work in flight.
    }),
  );
  const burstSeconds = (performance.now() - burstStart) / 1_000;
  await faultsDone;
  say(`fault-run: burst done in ${burstSeconds.toFixed(1)} s (${retries} retried posts); waiting for quiet`);

  // Quiet: every accepted event applied, and nothing left in the outbox.
  const db = await openStore({ databaseUrl: postgres.url, dataDir: "memory://", existingOnly: true });
  const quietDeadline = performance.now() + 240_000;
  let settled = false;
  while (performance.now() < quietDeadline) {
    const [row] = await db.query<{ cases: number; pending: number }>(
      `SELECT (SELECT count(*)::int FROM cases) AS cases,
              (SELECT count(*)::int FROM outbox WHERE status = 'pending') AS pending`,
    );
    if (row && row.cases >= accepted.size && row.pending === 0) {
      settled = true;
      break;
    }
    await sleep(1_000);
  }
  // A second of grace for the last Slack answers to be recorded.
  await sleep(2_000);
  if (!settled) {
    // What is still pending, and why: the first thing to look at when the run fails here.
    const pending = await db.query<Record<string, unknown>>(
      `SELECT kind, attempts, count(*)::int AS rows, min(available_at) AS next_at, max(last_error) AS last_error
         FROM outbox WHERE status = 'pending' GROUP BY kind, attempts ORDER BY kind, attempts`,
    );
    for (const row of pending) say(`fault-run: still pending: ${JSON.stringify(row)}`);
  }

  const perCase = await db.query<{ id: string; observed: number }>(
    `SELECT c.id, (SELECT count(*)::int FROM audit_events a WHERE a.case_id = c.id AND a.type = 'finding.observed') AS observed
       FROM cases c`,
  );
  const observed = new Map(perCase.map((row) => [row.id, row.observed]));
  const missing = [...accepted].filter((id) => !observed.has(id));
  const notOnce = [...accepted].filter((id) => observed.has(id) && observed.get(id) !== 1);
  const audit = await verifyAudit(db, {});
  await db.close();

  const posts = slack.messages();
  // One notification (outbox row, named by the post's metadata) per channel; a post without
  // metadata (none expected) by its text.
  const seen = new Map<string, number>();
  for (const message of posts) {
    const key = `${message.channel}\n${message.metadata?.event_payload.outbox_id ?? message.text}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const duplicatePosts = [...seen.values()].reduce((sum, count) => sum + (count - 1), 0);
  const reverts = new Map<string, number>();
  for (const request of securityHub.calls("BatchUpdateFindings")) {
    // A revert sets the policy's revert_to (NEW or NOTIFIED); the bot never sets SUPPRESSED here.
    const status = request.body?.Workflow?.Status;
    if (status !== "NEW" && status !== "NOTIFIED") continue;
    for (const identifier of request.body.FindingIdentifiers ?? []) {
      reverts.set(identifier.Id, (reverts.get(identifier.Id) ?? 0) + 1);
    }
  }
  const suppressed = findings.filter((f) => f.suppressed && accepted.has(f.id)).map((f) => f.id);
  const duplicateReverts = [...reverts.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
  const unreverted = suppressed.filter((id) => !reverts.has(id)).length;

  const processAlive = exitedDuringRun === null;
  if (processAlive) await serve.signal("SIGTERM");
  redis.kill("SIGKILL");
  await slack.close();
  await securityHub.close();
  await postgres.destroy();
  rmSync(work, { recursive: true, force: true });
  removeBuild();

  const result = {
    bench: "fault-run",
    events: EVENTS,
    accepted: accepted.size,
    retried_posts: retries,
    faults: faults.length,
    process_exited: !processAlive,
    settled,
    cases_missing: missing.length,
    observed_not_once: notOnce.length,
    slack_posts: posts.length,
    duplicate_slack_posts: duplicatePosts,
    securityhub_reverts: [...reverts.values()].reduce((a, b) => a + b, 0),
    duplicate_reverts: duplicateReverts,
    suppressions_not_reverted: unreverted,
    audit_ok: audit.problems.length === 0 && audit.problemsOmitted === 0,
    burst_s: Number(burstSeconds.toFixed(1)),
    total_s: Number(((performance.now() - started) / 1_000).toFixed(1)),
  };
  const ok =
    result.accepted === EVENTS &&
    !result.process_exited &&
    result.settled &&
    result.cases_missing === 0 &&
    result.observed_not_once === 0 &&
    result.duplicate_slack_posts === 0 &&
    result.duplicate_reverts === 0 &&
    result.suppressions_not_reverted === 0 &&
    result.audit_ok;
  say(`fault-run: faults: ${faults.join("; ")}`);
  say(
    `fault-run: ${result.accepted}/${EVENTS} accepted, ${EVENTS - result.cases_missing} applied, ` +
      `${result.slack_posts} Slack posts (${result.duplicate_slack_posts} duplicate), ` +
      `${result.securityhub_reverts} reverts (${result.duplicate_reverts} duplicate, ${result.suppressions_not_reverted} missing), ` +
      `audit ${result.audit_ok ? "OK" : "FAILED"}, process ${result.process_exited ? "EXITED" : "never exited"}`,
  );
  if (!ok)
    say(
      `fault-run: FAILED\n${serve
        .stderr()
        .split("\n")
        .filter((l) => /"level":(50|60)/.test(l))
        .slice(-20)
        .join("\n")}`,
    );
  process.stdout.write(`${JSON.stringify({ ...result, ok })}\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((error) => {
  process.stderr.write(`fault-run: ${(error as Error).stack}\n`);
  process.exit(1);
});
