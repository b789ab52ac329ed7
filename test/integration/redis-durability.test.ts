import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "../../src/demo/redis-server.js";
import { FINDINGS_QUEUE } from "../../src/queue/findings-queue.js";
import { asffEvent } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { createTestDatabase } from "../support/postgres.js";
import { startTestService, TEST_API_KEY, type TestService, uniquePrefix } from "../support/service.js";

// These tests restart Redis, and run it with and without persistence: each runs a redis-server of
// its own and never touches the shared one.

type LogLine = Record<string, unknown> & { level: number; msg: string };

function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory for an AOF Redis's files. */
function redisDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "shgov-redis-"));
  dirs.push(dir);
  return dir;
}

async function readiness(url: string) {
  const response = await fetch(`${url}/readyz`);
  return {
    status: response.status,
    checks: ((await response.json()) as { checks: Record<string, unknown>[] }).checks,
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1];
  if (value === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(value);
}

function event(n: number) {
  return asffEvent(
    { id: `arn:test:durability-${n}` },
    `dddddddd-0000-0000-0000-${String(n).padStart(12, "0")}`,
  );
}

async function postAll(url: string, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    expect((await postEvent(url, event(n), { apiKey: TEST_API_KEY })).status).toBe(202);
  }
}

async function withService<T>(
  redis: PrivateRedis,
  run: (t: TestService, lines: LogLine[]) => Promise<T>,
): Promise<T> {
  const { logger, lines } = capturingLogger();
  const t = await startTestService({ redisUrl: redis.url, roles: { http: true, worker: false }, logger });
  try {
    return await run(t, lines);
  } finally {
    await t.stop();
  }
}

describe("what a 202 is worth: Redis's persistence said at start and in /readyz", () => {
  it("without persistence: a warning at start naming what is lost; /readyz stays ready and warns", async () => {
    const redis = await startPrivateRedis();
    try {
      await withService(redis, async (t, lines) => {
        const warning = await eventually(async () => lines.find((line) => line.persistence === "none"));
        expect(warning).toMatchObject({
          level: 40,
          redis: `127.0.0.1:${redis.port}`,
          msg: `Redis at 127.0.0.1:${redis.port} does not persist (appendonly no, save ""): when it restarts the events answered 202 and not yet applied are lost, and EventBridge does not send them again; run it with appendonly yes`,
        });
        const ready = await readiness(t.url);
        expect(ready.status).toBe(200);
        expect(ready.checks).toEqual([
          { name: "redis", ok: true },
          { name: "database", ok: true },
          { name: "redis_persistence", ok: true, persistence: "none", warning: warning.msg },
          { name: "redis_eviction", ok: true, policy: "noeviction" },
        ]);
      });
    } finally {
      await redis.stop();
    }
  });

  it("with AOF: said at start as what a 202 survives, and /readyz has no warning", async () => {
    const redis = await startPrivateRedis(undefined, ["--appendonly", "yes", "--dir", redisDir()]);
    try {
      await withService(redis, async (t, lines) => {
        const said = await eventually(async () => lines.find((line) => line.persistence === "aof"));
        expect(said).toMatchObject({
          level: 30,
          msg: `Redis at 127.0.0.1:${redis.port} persists with AOF: the events answered 202 survive its restart`,
        });
        expect((await readiness(t.url)).checks.slice(2)).toEqual([
          { name: "redis_persistence", ok: true, persistence: "aof" },
          { name: "redis_eviction", ok: true, policy: "noeviction" },
        ]);
        expect(lines.filter((line) => line.level >= 40)).toEqual([]);
      });
    } finally {
      await redis.stop();
    }
  });

  it("RDB snapshots only and an evicting maxmemory-policy: a warning for each", async () => {
    const redis = await startPrivateRedis(undefined, [
      "--save",
      "3600 1",
      "--dir",
      redisDir(),
      "--maxmemory-policy",
      "allkeys-lru",
    ]);
    try {
      await withService(redis, async (t, lines) => {
        const eviction = await eventually(async () => lines.find((line) => line.evictionPolicy));
        expect(eviction).toMatchObject({
          level: 40,
          msg: `Redis at 127.0.0.1:${redis.port} has maxmemory-policy allkeys-lru: when it runs out of memory it evicts keys, queued events among them; BullMQ requires noeviction (set maxmemory-policy noeviction)`,
        });
        const persistence = lines.find((line) => line.persistence === "rdb");
        expect(persistence?.msg).toBe(
          `Redis at 127.0.0.1:${redis.port} persists by RDB snapshots only (save "3600 1", appendonly no): when it stops unexpectedly, of the events it took since its last snapshot the events answered 202 and not yet applied are lost, and EventBridge does not send them again; run it with appendonly yes`,
        );
        const ready = await readiness(t.url);
        expect(ready.status).toBe(200);
        expect(ready.checks.slice(2)).toEqual([
          { name: "redis_persistence", ok: true, persistence: "rdb", warning: persistence?.msg },
          { name: "redis_eviction", ok: true, policy: "allkeys-lru", warning: eviction.msg },
        ]);
      });
    } finally {
      await redis.stop();
    }
  });

  it("a managed Redis that refuses CONFIG: what INFO tells is said, and nothing breaks", async () => {
    const redis = await startPrivateRedis(undefined, ["--rename-command", "CONFIG", ""]);
    try {
      await withService(redis, async (t, lines) => {
        const warning = await eventually(async () => lines.find((line) => line.persistence === "no_aof"));
        expect(warning.msg).toBe(
          `Redis at 127.0.0.1:${redis.port} runs without AOF (INFO persistence: aof_enabled:0) and does not allow CONFIG GET save: unless it snapshots or replicates, when it restarts the events answered 202 and not yet applied are lost, and EventBridge does not send them again; run it with appendonly yes, or a managed Redis with its durable option`,
        );
        expect((await readiness(t.url)).checks.slice(2)).toEqual([
          { name: "redis_persistence", ok: true, persistence: "no_aof", warning: warning.msg },
          { name: "redis_eviction", ok: true, policy: "noeviction" },
        ]);
        expect((await postEvent(t.url, event(0), { apiKey: TEST_API_KEY })).status).toBe(202);
      });
    } finally {
      await redis.stop();
    }
  });
});

describe("a Redis that loses its data: the loss is noticed, logged with its size, and counted", () => {
  it("restarted without persistence: an error naming up to how many findings answered 202 were lost, and the counters", async () => {
    let redis = await startPrivateRedis();
    try {
      await withService(redis, async (t, lines) => {
        // No worker: the five jobs wait in Redis, as a backlog does.
        await postAll(t.url, 5);
        const losses = await metric(t.url, "shgov_redis_data_losses_total");
        const lost = await metric(t.url, "shgov_findings_lost_total");
        const port = redis.port;
        await redis.stop();
        redis = await startPrivateRedis(port);
        const error = await eventually(
          async () => lines.find((line) => line.level === 50),
          20_000,
          "the loss to be logged",
        );
        expect(error).toMatchObject({ redis: `127.0.0.1:${port}`, lostAtMost: expect.any(Number) });
        const lostAtMost = error.lostAtMost as number;
        // An upper bound: a finding accepted while the marker was looked at may count twice.
        expect(lostAtMost).toBeGreaterThanOrEqual(5);
        expect(lostAtMost).toBeLessThanOrEqual(10);
        expect(error.msg).toMatch(
          new RegExp(
            `^Redis at 127\\.0\\.0\\.1:${port} lost its data \\(restarted without persistence, flushed, or its keys evicted\\) after \\S+: up to ${lostAtMost} findings answered 202 and not yet applied are lost \\(\\d+ queued when it was last seen with its data, \\d+ accepted by this process since\\), and EventBridge will not send them again; the findings Security Hub updated since then may need to be imported again$`,
          ),
        );
        expect(await metric(t.url, "shgov_redis_data_losses_total")).toBe(losses + 1);
        expect(await metric(t.url, "shgov_findings_lost_total")).toBe(lost + lostAtMost);
      });
    } finally {
      await redis.stop();
    }
  });

  it("with AOF the same restart loses nothing: the jobs are still there and are applied", async () => {
    const args = ["--appendonly", "yes", "--appendfsync", "always", "--dir", redisDir()];
    let redis = await startPrivateRedis(undefined, args);
    const prefix = uniquePrefix();
    const database = await createTestDatabase();
    const check = new Redis(redis.url, { maxRetriesPerRequest: null });
    check.on("error", () => {}); // Redis is restarted under it
    try {
      const { logger, lines } = capturingLogger();
      const intake = await startTestService({
        redisUrl: redis.url,
        roles: { http: true, worker: false },
        queuePrefix: prefix,
        databaseUrl: database.url,
        logger,
      });
      let marker: string | null;
      try {
        await postAll(intake.url, 5);
        marker = await eventually(async () => (await check.get(`${prefix}:redis-data-marker`)) ?? undefined);
        const port = redis.port;
        await redis.stop(); // SIGKILL: with appendfsync always, every 202 was on disk
        redis = await startPrivateRedis(port, args);
        expect(await check.get(`${prefix}:redis-data-marker`)).toBe(marker);
        const queue = new Queue(FINDINGS_QUEUE, { connection: check, prefix });
        expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 5 });
        await queue.close();
        // The intake is up again on the restarted Redis, and lost nothing.
        await eventually(async () => ((await readiness(intake.url)).status === 200 ? true : undefined));
      } finally {
        await intake.stop();
      }
      const worker = await startTestService({
        redisUrl: redis.url,
        roles: { http: false, worker: true },
        queuePrefix: prefix,
        databaseUrl: database.url,
      });
      try {
        await eventually(
          async () => {
            const rows = await worker.service.db.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM cases WHERE id LIKE 'arn:test:durability-%'",
            );
            return rows[0]?.n === 5 ? true : undefined;
          },
          20_000,
          "the five findings applied",
        );
      } finally {
        await worker.stop();
      }
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      check.disconnect();
      await redis.stop();
      await database.drop();
    }
  });

  it("restarted empty while the service was down too: said at start, since nothing was left to count", async () => {
    let redis = await startPrivateRedis();
    const prefix = uniquePrefix();
    const database = await createTestDatabase();
    try {
      const before = await startTestService({
        redisUrl: redis.url,
        queuePrefix: prefix,
        databaseUrl: database.url,
      });
      try {
        await postAll(before.url, 1);
        await eventually(async () => {
          const rows = await before.service.db.query("SELECT 1 FROM observations");
          return rows.length === 1 ? true : undefined;
        });
      } finally {
        await before.stop();
      }
      const port = redis.port;
      await redis.stop();
      redis = await startPrivateRedis(port);
      const { logger, lines } = capturingLogger();
      const after = await startTestService({
        redisUrl: redis.url,
        queuePrefix: prefix,
        databaseUrl: database.url,
        logger,
      });
      try {
        const warning = await eventually(async () => lines.find((line) => line.prefix === prefix));
        expect(warning).toMatchObject({
          level: 40,
          msg: `Redis at 127.0.0.1:${port} holds no data of this deployment (QUEUE_PREFIX ${prefix}) while the database holds findings: it is new, or it lost its data while no process of this deployment ran (a restart without persistence); if it lost it, the events answered 202 and not yet applied then are lost, and how many cannot be told`,
        });
      } finally {
        await after.stop();
      }
    } finally {
      await redis.stop();
      await database.drop();
    }
  });
});
