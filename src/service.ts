import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { type SweepResult, sweepDueCases } from "./app/sweep.js";
import type { Env } from "./config/env.js";
import type { Policy } from "./engine/policy.js";
import { adminRoutes } from "./http/admin-api.js";
import { sendJson } from "./http/respond.js";
import { createHttpServer, type Route } from "./http/server.js";
import { handleEvents } from "./intake/http-intake.js";
import type { DbMetricsOptions } from "./metrics/db-metrics.js";
import { recordIntakeOutcome } from "./metrics/registry.js";
import { createServiceMetrics, metricsRoute } from "./metrics/route.js";
import { loadPolicyDir } from "./policy/load.js";
import { runDigestScheduler } from "./queue/digests.js";
import { BatchingEnqueuer, ProducerQueue } from "./queue/findings-queue.js";
import { runFindingsWorker } from "./queue/findings-worker.js";
import { pingRedis, producerConnection, reportOutages, waitUntilReady } from "./queue/redis.js";
import { runReportScheduler } from "./queue/report-scheduler.js";
import { runTimerSweeper } from "./queue/timers.js";
import { startWorkerThread } from "./queue/worker-thread.js";
import { reportRoutes } from "./report/report-routes.js";
import { createSecurityHubClient } from "./securityhub/client.js";
import { SecurityHubDispatcher, type SecurityHubDispatcherOptions } from "./securityhub/dispatcher.js";
import { createSlackRoutes, startSlackSocketMode } from "./slack/app.js";
import { createSlackClient } from "./slack/client.js";
import { SlackDispatcher } from "./slack/dispatcher.js";
import { renderNotification } from "./slack/messages.js";
import { ChannelPacer } from "./slack/pacer.js";
import { announceDataDirService } from "./store/data-dir-lock.js";
import type { Database } from "./store/database.js";
import { insertDeadLetter } from "./store/dead-letters.js";
import { openStore } from "./store/open.js";

export interface ServiceRoles {
  /** The HTTP server: intake, health, admin API. */
  http: boolean;
  /** The BullMQ worker that applies findings to the store, and the timer sweep. */
  worker: boolean;
  /**
   * The Security Hub dispatcher that delivers the outbox. Run one per deployment: Security Hub's
   * rate limits are per account and region, not per process.
   */
  dispatcher?: boolean;
}

export interface ServiceOptions {
  /** The clock; tests move it. */
  now?: () => Date;
  /** Sees every Security Hub call the dispatcher makes (or would make, in dry-run mode). */
  onSecurityHubCall?: SecurityHubDispatcherOptions["onCall"];
  /** Spacing of Slack posts to one channel (1000 ms, Slack's limit, by default); the demo's stand-in has no limit. */
  slackIntervalMs?: number;
  /** How often the Slack dispatcher looks for notifications (1000 ms by default). */
  slackPollMs?: number;
  /** Caching of the database figures of GET /metrics (tests read them fresh). */
  metricsDb?: DbMetricsOptions;
}

export interface RunningService {
  url: string | null;
  port: number | null;
  db: Database;
  policy: Policy;
  dispatcher: SecurityHubDispatcher | null;
  /** Fires the timers due now (what the scheduled sweep does every minute). */
  sweep(): Promise<SweepResult>;
  close(): Promise<void>;
}

export class MissingSettingError extends Error {
  override name = "MissingSettingError";
}

/**
 * Wires the adapters: store, queue, worker and HTTP server. Everything is closed in reverse
 * order by close(), and a failure half-way closes what was opened.
 */
export async function startService(
  env: Env,
  roles: ServiceRoles,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<RunningService> {
  const now = options.now ?? (() => new Date());
  if (roles.http && !env.INGEST_API_KEY) {
    throw new MissingSettingError(
      "INGEST_API_KEY is required to accept events: set it to a long random string",
    );
  }
  const policy = await loadPolicyDir(env.WORKFLOWS_DIR);
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse())
      await closer().catch((error) => logger.warn({ err: error }, "close failed"));
    closers.length = 0;
  };
  try {
    const db = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
    closers.push(() => db.close());

    if (roles.worker && db.kind === "postgres" && env.WORKER_THREAD && !options.now) {
      // The findings worker and the timer sweep run on their own thread.
      const thread = startWorkerThread(env, logger);
      closers.push(() => thread.close());
    } else if (roles.worker) {
      closers.push(runFindingsWorker(env, db, policy, logger, now));
      closers.push(runTimerSweeper(env, db, policy, logger, now));
    }

    let dispatcher: SecurityHubDispatcher | null = null;
    if (roles.dispatcher) {
      const client = env.SECURITYHUB_DRY_RUN
        ? null
        : createSecurityHubClient({
            ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
            ...(env.AWS_ENDPOINT_URL_SECURITYHUB ? { endpoint: env.AWS_ENDPOINT_URL_SECURITYHUB } : {}),
          });
      const running = new SecurityHubDispatcher({
        db,
        policy,
        client,
        logger,
        now,
        ...(options.onSecurityHubCall ? { onCall: options.onSecurityHubCall } : {}),
      });
      running.start();
      closers.push(async () => {
        await running.stop();
        client?.destroy();
      });
      dispatcher = running;
      if (!client) logger.warn("SECURITYHUB_DRY_RUN: Security Hub calls are logged, not made");
      if (env.SLACK_BOT_TOKEN) {
        const slackClient = createSlackClient({
          token: env.SLACK_BOT_TOKEN,
          ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
        });
        // One pacer for every sender to a channel: per-finding messages and digests share Slack's limit.
        const pacer = new ChannelPacer(options.slackIntervalMs ?? 1_000);
        const slack = new SlackDispatcher({
          db,
          policy,
          client: slackClient,
          render: renderNotification,
          logger,
          now,
          pacer,
          ...(options.slackPollMs !== undefined ? { pollMs: options.slackPollMs } : {}),
        });
        slack.start();
        closers.push(() => slack.stop());
        closers.push(runDigestScheduler(env, db, policy, logger, now, slackClient, { pacer }));
        closers.push(
          runReportScheduler(env, {
            db,
            policy,
            client: slackClient,
            logger,
            now,
            publicUrl: env.PUBLIC_URL ?? null,
            instance: `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
            pacer,
          }),
        );
      } else {
        logger.warn(
          "SLACK_BOT_TOKEN is not set: notifications wait in the outbox until it is, and no weekly report is posted",
        );
      }
    }

    let server: Server | null = null;
    if (roles.http) {
      const producer: Redis = producerConnection(env.REDIS_URL);
      reportOutages(producer, logger, "intake");
      closers.push(async () => producer.disconnect());
      // Start answering only once Redis is there, unless it is down: then 503 until it comes back.
      if (!(await waitUntilReady(producer, 5_000))) {
        logger.warn(
          { redis: env.REDIS_URL },
          "Redis is unreachable; POST /events answers 503 until it is back",
        );
      }
      const producerQueue = new ProducerQueue(producer, env.QUEUE_PREFIX);
      closers.push(() => producerQueue.close());
      const enqueuer = new BatchingEnqueuer(() => producerQueue.get());
      const adminToken = env.ADMIN_TOKEN ?? randomBytes(24).toString("hex");
      const routes: Route[] = [
        {
          method: "POST",
          path: /^\/events$/,
          handler: (request, response) =>
            handleEvents(request, response, {
              apiKey: env.INGEST_API_KEY as string,
              enqueue: (observations) => enqueuer.enqueue(observations),
              keepDeadLetter: (letter) => insertDeadLetter(db, letter),
              logger,
              onOutcome: recordIntakeOutcome,
            }),
        },
        { method: "GET", path: /^\/healthz$/, handler: (_req, res) => sendJson(res, 200, { status: "ok" }) },
        {
          method: "GET",
          path: /^\/readyz$/,
          handler: async (_req, res) => {
            const checks = await Promise.all([
              pingRedis(producer).then(
                () => ({ name: "redis", ok: true }),
                (error: Error) => ({ name: "redis", ok: false, error: error.message }),
              ),
              db.ping().then(
                () => ({ name: "database", ok: true }),
                (error: Error) => ({ name: "database", ok: false, error: error.message }),
              ),
            ]);
            const ready = checks.every((check) => check.ok);
            sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not_ready", checks });
          },
        },
        // Counts only, for the scraper; behind METRICS_TOKEN when it is set.
        metricsRoute(
          createServiceMetrics({
            db,
            queue: () => producerQueue.get(),
            escalationLevels: policy.escalation.length,
            ...(options.metricsDb ? { dbCache: options.metricsDb } : {}),
          }),
          env.METRICS_TOKEN ?? null,
        ),
        ...adminRoutes(db, adminToken, { policy, now }),
        ...reportRoutes(db),
      ];
      if (env.SLACK_BOT_TOKEN && env.SLACK_APP_TOKEN) {
        // Socket Mode: Slack delivers events over a WebSocket the app opens; no public URL needed.
        const socket = startSlackSocketMode({
          db,
          policy,
          signingSecret: env.SLACK_SIGNING_SECRET ?? "",
          botToken: env.SLACK_BOT_TOKEN,
          appToken: env.SLACK_APP_TOKEN,
          slackApiUrl: env.SLACK_API_URL ?? null,
          now,
          logger,
        });
        await socket.start();
        closers.push(() => socket.stop());
      } else if (env.SLACK_BOT_TOKEN && env.SLACK_SIGNING_SECRET) {
        routes.push(
          ...createSlackRoutes({
            db,
            policy,
            signingSecret: env.SLACK_SIGNING_SECRET,
            botToken: env.SLACK_BOT_TOKEN,
            slackApiUrl: env.SLACK_API_URL ?? null,
            now,
            logger,
          }).routes,
        );
      }
      const httpServer = createHttpServer(routes, logger);
      server = httpServer;
      await new Promise<void>((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(env.PORT, env.HOST, () => resolve());
      });
      closers.push(
        () =>
          new Promise<void>((resolve) => {
            httpServer.close(() => resolve());
            httpServer.closeAllConnections();
          }),
      );
      if (db.kind === "pglite" && !env.DATABASE_URL && env.DATA_DIR !== "memory://") {
        await announceDataDirService(env.DATA_DIR, (httpServer.address() as AddressInfo).port, adminToken);
      }
    }

    const port = server ? (server.address() as AddressInfo).port : null;
    const host = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
    logger.info(
      { port, store: db.kind, roles, workflows: env.WORKFLOWS_DIR, teams: Object.keys(policy.teams) },
      "securityhub-governor started",
    );
    return {
      url: port ? `http://${host}:${port}` : null,
      port,
      db,
      policy,
      dispatcher,
      sweep: () => sweepDueCases(db, policy, now()),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
