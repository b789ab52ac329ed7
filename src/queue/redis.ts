import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import { within, withTimeout } from "../lib/timeout.js";

/**
 * Redis connections for BullMQ. Producers fail fast when Redis is down (intake answers 503 and
 * EventBridge retries); workers wait for it forever (maxRetriesPerRequest: null, as BullMQ requires).
 */
export function producerConnection(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  } satisfies RedisOptions);
}

export function workerConnection(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    // Hundreds of concurrent jobs each finish with a command: one socket write per tick for all.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

/** host:port of a Redis URL, never its user or password: what logs and messages may say. */
export function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || "127.0.0.1"}:${parsed.port || "6379"}`;
  } catch {
    return "the address in REDIS_URL";
  }
}

/** Socket-level failures: the connection says them once per outage, so others need not. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

export function isRedisConnectionError(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  if (code && CONNECTION_CODES.has(code)) return true;
  return /Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Reached the max retries/.test(
    message ?? "",
  );
}

/** One line a person can act on, for an error of the connection to the Redis at `address`. */
export function describeRedisError(error: unknown, address: string): string {
  const { code, message = String(error) } = error as { code?: string; message?: string };
  switch (code) {
    case "ECONNREFUSED":
      return `Redis refused the connection at ${address} (REDIS_URL): is it running?`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `Redis host of ${address} (REDIS_URL) was not found`;
    case "ETIMEDOUT":
      return `Redis at ${address} (REDIS_URL) did not answer in time`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `Redis at ${address} (REDIS_URL) cannot be reached from here`;
    case "ECONNRESET":
    case "EPIPE":
      return `Redis at ${address} (REDIS_URL) closed the connection`;
  }
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) {
    return `Redis at ${address} refused the credentials in REDIS_URL`;
  }
  if (/Stream isn't writeable|Connection is closed/.test(message)) {
    return `Redis at ${address} (REDIS_URL) is not connected`;
  }
  // Other messages are Redis's own (never the URL): said as they are.
  return `Redis at ${address}: ${message}`;
}

/** Why the connection is down, as the last error it saw says; null while it is up. */
const lastErrors = new WeakMap<Redis, unknown>();

/** Resolves when Redis answers PING within the timeout; rejects with a line naming what is wrong. */
export async function pingRedis(redis: Redis, address: string, timeoutMs = 1_000): Promise<void> {
  try {
    await withTimeout(
      redis.ping(),
      timeoutMs,
      `Redis at ${address} (REDIS_URL) did not answer within ${timeoutMs} ms`,
    );
  } catch (error) {
    // "Stream isn't writeable" says only that the connection is down; the last error says why.
    const cause = redis.status === "ready" ? error : (lastErrors.get(redis) ?? error);
    throw new Error(describeRedisError(cause, address));
  }
}

/** Waits up to timeoutMs for the connection to be ready; false when it is not (Redis down). */
export function waitUntilReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once("ready", onReady);
  });
}

/**
 * Logs a connection's outage once when it starts, naming the address and the cause (never the
 * URL: it may carry a password), and once when it ends, instead of once per reconnection
 * attempt; also keeps ioredis from reporting the errors as unhandled.
 */
export function reportOutages(redis: Redis, logger: Logger, name: string, address: string): void {
  let down = false;
  redis.on("error", (error: Error) => {
    lastErrors.set(redis, error);
    if (down) return;
    down = true;
    const said = describeRedisError(error, address);
    logger.warn(
      { connection: name, redis: address, code: (error as { code?: string }).code },
      `${said}${/[.?!]$/.test(said) ? "" : "."} Retrying every 2 s`,
    );
  });
  redis.on("ready", () => {
    lastErrors.delete(redis);
    if (!down) return;
    down = false;
    logger.info({ connection: name, redis: address }, "Redis reachable again");
  });
}

/**
 * The 'error' listener of a BullMQ Worker or Queue on a reported connection: connection failures
 * are said once by reportOutages, anything else is logged. Without a listener BullMQ prints each
 * error as a stack dump on stderr.
 */
export function logBullError(logger: Logger, what: string): (error: Error) => void {
  return (error) => {
    if (isRedisConnectionError(error)) {
      logger.debug({ err: error }, `${what}: Redis connection error`);
      return;
    }
    logger.error({ err: error }, `${what} error`);
  };
}

/** Deletes every key under a BullMQ prefix (the demo's throwaway queues, test queues). */
export async function deleteQueueKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  redis.on("error", () => {});
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** How long a graceful close waits for active jobs before closing at once. */
export const WORKER_CLOSE_GRACE_MS = 5_000;

/**
 * Closes a BullMQ worker and its connection. A graceful close waits for the active jobs, which
 * wait for Redis: with Redis down it would never end, so then (or after the grace) the worker
 * is closed at once and the jobs it held run again once their locks expire. Closing the queue
 * would wait for Redis too: the connection is dropped first.
 */
export async function closeWorker(
  worker: { close(force?: boolean): Promise<void> },
  connection: Redis,
  extra: { close(): Promise<void> }[] = [],
  graceMs = WORKER_CLOSE_GRACE_MS,
): Promise<void> {
  const graceful =
    connection.status === "ready" &&
    (await within(
      worker.close().then(
        () => true,
        () => false,
      ),
      graceMs,
      false,
    ));
  if (!graceful) connection.disconnect();
  // Forced, close does not wait for jobs; with the connection gone it does not wait for Redis.
  await within(
    worker.close(true).catch(() => {}),
    1_000,
    undefined,
  );
  for (const closable of extra)
    await within(
      closable.close().catch(() => {}),
      1_000,
      undefined,
    );
  connection.disconnect();
}
