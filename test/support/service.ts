import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type Logger, pino } from "pino";
import { type Env, loadEnv } from "../../src/config/env.js";
import { deleteQueueKeys as deleteKeysUnder } from "../../src/queue/redis.js";
import {
  type RunningService,
  type ServiceOptions,
  type ServiceRoles,
  startService,
} from "../../src/service.js";
import { REPO_ROOT } from "./events.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";

export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const TEST_API_KEY = "test-ingest-key-0123456789";

export interface TestService {
  service: RunningService;
  url: string;
  env: Env;
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  store?: "postgres" | "pglite";
  redisUrl?: string;
  roles?: ServiceRoles;
  /** Reuse a database (for restarts); otherwise a fresh one is made and dropped at stop(). */
  databaseUrl?: string;
  queuePrefix?: string;
  workflowsDir?: string;
  env?: Partial<Env>;
  options?: ServiceOptions;
  /** Silent unless given (a test that reads the service's log lines). */
  logger?: Logger;
}

export function uniquePrefix(): string {
  return `shgov-test-${randomBytes(5).toString("hex")}`;
}

/** Deletes a test's queue keys; Redis may be gone on purpose in an outage test. */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  await deleteKeysUnder(redisUrl, prefix).catch(() => {});
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  let database: TestDatabase | null = null;
  let databaseUrl = options.databaseUrl;
  if ((options.store ?? "postgres") === "postgres" && !databaseUrl) {
    database = await createTestDatabase();
    databaseUrl = database.url;
  }
  const redisUrl = options.redisUrl ?? SHARED_REDIS_URL;
  const prefix = options.queuePrefix ?? uniquePrefix();
  const env: Env = {
    ...loadEnv({}),
    REDIS_URL: redisUrl,
    DATABASE_URL: options.store === "pglite" ? undefined : databaseUrl,
    DATA_DIR: "memory://",
    INGEST_API_KEY: TEST_API_KEY,
    HOST: "127.0.0.1",
    PORT: 0,
    QUEUE_PREFIX: prefix,
    WORKFLOWS_DIR: options.workflowsDir ?? join(REPO_ROOT, "workflows"),
    WORKER_LOCK_DURATION_MS: 5_000,
    ...options.env,
  };
  const service = await startService(
    env,
    options.roles ?? { http: true, worker: true },
    options.logger ?? pino({ level: "silent" }),
    options.options ?? {},
  );
  return {
    service,
    url: service.url ?? "",
    env,
    async stop() {
      await service.close();
      if (!options.queuePrefix) await deleteQueueKeys(redisUrl, prefix);
      await database?.drop();
    },
  };
}
