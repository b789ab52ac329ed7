/**
 * npm run bench:ingest [-- --events 20000 --concurrency 64 --worker-concurrency 256 --seconds 10 --rate 300]
 *
 * Runs against PostgreSQL (a throwaway database on BENCH_DATABASE_ADMIN_URL's server) and the
 * Redis at REDIS_URL, under a queue prefix of its own that it deletes afterwards.
 *
 * 1. Ingest: posts N distinct findings over HTTP to a real `shgov serve` (a child process) and
 *    waits until the worker has committed all of them to the store.
 * 2. Baseline, same run, same Redis: raw BullMQ, addBulk of N jobs of the same payload size and
 *    a no-op worker with the same concurrency.
 * 3. Latency of POST /events at a steady 300 requests/s (EventBridge's default API destination rate).
 * Prints findings/s for both, their ratio, p50/p99, and last a one-line JSON object.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import { freePort } from "../src/demo/redis-server.js";
import { parseEnvelope } from "../src/intake/envelope.js";
import { FINDING_JOB_OPTIONS } from "../src/queue/findings-queue.js";
import { deleteQueueKeys } from "../src/queue/redis.js";
import { asffEvent, REPO_ROOT } from "../test/support/events.js";
import { createBenchDatabase } from "./bench-database.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "64" },
    "worker-concurrency": { type: "string", default: "256" },
    seconds: { type: "string", default: "10" },
    rate: { type: "string", default: "300" },
  },
});
const N = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const WORKER_CONCURRENCY = Number(values["worker-concurrency"]);
const LATENCY_SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const API_KEY = randomBytes(16).toString("hex");
const run = randomBytes(4).toString("hex");

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function eventBody(index: number): string {
  return JSON.stringify(
    asffEvent({ id: `arn:bench:${run}:${index}`, severity: "HIGH" }, `bench-${run}-${index}`),
  );
}

const agent = new Agent({ keepAlive: true, maxSockets: Math.max(CONCURRENCY, 8) });
function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/events",
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "x-api-key": API_KEY,
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createBenchDatabase(ADMIN_DATABASE_URL, `shgov_bench_${run}`);
}

async function startService(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(" ") : [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, "--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), "serve"],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...env,
        PORT: String(port),
        HOST: "127.0.0.1",
        INGEST_API_KEY: API_KEY,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  for (let i = 0; i < 300; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return child;
    if (child.exitCode !== null) throw new Error(`shgov serve exited with ${child.exitCode}`);
    await sleep(100);
  }
  throw new Error("shgov serve did not become ready");
}

async function measureIngest(
  port: number,
  countObservations: () => Promise<number>,
): Promise<{ seconds: number; rejected: number }> {
  const bodies = Array.from({ length: N }, (_, i) => eventBody(i));
  let next = 0;
  let rejected = 0;
  const started = performance.now();
  const progress = setInterval(() => {
    void countObservations().then((n) => log(`  ingest: ${next}/${N} posted, ${n} committed`));
  }, 2_000);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const body = bodies[next++] as string;
        if ((await post(port, body)) !== 202) rejected++;
      }
    }),
  );
  while ((await countObservations()) < N - rejected) await sleep(50);
  clearInterval(progress);
  return { seconds: (performance.now() - started) / 1000, rejected };
}

async function measureBaseline(payloadBytes: number): Promise<number> {
  const prefix = `shgov-bench-baseline-${run}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue("baseline", { connection, prefix });
  const payload = { padding: "x".repeat(payloadBytes) };
  let done = 0;
  let resolveDone: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  // The worker's own connection: BullMQ does not close a connection it was given.
  const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const worker = new Worker(
    "baseline",
    async () => {
      if (++done === N) resolveDone();
    },
    {
      connection: workerConnection,
      prefix,
      concurrency: WORKER_CONCURRENCY,
    },
  );
  await worker.waitUntilReady();
  const started = performance.now();
  for (let i = 0; i < N; i += 1000) {
    const size = Math.min(1000, N - i);
    await queue.addBulk(
      Array.from({ length: size }, (_, j) => ({
        name: "job",
        data: payload,
        opts: { ...FINDING_JOB_OPTIONS, jobId: `b-${i + j}` },
      })),
    );
  }
  await allDone;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.close();
  connection.disconnect();
  workerConnection.disconnect();
  await deleteQueueKeys(REDIS_URL, prefix);
  return seconds;
}

async function measureLatency(
  port: number,
): Promise<{ p50: number; p99: number; max: number; sent: number; errors: number }> {
  const total = Math.round(RATE * LATENCY_SECONDS);
  const interval = 1000 / RATE;
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const body = eventBody(N + i);
    const sentAt = performance.now();
    inFlight.push(
      post(port, body).then(
        (status) => {
          if (status !== 202) errors++;
          latencies.push(performance.now() - sentAt);
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? Number.NaN, sent: total, errors };
}

async function main() {
  const prefix = `shgov-bench-${run}`;
  const database = await createDatabase();
  const port = await freePort();
  log(
    `bench:ingest: ${N} events, client concurrency ${CONCURRENCY}, worker concurrency ${WORKER_CONCURRENCY}, PostgreSQL`,
  );
  const service = await startService(port, {
    REDIS_URL,
    DATABASE_URL: database.url,
    QUEUE_PREFIX: prefix,
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
  });
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  // Interrupted or not, the run leaves no database, queue keys or service behind.
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (service.exitCode === null) {
      service.kill("SIGTERM");
      await new Promise((resolve) => service.once("exit", resolve));
    }
    await db.end().catch(() => {});
    agent.destroy();
    await deleteQueueKeys(REDIS_URL, prefix);
    await deleteQueueKeys(REDIS_URL, `shgov-bench-baseline-${run}`);
    await database.drop();
  };
  process.once("SIGINT", () => {
    void cleanup().finally(() => process.exit(130));
  });
  const countObservations = async () =>
    Number((await db.query("SELECT count(*)::int AS n FROM observations")).rows[0].n);
  try {
    const ingest = await measureIngest(port, countObservations);
    const ingestRate = (N - ingest.rejected) / ingest.seconds;
    log(
      `ingest:   ${ingestRate.toFixed(0)} findings/s (${N} in ${ingest.seconds.toFixed(2)} s, ${ingest.rejected} rejected)`,
    );

    const sample = parseEnvelope(JSON.parse(eventBody(0)));
    const payloadBytes = sample.ok ? JSON.stringify(sample.observations[0]).length : 4000;
    const baselineSeconds = await measureBaseline(payloadBytes);
    const baselineRate = N / baselineSeconds;
    log(
      `baseline: ${baselineRate.toFixed(0)} jobs/s (raw BullMQ addBulk + no-op worker, ${payloadBytes}-byte payloads)`,
    );
    const ratio = ingestRate / baselineRate;
    log(`ratio:    ${ratio.toFixed(2)} (target >= 0.5 with PostgreSQL)`);

    const latency = await measureLatency(port);
    log(
      `latency at ${RATE} req/s for ${LATENCY_SECONDS} s: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, max ${latency.max.toFixed(2)} ms (${latency.errors} errors; target p99 < 20 ms)`,
    );
    log(
      JSON.stringify({
        bench: "ingest",
        store: "postgres",
        events: N,
        concurrency: CONCURRENCY,
        workerConcurrency: WORKER_CONCURRENCY,
        ingestFindingsPerSec: Math.round(ingestRate),
        baselineJobsPerSec: Math.round(baselineRate),
        ratio: Number(ratio.toFixed(3)),
        latencyRate: RATE,
        p50Ms: Number(latency.p50.toFixed(2)),
        p99Ms: Number(latency.p99.toFixed(2)),
        latencyErrors: latency.errors,
      }),
    );
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:ingest failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
