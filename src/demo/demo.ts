import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { type Env, loadEnv } from "../config/env.js";
import { formatInstant } from "../engine/time-text.js";
import { ShgovError } from "../errors.js";
import { renderTable } from "../lib/table.js";
import { truncate } from "../lib/text.js";
import { deleteQueueKeys } from "../queue/redis.js";
import { startService } from "../service.js";
import { auditReportText, verifyAudit } from "../store/audit-verify.js";
import { type CaseSummary, listCases } from "../store/cases.js";
import type { Sql } from "../store/database.js";
import { countObservations } from "../store/observations.js";
import { type PrivateRedis, redisAnswers, redisServerOnPath, startPrivateRedis } from "./redis-server.js";
import { startSlackStandIn } from "./slack-stand-in.js";
import { DemoClock, type SecurityHubCallSeen, tellStory } from "./story.js";
import { EXAMPLE_EVENTS_DIR } from "./story-events.js";

export { EXAMPLE_EVENTS_DIR };

/** The demo's clock starts here and jumps forward through the story. */
export const DEMO_START = "2026-11-20T10:00:00.000Z";

export class DemoPrerequisiteError extends ShgovError {
  override name = "DemoPrerequisiteError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("demo.prerequisite_missing", message, options);
  }
}

export interface DemoOptions {
  out: (line: string) => void;
  logger: Logger;
  baseEnv?: NodeJS.ProcessEnv;
  /** Also print a Block Kit Builder link per kind of Slack message (`shgov demo --block-kit-links`). */
  blockKitLinks?: boolean;
}

/**
 * The "run it" command: the whole pipeline on this machine with nothing but Node and Redis.
 * Bundled example events go through the real HTTP intake, the queue and the worker into an
 * embedded database in a temporary directory, and the resulting cases are printed. Then the story
 * of a suppressed end-of-support finding is told step by step (story.ts) on a clock that jumps
 * ahead, with the Security Hub dispatcher in dry-run mode: no AWS credentials, no network. It ends
 * with the audit log's verification.
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
  const adminToken = randomBytes(16).toString("hex");
  const slackSigningSecret = randomBytes(16).toString("hex");
  // Slack without Slack: the service's real Slack code talks to a stand-in of the Web API.
  const slack = await startSlackStandIn({ S0PLATFORM: ["U0ALICE"], S0SECURITY: ["U0SECBOB"] });
  const env: Env = {
    ...base,
    REDIS_URL: redisUrl,
    DATABASE_URL: undefined,
    DATA_DIR: dataDir,
    INGEST_API_KEY: apiKey,
    ADMIN_TOKEN: adminToken,
    SECURITYHUB_DRY_RUN: true,
    HOST: "127.0.0.1",
    PORT: 0,
    QUEUE_PREFIX: `shgov-demo-${randomBytes(4).toString("hex")}`,
    SLACK_BOT_TOKEN: "xoxb-demo",
    SLACK_SIGNING_SECRET: slackSigningSecret,
    SLACK_APP_TOKEN: undefined,
    SLACK_API_URL: slack.url,
  };
  const clock = new DemoClock(Date.parse(DEMO_START));
  const calls: SecurityHubCallSeen[] = [];
  const service = await startService(env, { http: true, worker: true, dispatcher: true }, options.logger, {
    now: clock.now,
    onSecurityHubCall: (call) => calls.push(call),
    // The stand-in has no rate limit: no need for Slack's one message per second per channel.
    slackIntervalMs: 0,
    slackPollMs: 50,
  }).catch(async (error: unknown) => {
    await slack.close();
    throw error;
  });
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
    // The service sweeps timers every minute, at any moment: sweep now, so the table never depends on it.
    await service.sweep();
    const cases = await listCases(service.db);
    out("");
    out(
      `${cases.length} cases on ${formatInstant(DEMO_START)}, the demo's clock (the examples' ` +
        "SLAs ran out long ago):",
    );
    out(demoCasesTable(cases));

    out("");
    out("The story the bot exists for, on a clock that jumps ahead. Dry run: the Security Hub calls the");
    out("bot would make are printed, not made; its Slack messages go to a stand-in of Slack's Web API and");
    out("are printed as Slack would show them, and people's clicks are signed requests to /slack/events.");
    await tellStory({
      service,
      url: service.url ?? "",
      apiKey,
      adminToken,
      clock,
      calls,
      out,
      slack,
      slackSigningSecret,
      logger: options.logger,
      blockKitLinks: options.blockKitLinks === true,
    });

    const audit = await verifyAudit(service.db);
    out("");
    out(`── audit verify (as \`shgov audit verify\`)`);
    out(`  ${auditReportText(audit)}: every decision above is a hash-chained audit event`);
    if (!audit.ok) throw new Error("the demo's audit log does not verify");
    out("");
    if (!options.blockKitLinks)
      out("Each kind of Slack message in Slack's Block Kit Builder: `shgov demo --block-kit-links`.");
    out(
      "Run it for real with `shgov serve` (see README.md); check your policy with `shgov validate workflows/`.",
    );
  } finally {
    await service.close();
    await deleteQueueKeys(redisUrl, env.QUEUE_PREFIX).catch(() => {});
    await slack.close();
    await rm(dataDir, { recursive: true, force: true });
    await redis?.stop();
  }
}

async function waitForObservations(db: Sql, expected: number) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await countObservations(db)) >= expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the worker did not apply ${expected} findings within 30 s`);
}

/** The cases table, narrow: the finding ids are long and alike. */
function demoCasesTable(cases: CaseSummary[]): string {
  return renderTable(
    ["CONTROL", "SEVERITY", "OWNER", "STATUS", "SLA DUE", "TITLE"],
    cases.map((c) => [
      c.controlId ?? "-",
      c.severity,
      c.owner,
      c.status,
      c.slaDueAt ? c.slaDueAt.slice(0, 10) : "not tracked",
      truncate(c.title, 40),
    ]),
  );
}
