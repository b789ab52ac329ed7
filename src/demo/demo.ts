import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { casesTable } from "../cli/format-cases.js";
import { type Env, loadEnv } from "../config/env.js";
import { deleteQueueKeys } from "../queue/redis.js";
import { startService } from "../service.js";
import { listCases } from "../store/cases.js";
import { type PrivateRedis, redisAnswers, redisServerOnPath, startPrivateRedis } from "./redis-server.js";

export const EXAMPLE_EVENTS_DIR = fileURLToPath(new URL("../../examples/events/", import.meta.url));

export class DemoPrerequisiteError extends Error {
  override name = "DemoPrerequisiteError";
}

export interface DemoOptions {
  out: (line: string) => void;
  logger: Logger;
  baseEnv?: NodeJS.ProcessEnv;
}

/**
 * The "run it" command: the whole pipeline on this machine with nothing but Node and Redis.
 * Bundled example events go through the real HTTP intake, the queue and the worker into an
 * embedded database in a temporary directory; the resulting cases are printed.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { out } = options;
  const base = loadEnv(options.baseEnv ?? process.env);
  let redis: PrivateRedis | null = null;
  let redisUrl = base.REDIS_URL;
  if (!(await redisAnswers(redisUrl))) {
    if (!redisServerOnPath()) {
      throw new DemoPrerequisiteError(
        `no Redis at ${redisUrl} and no redis-server on PATH: start one with \`docker compose up -d redis\` or install your OS package (apt install redis-server, brew install redis)`,
      );
    }
    redis = await startPrivateRedis();
    redisUrl = redis.url;
    out(`Redis: started a private redis-server on port ${redis.port} (none answered at ${base.REDIS_URL})`);
  } else {
    out(`Redis: ${redisUrl}`);
  }

  const dataDir = await mkdtemp(join(tmpdir(), "shgov-demo-"));
  const apiKey = randomBytes(16).toString("hex");
  const env: Env = {
    ...base,
    REDIS_URL: redisUrl,
    DATABASE_URL: undefined,
    DATA_DIR: dataDir,
    INGEST_API_KEY: apiKey,
    HOST: "127.0.0.1",
    PORT: 0,
    QUEUE_PREFIX: `shgov-demo-${randomBytes(4).toString("hex")}`,
  };
  const service = await startService(env, { http: true, worker: true }, options.logger);
  try {
    out(`Service: ${service.url} (embedded PGlite in ${dataDir}, policy from ${env.WORKFLOWS_DIR})`);
    out("");
    const files = (await readdir(EXAMPLE_EVENTS_DIR)).filter((name) => name.endsWith(".json")).sort();
    let expected = 0;
    for (const file of files) {
      const body = await readFile(join(EXAMPLE_EVENTS_DIR, file), "utf8");
      const event = JSON.parse(body) as { "detail-type": string };
      const response = await fetch(`${service.url}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": apiKey },
        body,
      });
      const answer = (await response.json()) as { accepted?: number; message?: string };
      expected += answer.accepted ?? 0;
      out(`POST /events ${file.padEnd(44)} ${response.status} ${event["detail-type"]}`);
    }
    await waitForObservations(service.db, expected);
    const cases = await listCases(service.db);
    out("");
    out(`${cases.length} cases, by SLA due date:`);
    out(casesTable(cases));
    out("");
    out("Inspect one with `shgov cases show ID`; validate your policy with `shgov validate workflows/`.");
  } finally {
    await service.close();
    await deleteQueueKeys(redisUrl, env.QUEUE_PREFIX).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
    await redis?.stop();
  }
}

async function waitForObservations(db: { query: <R>(sql: string) => Promise<R[]> }, expected: number) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM observations");
    if ((rows[0]?.n ?? 0) >= expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the worker did not apply ${expected} findings within 30 s`);
}
