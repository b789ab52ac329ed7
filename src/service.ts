import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { SecurityHubClient } from "@aws-sdk/client-securityhub";
import type { WebClient } from "@slack/web-api";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Env } from "./config/env.js";
import type { Policy } from "./engine/policy.js";
import { ShgovError } from "./errors.js";
import { adminRoutes } from "./http/admin-api.js";
import { reportRoutes } from "./http/report-routes.js";
import { sendJson } from "./http/respond.js";
import { createHttpServer, type Route } from "./http/server.js";
import { handleEvents } from "./intake/http-intake.js";
import { within } from "./lib/timeout.js";
import { RepeatedFailureLog } from "./log.js";
import type { DbMetricsOptions } from "./metrics/db-metrics.js";
import { recordIntakeOutcome, recordRedisDataLoss } from "./metrics/registry.js";
import { createServiceMetrics, metricsRoute } from "./metrics/route.js";
import { loadPolicyDir } from "./policy/load.js";
import { runDigestScheduler } from "./queue/digests.js";
import { BatchingEnqueuer, ProducerQueue } from "./queue/findings-queue.js";
import { runFindingsWorker } from "./queue/findings-worker.js";
import { pingRedis, producerConnection, redisAddress, reportOutages, waitUntilReady } from "./queue/redis.js";
import { RedisDurabilityWatch } from "./queue/redis-durability.js";
import { runReportScheduler } from "./queue/report-scheduler.js";
import { runTimerSweeper } from "./queue/timers.js";
import { startWorkerThread } from "./queue/worker-thread.js";
import { createSecurityHubClient } from "./securityhub/client.js";
import { SecurityHubDispatcher, type SecurityHubDispatcherOptions } from "./securityhub/dispatcher.js";
import { PolicyMembership } from "./shell/membership.js";
import { recordApiCalls } from "./shell/record-api-calls.js";
import { type SweepResult, sweepDueCases } from "./shell/sweep.js";
import { renderNotification } from "./slack/case-message.js";
import { createSlackClient } from "./slack/client.js";
import { SlackDispatcher } from "./slack/dispatcher.js";
import { createSlackRoutes } from "./slack/http-receiver.js";
import { ChannelPacer } from "./slack/pacer.js";
import { startSlackSocketMode } from "./slack/socket-mode.js";
import { announceDataDirService } from "./store/data-dir-lock.js";
import type { Database } from "./store/database.js";
import { insertDeadLetter } from "./store/dead-letters.js";
import { hasObservations } from "./store/observations.js";
import { openServiceStore } from "./store/open.js";
import { postgresAddress } from "./store/postgres.js";

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
  /** Where the server listens, as bound: "0.0.0.0:3000". */
  listening: string | null;
  db: Database;
  policy: Policy;
  dispatcher: SecurityHubDispatcher | null;
  /** Fires the timers due now (what the scheduled sweep does every minute). */
  sweep(): Promise<SweepResult>;
  /**
   * Stops everything, in reverse order of start. With a timeout it resolves by then whatever
   * hangs, naming the parts still closing (their work is left for redelivery).
   */
  close(options?: { timeoutMs?: number }): Promise<{ unfinished: string[] }>;
}

export class MissingSettingError extends ShgovError {
  override name = "MissingSettingError";
  constructor(message: string) {
    super("setting.missing", message);
  }
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
  const closers = new Closers(logger);
  const close = (options: { timeoutMs?: number } = {}) => closers.closeAll(options.timeoutMs);
  try {
    // Before anything starts: a setting that cannot work is refused in one line.
    const aws = roles.dispatcher && !env.SECURITYHUB_DRY_RUN ? await checkAws(env, logger) : null;
    const store = await openServiceStore(
      { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR },
      (message) =>
        logger.warn(
          { database: postgresAddress(env.DATABASE_URL ?? "") },
          `${message}${/[.?!]$/.test(message) ? "" : "."} POST /events keeps accepting events into Redis; the worker and the dispatchers start once the database answers (retrying every 5 s)`,
        ),
    );
    const db = store.db;
    closers.push("database", () => store.close());

    /** What needs the database: started at once, or once a database away at start answers. */
    const startStoreParts = async (): Promise<SecurityHubDispatcher | null> => {
      if (roles.worker && db.kind === "postgres" && env.WORKER_THREAD && !options.now) {
        // The findings worker and the timer sweep run on their own thread.
        const thread = startWorkerThread(env, logger);
        closers.push("findings worker thread", () => thread.close());
      } else if (roles.worker) {
        closers.push("findings worker", runFindingsWorker(env, db, policy, logger, now));
        closers.push("timer sweep", runTimerSweeper(env, db, policy, logger, now));
      }

      let dispatcher: SecurityHubDispatcher | null = null;
      if (roles.dispatcher) {
        const client = aws
          ? createSecurityHubClient({
              region: aws.region,
              ...(env.AWS_ENDPOINT_URL_SECURITYHUB ? { endpoint: env.AWS_ENDPOINT_URL_SECURITYHUB } : {}),
            })
          : null;
        const running = new SecurityHubDispatcher({
          db,
          policy,
          client,
          logger,
          now,
          ...(options.onSecurityHubCall ? { onCall: options.onSecurityHubCall } : {}),
        });
        running.start();
        closers.push("Security Hub dispatcher", async () => {
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
          await checkSlackToken(slackClient, logger);
          // One pacer for every sender to a channel: per-finding messages and digests share Slack's limit.
          const pacer = new ChannelPacer(options.slackIntervalMs ?? env.SLACK_POST_INTERVAL_MS);
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
          closers.push("Slack dispatcher", () => slack.stop());
          closers.push(
            "Slack digests",
            runDigestScheduler(env, db, policy, logger, now, slackClient, { pacer }),
          );
          closers.push(
            "weekly report",
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

      return dispatcher;
    };
    let dispatcher: SecurityHubDispatcher | null = null;
    let closing = false;
    closers.push("start-up", async () => {
      closing = true;
    });
    if (store.readyAtStart) dispatcher = await startStoreParts();
    else {
      store.ready
        .then(async () => {
          if (closing) return;
          logger.info("the database answers: starting the worker and the dispatchers");
          await startStoreParts();
        })
        .catch((error: Error) => {
          // Closed before the database answered, or a part that could not start: said, never thrown.
          if (!closing) logger.error({ err: error }, "the worker and the dispatchers could not start");
        });
    }
    let server: Server | null = null;
    if (roles.http) {
      const redisAt = redisAddress(env.REDIS_URL);
      const producer: Redis = producerConnection(env.REDIS_URL);
      reportOutages(producer, logger, "intake", redisAt);
      closers.push("intake Redis connection", async () => producer.disconnect());
      // Start answering only once Redis is there, unless it is down: then 503 until it comes back.
      if (!(await waitUntilReady(producer, 5_000))) {
        logger.warn({ redis: redisAt }, "POST /events answers 503 until Redis is reachable");
      }
      const producerQueue = new ProducerQueue(producer, env.QUEUE_PREFIX);
      // With Redis away, closing the queue would wait for it; the connection is dropped first.
      closers.push("intake queue", () => {
        if (producer.status !== "ready") producer.disconnect();
        return producerQueue.close();
      });
      // A 202 is as durable as Redis: said at start and in /readyz, and a loss of its data is noticed.
      const durability = new RedisDurabilityWatch({
        redis: producer,
        address: redisAt,
        prefix: env.QUEUE_PREFIX,
        queue: () => producerQueue.get(),
        logger,
        storeHasFindings: () => hasObservations(db),
        onLoss: recordRedisDataLoss,
      });
      durability.start();
      closers.push("Redis durability watch", async () => durability.stop());
      const enqueuer = new BatchingEnqueuer(() => producerQueue.get());
      const queueFailures = new RepeatedFailureLog(logger, "queueing events (POST /events answers 503)");
      const adminToken = env.ADMIN_TOKEN ?? randomBytes(24).toString("hex");
      const routes: Route[] = [
        {
          method: "POST",
          path: /^\/events$/,
          handler: (request, response) =>
            handleEvents(request, response, {
              apiKey: env.INGEST_API_KEY as string,
              enqueue: async (observations) => {
                const jobIds = await enqueuer.enqueue(observations);
                durability.noteAccepted(observations.length);
                return jobIds;
              },
              keepDeadLetter: (letter) => insertDeadLetter(db, letter),
              recordApiCalls: (calls) => recordApiCalls(db, policy, calls, now()),
              logger,
              onOutcome: recordIntakeOutcome,
              queueFailures,
            }),
        },
        { method: "GET", path: /^\/healthz$/, handler: (_req, res) => sendJson(res, 200, { status: "ok" }) },
        {
          method: "GET",
          path: /^\/readyz$/,
          handler: async (_req, res) => {
            const [checks, warnings] = await Promise.all([
              Promise.all([
                pingRedis(producer, redisAt).then(
                  () => ({ name: "redis", ok: true }),
                  (error: Error) => ({ name: "redis", ok: false, error: error.message }),
                ),
                db.ping().then(
                  () => ({ name: "database", ok: true }),
                  (error: Error) => ({ name: "database", ok: false, error: error.message }),
                ),
              ]),
              // Persistence and eviction warn; a Redis that would lose events still takes them.
              durability.readinessChecks(),
            ]);
            const ready = checks.every((check) => check.ok);
            sendJson(res, ready ? 200 : 503, {
              status: ready ? "ready" : "not_ready",
              checks: [...checks, ...warnings],
            });
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
        ...adminRoutes(db, adminToken, { policy, membership: new PolicyMembership(policy), now }),
        ...reportRoutes(db),
      ];
      if (env.SLACK_BOT_TOKEN && env.SLACK_APP_TOKEN) {
        // Socket Mode: Slack delivers events over a WebSocket the app opens; no public URL needed.
        const socket = startSlackSocketMode({
          db,
          policy,
          botToken: env.SLACK_BOT_TOKEN,
          appToken: env.SLACK_APP_TOKEN,
          slackApiUrl: env.SLACK_API_URL ?? null,
          now,
          logger,
        });
        await socket.start();
        closers.push("Slack Socket Mode", () => socket.stop());
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
        const onListenError = (error: NodeJS.ErrnoException) => reject(listenError(error, env));
        httpServer.once("error", onListenError);
        httpServer.listen(env.PORT, env.HOST, () => {
          httpServer.off("error", onListenError);
          resolve();
        });
      });
      // Later server errors are logged; none may end the process.
      httpServer.on("error", (error) => logger.error({ err: error }, "HTTP server error"));
      closers.push(
        "HTTP server",
        () =>
          new Promise<void>((resolve) => {
            // Requests under way are answered (for a second at most); idle keep-alive sockets go now.
            httpServer.close(() => resolve());
            httpServer.closeIdleConnections();
            setTimeout(() => httpServer.closeAllConnections(), 1_000).unref();
          }),
      );
      if (db.kind === "pglite" && !env.DATABASE_URL && env.DATA_DIR !== "memory://") {
        await announceDataDirService(env.DATA_DIR, (httpServer.address() as AddressInfo).port, adminToken);
      }
    }

    const address = server ? (server.address() as AddressInfo) : null;
    const port = address?.port ?? null;
    const host = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
    const listening = address
      ? `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`
      : null;
    logger.info(
      { port, store: db.kind, roles, workflows: env.WORKFLOWS_DIR, teams: Object.keys(policy.teams) },
      "securityhub-governor started",
    );
    return {
      url: port ? `http://${host}:${port}` : null,
      port,
      listening,
      db,
      policy,
      dispatcher,
      sweep: () => sweepDueCases(db, policy, now()),
      close,
    };
  } catch (error) {
    await close({ timeoutMs: env.SHUTDOWN_TIMEOUT_MS });
    throw error;
  }
}

/**
 * What was started, closed in reverse order. With a deadline, closing stops waiting when it
 * passes and says what was still closing; the process then exits and the work those parts held
 * is redelivered (BullMQ locks expire, outbox leases lapse).
 */
class Closers {
  private readonly entries: { name: string; close: () => Promise<unknown> }[] = [];
  constructor(private readonly logger: Logger) {}

  private closed = false;

  push(name: string, close: () => Promise<unknown>): void {
    // A part started after closing began (a database that answered meanwhile) is stopped at once.
    if (this.closed) {
      void close().catch((error) => this.logger.warn({ err: error, part: name }, "close failed"));
      return;
    }
    this.entries.push({ name, close });
  }

  async closeAll(timeoutMs?: number): Promise<{ unfinished: string[] }> {
    this.closed = true;
    const pending = this.entries.splice(0).reverse();
    const unfinished = new Set(pending.map((entry) => entry.name));
    const all = (async () => {
      for (const entry of pending) {
        await entry
          .close()
          .catch((error) => this.logger.warn({ err: error, part: entry.name }, "close failed"));
        unfinished.delete(entry.name);
      }
    })();
    if (timeoutMs === undefined) {
      await all;
      return { unfinished: [] };
    }
    await within(all, timeoutMs, undefined);
    return { unfinished: [...unfinished] };
  }
}

/** The port cannot be had: said with the setting to change. */
function listenError(error: NodeJS.ErrnoException, env: Env): Error {
  switch (error.code) {
    case "EADDRINUSE":
      return new ShgovError(
        "port.in_use",
        `PORT ${env.PORT} is already in use on ${env.HOST} (HOST): another shgov serve, or another program, listens there; stop it or set PORT to a free port`,
      );
    case "EACCES":
      return new ShgovError(
        "port.denied",
        `PORT ${env.PORT} on ${env.HOST} needs privileges this process does not have: set PORT above 1023`,
      );
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new ShgovError("host.unknown", `HOST ${env.HOST} is not an address of this machine`);
    default:
      return error;
  }
}

/**
 * The Security Hub dispatcher calls AWS for real: without a region nothing can work, so that is
 * refused; missing credentials are said loudly (the updates wait in the outbox until there are).
 */
async function checkAws(env: Env, logger: Logger): Promise<{ region: string }> {
  const probe = new SecurityHubClient(env.AWS_REGION ? { region: env.AWS_REGION } : {});
  try {
    let region: string;
    try {
      region = await probe.config.region();
    } catch {
      throw new ShgovError(
        "aws.region_missing",
        "AWS_REGION is not set, and no AWS profile names a region: set it to the region where Security Hub aggregates your findings (or SECURITYHUB_DRY_RUN=true to run without AWS)",
      );
    }
    const credentials = await within(probe.config.credentials(), 5_000, TIMED_OUT).catch(
      (error: Error) => error,
    );
    if (credentials instanceof Error || credentials === TIMED_OUT) {
      logger.warn(
        { region, error: credentials instanceof Error ? credentials.message : "no answer within 5 s" },
        "no AWS credentials found (environment, AWS_PROFILE, SSO, web identity, container or instance role): " +
          "blocked suppressions cannot be reverted in Security Hub, nor their suppressor named, until there are; the updates wait in the outbox",
      );
    }
    return { region };
  } finally {
    probe.destroy();
  }
}

/** A bot token Slack refuses means no message will ever leave: said at start, once. */
async function checkSlackToken(client: WebClient, logger: Logger): Promise<void> {
  type Answer = { ok: true; team?: string; user?: string } | { ok: false; refused: boolean; error: string };
  const answer = await within(
    client.auth.test().then(
      (result): Answer => ({
        ok: true,
        ...(result.team ? { team: result.team } : {}),
        ...(result.user ? { user: result.user } : {}),
      }),
      (error: { code?: string; data?: { error?: string }; message?: string }): Answer =>
        // A platform error is Slack's answer; anything else is Slack not reached.
        error.code === "slack_webapi_platform_error"
          ? { ok: false, refused: true, error: error.data?.error ?? "refused" }
          : { ok: false, refused: false, error: error.message ?? String(error) },
    ),
    5_000,
    TIMED_OUT,
  );
  if (answer === TIMED_OUT) {
    logger.warn("Slack did not answer auth.test within 5 s; messages wait in the outbox until it does");
  } else if (!answer.ok && answer.refused) {
    logger.error(
      { error: answer.error },
      `Slack refused SLACK_BOT_TOKEN (${answer.error}): no message can be posted until it is fixed; they wait in the outbox`,
    );
  } else if (!answer.ok) {
    logger.warn(
      { error: answer.error },
      "Slack could not be reached (SLACK_API_URL, or the network): messages wait in the outbox until it can",
    );
  } else {
    logger.info({ team: answer.team, user: answer.user }, "Slack bot token accepted");
  }
}

const TIMED_OUT = Symbol("timed out");
