import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asffEvent } from "../support/events.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";
import { eventually, postEvent } from "../support/http.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { CLOSED_PORT, startServe } from "../support/serve-process.js";
import { SHARED_REDIS_URL, uniquePrefix } from "../support/service.js";

// Every secret the service is given, set to a value that cannot occur by chance, through a run
// at trace level that exercises intake, refusals, Slack, Security Hub and an unreachable Redis:
// none of them may appear on stdout or stderr.

const SECRETS = {
  INGEST_API_KEY: "ingest-key-SECRET-7f3a9c1e5b2d4f6a8c0e",
  ADMIN_TOKEN: "admin-token-SECRET-1a2b3c4d5e6f",
  METRICS_TOKEN: "metrics-token-SECRET-9z8y7x6w",
  SLACK_BOT_TOKEN: "xoxb-SECRET-bot-0000-1111-2222",
  SLACK_SIGNING_SECRET: "signing-SECRET-3333-4444",
  AWS_SECRET_ACCESS_KEY: "aws-secret-SECRET-5555-6666-7777",
  AWS_SESSION_TOKEN: "aws-session-SECRET-8888-9999",
  DATABASE_PASSWORD: "db-password-SECRET-abcd",
  REDIS_PASSWORD: "redis-password-SECRET-efgh",
};

let database: TestDatabase;
let slack: FakeSlack;
let securityHub: FakeSecurityHub;

beforeAll(async () => {
  database = await createTestDatabase();
  slack = await startFakeSlack({ perChannelIntervalMs: 0 });
  securityHub = await startFakeSecurityHub();
});
afterAll(async () => {
  await slack.close();
  await securityHub.close();
  await database.drop();
});

function withPassword(url: string, password: string, user = ""): string {
  const parsed = new URL(url);
  if (user) parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

describe("secrets never reach a log line", () => {
  it("a run with every secret set, at trace level, writes none of them", async () => {
    const env = {
      INGEST_API_KEY: SECRETS.INGEST_API_KEY,
      ADMIN_TOKEN: SECRETS.ADMIN_TOKEN,
      METRICS_TOKEN: SECRETS.METRICS_TOKEN,
      SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN,
      SLACK_SIGNING_SECRET: SECRETS.SLACK_SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      AWS_ACCESS_KEY_ID: "AKIDFAKE",
      AWS_SECRET_ACCESS_KEY: SECRETS.AWS_SECRET_ACCESS_KEY,
      AWS_SESSION_TOKEN: SECRETS.AWS_SESSION_TOKEN,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_SECURITYHUB: securityHub.url,
      SECURITYHUB_DRY_RUN: "false",
      // PostgreSQL here trusts any password; the shared Redis has none, and ignores one given.
      DATABASE_URL: withPassword(database.url, SECRETS.DATABASE_PASSWORD, "postgres"),
      REDIS_URL: withPassword(SHARED_REDIS_URL, SECRETS.REDIS_PASSWORD),
      QUEUE_PREFIX: uniquePrefix(),
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "trace",
    };
    const serve = startServe(env);
    try {
      const url = await serve.listening();
      // Intake: accepted, and refused with a wrong key.
      const event = asffEvent({ id: "arn:test:secrets", severity: "CRITICAL", workflowStatus: "SUPPRESSED" });
      expect((await postEvent(url, event, { apiKey: SECRETS.INGEST_API_KEY })).status).toBe(202);
      expect((await postEvent(url, event, { apiKey: `${SECRETS.INGEST_API_KEY}x` })).status).toBe(401);
      // The read API and metrics, with and without their tokens.
      expect((await fetch(`${url}/api/cases`)).status).toBe(401);
      const cases = await fetch(`${url}/api/cases`, {
        headers: { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` },
      });
      expect(cases.status).toBe(200);
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      // A forged Slack request.
      const forged = await fetch(`${url}/slack/events`, {
        method: "POST",
        headers: {
          "x-slack-signature": "v0=00",
          "x-slack-request-timestamp": String(Math.floor(Date.now() / 1000)),
        },
        body: "payload=%7B%7D",
      });
      expect(forged.status).toBe(401);
      // Slack and Security Hub were called with the secrets.
      await eventually(
        async () => (slack.calls("chat.postMessage").length > 0 ? true : undefined),
        30_000,
        "a post",
      );
      await eventually(
        async () => (securityHub.requests.length > 0 ? true : undefined),
        30_000,
        "a Security Hub call",
      );
    } finally {
      await serve.signal("SIGTERM");
    }

    // And a start where Redis cannot be reached, the case that once logged REDIS_URL whole.
    const unreachable = startServe({
      ...env,
      REDIS_URL: `redis://:${SECRETS.REDIS_PASSWORD}@127.0.0.1:${CLOSED_PORT}`,
      QUEUE_PREFIX: uniquePrefix(),
    });
    try {
      await unreachable.listening();
    } finally {
      await unreachable.signal("SIGTERM");
    }

    const output = [serve.stdout(), serve.stderr(), unreachable.stdout(), unreachable.stderr()].join("\n");
    expect(output.length).toBeGreaterThan(1_000); // trace level said a lot
    const leaked = Object.entries(SECRETS).filter(([, value]) => output.includes(value));
    expect(leaked.map(([name]) => name)).toEqual([]);
  });
});
