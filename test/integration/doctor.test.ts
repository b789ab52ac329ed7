import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "../../src/config/env.js";
import { type PrivateRedis, startPrivateRedis } from "../../src/demo/redis-server.js";
import type { CheckResult } from "../../src/doctor/check.js";
import { doctorFailed, doctorText } from "../../src/doctor/check.js";
import { runDoctor } from "../../src/doctor/run-doctor.js";
import { runSetup } from "../../src/setup/run-setup.js";
import { BOT_SCOPES } from "../../src/slack/scopes.js";
import { openStore } from "../../src/store/open.js";
import { runCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/events.js";
import { type FakeEventBridge, startFakeEventBridge } from "../support/fake-eventbridge.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";

const CHANNELS = ["C0PLATFORM", "C0SECURITY", "C0LEADERS"];
const SERVICE_URL = "https://shgov.example.com";
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: "AKIDFAKE",
  AWS_SECRET_ACCESS_KEY: "fake-secret",
  AWS_REGION: "eu-west-1",
};

let healthyRedis: PrivateRedis;
let evictingRedis: PrivateRedis;
let redisDir: string;
let database: TestDatabase;
let slack: FakeSlack;
let slackWithoutMember: FakeSlack;
let securityHub: FakeSecurityHub;
let eventBridge: FakeEventBridge;

beforeAll(async () => {
  redisDir = mkdtempSync(join(tmpdir(), "shgov-doctor-redis-"));
  [healthyRedis, evictingRedis, database, slack, slackWithoutMember, securityHub, eventBridge] =
    await Promise.all([
      startPrivateRedis(undefined, ["--appendonly", "yes", "--dir", redisDir]),
      startPrivateRedis(undefined, ["--maxmemory-policy", "allkeys-lru"]),
      createTestDatabase(),
      startFakeSlack({ scopes: [...BOT_SCOPES], memberOf: CHANNELS }),
      startFakeSlack({ scopes: [...BOT_SCOPES], memberOf: ["C0PLATFORM", "C0LEADERS"] }),
      startFakeSecurityHub(),
      startFakeEventBridge(),
    ]);
  for (const group of ["S0PLATFORM", "S0SECURITY"]) {
    slack.setUsergroup(group, ["U1"]);
    slackWithoutMember.setUsergroup(group, ["U1"]);
  }
  await (await openStore({ databaseUrl: database.url, dataDir: "unused" })).close();
  const saved = { ...process.env };
  Object.assign(process.env, AWS_ENV);
  try {
    await runSetup({
      settings: {
        endpoint: SERVICE_URL,
        ratePerSecond: 300,
        namePrefix: "shgov",
        roleArn: "arn:aws:iam::111111111111:role/shgov-eventbridge-invoke",
        deadLetterArn: "arn:aws:sqs:eu-west-1:111111111111:shgov-dead-letters",
      },
      region: "eu-west-1",
      endpoint: eventBridge.url,
      ingestKey: "k".repeat(32),
      rotateKey: false,
      dryRun: false,
      out: () => {},
    });
  } finally {
    process.env = saved;
  }
});

afterAll(async () => {
  await Promise.all([
    healthyRedis?.stop(),
    evictingRedis?.stop(),
    database?.drop(),
    slack?.close(),
    slackWithoutMember?.close(),
    securityHub?.close(),
    eventBridge?.close(),
  ]);
  rmSync(redisDir, { recursive: true, force: true });
});

function healthyEnv(): Record<string, string> {
  return {
    ...AWS_ENV,
    REDIS_URL: healthyRedis.url,
    DATABASE_URL: database.url,
    WORKFLOWS_DIR: join(REPO_ROOT, "workflows"),
    SLACK_BOT_TOKEN: "xoxb-doctor",
    SLACK_API_URL: slack.url,
    AWS_ENDPOINT_URL_SECURITYHUB: securityHub.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
    PUBLIC_URL: SERVICE_URL,
  };
}

async function doctor(env: Record<string, string>, namePrefix = "shgov"): Promise<CheckResult[]> {
  const saved = { ...process.env };
  // The AWS SDK reads credentials from the process environment.
  Object.assign(process.env, AWS_ENV);
  try {
    return await runDoctor(loadEnv(env), { endpoint: undefined, namePrefix, progress: () => {} });
  } finally {
    process.env = saved;
  }
}

const byName = (results: CheckResult[], name: string) => results.find((result) => result.name === name);

describe("shgov doctor", () => {
  it("passes every check of a healthy deployment, with EventBridge's own pattern test on the sample events", async () => {
    const results = await doctor(healthyEnv());
    const text = doctorText(results);
    expect(
      results.filter((result) => result.status !== "ok"),
      text,
    ).toEqual([]);
    expect(doctorFailed(results)).toBe(false);
    expect(text).toContain("ok   redis persistence: AOF on");
    expect(text).toContain("ok   slack channel C0SECURITY (team security): governor is a member");
    expect(text).toContain("ok   slack user group S0PLATFORM (team platform): 1 members");
    expect(text).toContain(
      "ok   eventbridge api destination shgov-events: ACTIVE, calls https://shgov.example.com/events",
    );
    expect(text).toMatch(
      /ok {3}eventbridge rule shgov-securityhub-findings matches the sample events: all 6 \(TestEventPattern\)/,
    );
    expect(text).toContain(
      "ok   eventbridge rule shgov-securityhub-api-calls matches the sample events: all 1 (TestEventPattern)",
    );
    expect(eventBridge.calls.filter((call) => call.operation === "TestEventPattern")).not.toHaveLength(0);
    expect(securityHub.calls("GetFindings")).not.toHaveLength(0);
  });

  it("fails on an evicting Redis, a bot missing from a channel and a rule pointing elsewhere, saying what to do", async () => {
    const destination = eventBridge.apiDestination("shgov-events");
    if (!destination) throw new Error("setup made no destination");
    const endpoint = destination.endpoint;
    destination.endpoint = "https://elsewhere.example.com/events";
    try {
      const results = await doctor({
        ...healthyEnv(),
        REDIS_URL: evictingRedis.url,
        SLACK_API_URL: slackWithoutMember.url,
      });
      expect(doctorFailed(results)).toBe(true);
      expect(byName(results, "redis eviction")).toMatchObject({
        status: "fail",
        fix: "set maxmemory-policy noeviction",
      });
      expect(byName(results, "redis eviction")?.detail).toContain("maxmemory-policy allkeys-lru");
      expect(byName(results, "redis persistence")?.status).toBe("warn");
      expect(byName(results, "slack channel C0SECURITY (team security)")).toMatchObject({
        status: "fail",
        detail: "governor is not a member",
        fix: "in the channel, type /invite @governor",
      });
      expect(byName(results, "slack channel C0PLATFORM (team platform)")?.status).toBe("ok");
      expect(byName(results, "eventbridge api destination shgov-events")).toMatchObject({
        status: "fail",
        detail: "calls https://elsewhere.example.com/events, not https://shgov.example.com/events",
        fix: "run shgov setup --endpoint https://shgov.example.com",
      });
    } finally {
      destination.endpoint = endpoint;
    }
  });

  it("names a missing scope, a missing rule and Security Hub refusing the credentials", async () => {
    const narrow = await startFakeSlack({ scopes: ["chat:write", "commands"], memberOf: CHANNELS });
    securityHub.fail({
      kind: "error",
      times: 1,
      operation: "GetFindings",
      status: 403,
      errorType: "AccessDeniedException",
    });
    try {
      const results = await doctor({ ...healthyEnv(), SLACK_API_URL: narrow.url });
      expect(byName(results, "slack scopes")?.detail).toBe(
        "missing chat:write.public, usergroups:read, files:write, im:write, channels:history, groups:history",
      );
      expect(byName(results, "security hub")).toMatchObject({ status: "fail" });
      expect(byName(results, "security hub")?.fix).toMatch(/securityhub:GetFindings/);
      expect(securityHub.calls("GetFindings").at(-1)?.body).toEqual({ MaxResults: 1 });
      // Resources setup never made (here: under another prefix) are named, with the command that makes them.
      const other = await doctor(healthyEnv(), "other");
      expect(byName(other, "eventbridge rule other-securityhub-findings")).toMatchObject({
        status: "fail",
        detail: "missing",
        fix: "run shgov setup (--dry-run shows what it would change)",
      });
      expect(byName(other, "eventbridge connection other-ingest")?.status).toBe("fail");
    } finally {
      await narrow.close();
    }
  });

  it("prints one line per check and exits 1 on the command line when one fails", async () => {
    const result = await runCli(["doctor"], { ...healthyEnv(), REDIS_URL: evictingRedis.url });
    expect(result.code, result.stdout).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines.some((line) => line.startsWith("FAIL redis eviction: "))).toBe(true);
    expect(lines.at(-1), result.stdout).toMatch(/^\d+ ok, 1 warnings, 1 failed, 0 skipped$/);
    expect(result.stdout).not.toContain("xoxb-doctor");
  });
});
