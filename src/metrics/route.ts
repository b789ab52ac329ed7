import type { Queue } from "bullmq";
import { Registry } from "prom-client";
import { bearerMatches } from "../http/api-key.js";
import { sendError } from "../http/respond.js";
import type { Route } from "../http/server.js";
import type { Database } from "../store/database.js";
import { type DbMetricsOptions, registerDatabaseUp, registerDbMetrics } from "./db-metrics.js";
import { registerQueueMetrics } from "./queue-metrics.js";
import { processRegistry } from "./registry.js";

export interface ServiceMetricsOptions {
  db: Database;
  /** The findings queue (ProducerQueue.get): throws while Redis has not been reachable. */
  queue: () => Queue;
  /** Levels of the policy's escalation ladder: their series exist from the start, at 0. */
  escalationLevels: number;
  dbCache?: DbMetricsOptions;
  queueTimeoutMs?: number;
}

/**
 * The service's registry: the process's own metrics plus the ones it reads from Redis and the
 * database at scrape time. One per service, so that two services in one process (tests) keep
 * their own sources.
 */
export function createServiceMetrics(options: ServiceMetricsOptions): Registry {
  const own = new Registry();
  registerQueueMetrics(own, {
    queue: options.queue,
    ...(options.queueTimeoutMs !== undefined ? { timeoutMs: options.queueTimeoutMs } : {}),
  });
  registerDatabaseUp(own, options.db);
  registerDbMetrics(own, options.db, { ...options.dbCache, escalationLevels: options.escalationLevels });
  return Registry.merge([processRegistry(), own]);
}

/**
 * GET /metrics in the Prometheus text format. It tells counts, never case contents; with
 * `token` (METRICS_TOKEN) it asks for it as a bearer token, which Prometheus sends with
 * `authorization: { credentials: ... }` in its scrape config, since the port that takes
 * EventBridge's and Slack's requests is usually reachable from outside.
 */
export function metricsRoute(registry: Registry, token: string | null = null): Route {
  return {
    method: "GET",
    path: /^\/metrics$/,
    handler: async (request, response) => {
      if (token !== null && !bearerMatches(request, token)) {
        return sendError(response, 401, "unauthorized", "GET /metrics needs the bearer token METRICS_TOKEN");
      }
      const text = await registry.metrics();
      response.writeHead(200, {
        "content-type": registry.contentType,
        "content-length": Buffer.byteLength(text),
      });
      response.end(text);
    },
  };
}
