import { pingRedis, producerConnection, redisAddress, waitUntilReady } from "../queue/redis.js";
import { inspectRedisDurability } from "../queue/redis-durability.js";
import { type CheckResult, fail, ok, warn } from "./check.js";

/** Reachable, noeviction (BullMQ loses jobs otherwise), and persistent (a warning only). */
export async function redisChecks(url: string): Promise<CheckResult[]> {
  const address = redisAddress(url);
  const redis = producerConnection(url);
  // The connection's own errors are what pingRedis reports; they must not reach the console.
  redis.on("error", () => {});
  try {
    try {
      // The connection fails fast (no offline queue): a command before it is up would fail too.
      await waitUntilReady(redis, 3_000);
      await pingRedis(redis, address, 3_000);
    } catch (error) {
      return [fail("redis", (error as Error).message, "start Redis or correct REDIS_URL")];
    }
    const results: CheckResult[] = [ok("redis", `${address} answers`)];
    const durability = await inspectRedisDurability(redis, address);
    results.push(
      durability.evictionWarning
        ? fail("redis eviction", durability.evictionWarning, "set maxmemory-policy noeviction")
        : ok("redis eviction", `maxmemory-policy ${durability.evictionPolicy ?? "noeviction"}`),
    );
    results.push(
      durability.persistenceWarning
        ? warn("redis persistence", durability.persistenceWarning, "run Redis with appendonly yes")
        : ok("redis persistence", "AOF on"),
    );
    return results;
  } finally {
    redis.disconnect();
  }
}
