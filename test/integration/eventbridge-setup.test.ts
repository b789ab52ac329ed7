import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { SetupSettings } from "../../src/setup/desired.js";
import {
  API_CALLS_EVENT_PATTERN,
  FINDINGS_EVENT_PATTERN,
  TARGET_RETRY_POLICY,
} from "../../src/setup/event-patterns.js";
import { type RunSetupOptions, runSetup } from "../../src/setup/run-setup.js";
import { runCli } from "../support/cli.js";
import { type FakeEventBridge, startFakeEventBridge } from "../support/fake-eventbridge.js";

const INGEST_KEY = "k".repeat(32);
const SETTINGS: SetupSettings = {
  endpoint: "https://shgov.example.com",
  ratePerSecond: 300,
  namePrefix: "shgov",
  roleArn: "arn:aws:iam::111111111111:role/shgov-eventbridge-invoke",
  deadLetterArn: "arn:aws:sqs:eu-west-1:111111111111:shgov-dead-letters",
};
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: "AKIDFAKE",
  AWS_SECRET_ACCESS_KEY: "fake-secret",
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_REGION: "eu-west-1",
};

let eventBridge: FakeEventBridge;

beforeAll(() => {
  for (const [name, value] of Object.entries(AWS_ENV)) vi.stubEnv(name, value);
});
afterAll(() => vi.unstubAllEnvs());

beforeEach(async () => {
  await eventBridge?.close();
  eventBridge = await startFakeEventBridge();
});
afterAll(() => eventBridge?.close());

async function setup(overrides: Partial<RunSetupOptions> = {}): Promise<{ result: string; lines: string[] }> {
  const lines: string[] = [];
  const result = await runSetup({
    settings: SETTINGS,
    region: "eu-west-1",
    endpoint: eventBridge.url,
    ingestKey: INGEST_KEY,
    rotateKey: false,
    dryRun: false,
    out: (line) => lines.push(...line.split("\n")),
    ...overrides,
  });
  return { result, lines };
}

describe("shgov setup against EventBridge", () => {
  it("creates the connection, destination, rule and target on a first run, and a second run writes nothing", async () => {
    const first = await setup();
    expect(first.result).toBe("applied");
    expect(first.lines).toContain("connection shgov-ingest: create");
    expect(first.lines).toContain("6 to create, 0 to update, 0 unchanged");
    expect(eventBridge.writes().map((call) => call.operation)).toEqual([
      "CreateConnection",
      "CreateApiDestination",
      "PutRule",
      "PutTargets",
      "PutRule",
      "PutTargets",
    ]);

    const connection = eventBridge.connection("shgov-ingest");
    expect(connection).toMatchObject({
      authorizationType: "API_KEY",
      apiKeyName: "x-api-key",
      apiKeyValue: INGEST_KEY,
    });
    const destination = eventBridge.apiDestination("shgov-events");
    expect(destination).toMatchObject({
      endpoint: "https://shgov.example.com/events",
      method: "POST",
      rate: 300,
      connectionArn: connection?.arn,
    });
    const rule = eventBridge.rule("shgov-securityhub-findings");
    expect(JSON.parse(rule?.pattern ?? "")).toEqual(FINDINGS_EVENT_PATTERN);
    expect(JSON.parse(eventBridge.rule("shgov-securityhub-api-calls")?.pattern ?? "")).toEqual(
      API_CALLS_EVENT_PATTERN,
    );
    expect(eventBridge.rule("shgov-securityhub-api-calls")?.targets).toEqual(rule?.targets);
    expect(rule?.targets).toEqual([
      {
        Id: "shgov-api-destination",
        Arn: destination?.arn,
        RoleArn: SETTINGS.roleArn,
        RetryPolicy: TARGET_RETRY_POLICY,
        DeadLetterConfig: { Arn: SETTINGS.deadLetterArn },
      },
    ]);

    const writes = eventBridge.writes().length;
    const second = await setup();
    expect(second.result).toBe("unchanged");
    expect(second.lines).toContain("0 to create, 0 to update, 6 unchanged");
    expect(second.lines).toContain("nothing to change");
    expect(eventBridge.writes()).toHaveLength(writes);
  });

  it("updates a changed endpoint or rate in place, naming the field, and leaves the rest alone", async () => {
    await setup();
    const destinationArn = eventBridge.apiDestination("shgov-events")?.arn;
    const before = eventBridge.writes().length;

    const changed = await setup({
      settings: { ...SETTINGS, endpoint: "https://governor.example.com/", ratePerSecond: 50 },
    });
    expect(changed.lines).toContain("api destination shgov-events: update");
    expect(changed.lines).toContain(
      "    endpoint: https://shgov.example.com/events -> https://governor.example.com/events",
    );
    expect(changed.lines).toContain("    invocations per second: 300 -> 50");
    expect(changed.lines).toContain("rule shgov-securityhub-findings: unchanged");
    expect(
      eventBridge
        .writes()
        .slice(before)
        .map((call) => call.operation),
    ).toEqual(["UpdateApiDestination"]);
    expect(eventBridge.apiDestination("shgov-events")).toMatchObject({
      arn: destinationArn,
      endpoint: "https://governor.example.com/events",
      rate: 50,
    });
  });

  it("puts back a rule pattern and target someone changed by hand, and sends the key again only with --rotate-key", async () => {
    await setup();
    const rule = eventBridge.rule("shgov-securityhub-findings");
    if (!rule?.targets[0]) throw new Error("no rule");
    rule.pattern = JSON.stringify({ source: ["aws.securityhub"] });
    rule.targets[0].RetryPolicy = { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 60 };
    const before = eventBridge.writes().length;

    const repaired = await setup();
    expect(repaired.lines).toContain("rule shgov-securityhub-findings: update");
    expect(repaired.lines).toContain("    retry attempts: 3 -> 185");
    expect(repaired.lines).toContain("    maximum event age (s): 60 -> 86400");
    expect(
      eventBridge
        .writes()
        .slice(before)
        .map((call) => call.operation),
    ).toEqual(["PutRule", "PutTargets"]);
    expect(JSON.parse(eventBridge.rule("shgov-securityhub-findings")?.pattern ?? "")).toEqual(
      FINDINGS_EVENT_PATTERN,
    );
    expect(eventBridge.calls.some((call) => call.operation === "UpdateConnection")).toBe(false);

    const rotated = await setup({ rotateKey: true, ingestKey: "n".repeat(32) });
    expect(rotated.lines).toContain("    api key value: (not readable) -> INGEST_API_KEY");
    expect(eventBridge.connection("shgov-ingest")?.apiKeyValue).toBe("n".repeat(32));
  });

  it("prints the plan and makes no write call on a dry run", async () => {
    const dry = await setup({ dryRun: true, ingestKey: undefined });
    expect(dry.result).toBe("dry-run");
    expect(dry.lines).toContain("dry run: nothing changed");
    expect(dry.lines).toContain("    endpoint: https://shgov.example.com/events");
    expect(eventBridge.calls.length).toBeGreaterThan(0);
    expect(eventBridge.writes()).toEqual([]);
  });

  it("stops at the first refusal, naming the permission that is missing", async () => {
    eventBridge.fail({
      kind: "error",
      operation: "CreateApiDestination",
      times: 1,
      errorType: "AccessDeniedException",
      message:
        "User: arn:aws:iam::111111111111:user/ops is not authorized to perform: events:CreateApiDestination",
    });
    await expect(setup()).rejects.toThrow(
      /AWS refused events:CreateApiDestination \(AccessDeniedException: .*\): grant events:CreateApiDestination/,
    );
    expect(eventBridge.writes().map((call) => call.operation)).toEqual([
      "CreateConnection",
      "CreateApiDestination",
    ]);
    // Run again once the permission is there: what was made is kept, the rest is created.
    const again = await setup();
    expect(again.lines).toContain("connection shgov-ingest: unchanged");
    expect(again.lines).toContain("api destination shgov-events: create");
  });

  it("retries a throttled call and reports a target EventBridge did not put", async () => {
    eventBridge.fail({
      kind: "error",
      operation: "DescribeConnection",
      times: 2,
      errorType: "ThrottlingException",
    });
    eventBridge.fail({
      kind: "failed-entries",
      operation: "PutTargets",
      times: 1,
      indexes: [0],
      errorCode: "ConcurrentModificationException",
    });
    await expect(setup()).rejects.toThrow(
      "EventBridge did not put target shgov-api-destination on rule shgov-securityhub-findings (ConcurrentModificationException: failed on purpose); run shgov setup again",
    );
    expect(eventBridge.calls.filter((call) => call.operation === "DescribeConnection")).toHaveLength(3);
    const again = await setup();
    expect(again.lines).toContain("target shgov-api-destination on shgov-securityhub-findings: create");
    expect(eventBridge.rule("shgov-securityhub-findings")?.targets).toHaveLength(1);
  });

  it("refuses to create the connection without INGEST_API_KEY", async () => {
    await expect(setup({ ingestKey: undefined })).rejects.toThrow(/INGEST_API_KEY is not set/);
    expect(eventBridge.writes()).toEqual([]);
  });
});

describe("shgov setup on the command line", () => {
  const cliEnv = () => ({
    ...AWS_ENV,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
    INGEST_API_KEY: INGEST_KEY,
    PUBLIC_URL: "https://shgov.example.com",
  });

  it("names each bad option, and runs a dry run from PUBLIC_URL", async () => {
    const bad = await runCli(
      ["setup", "--endpoint", "http://plain.example.com", "--rate", "900", "--role-arn", "role", "--dry-run"],
      cliEnv(),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--endpoint (or PUBLIC_URL): expected the service's https:// URL");
    expect(bad.stderr).toContain("--rate: at most 300");
    expect(bad.stderr).toContain("--role-arn: expected an iam ARN");
    expect(bad.stderr).toContain("--dead-letter-arn: required");

    const dry = await runCli(
      ["setup", "--role-arn", SETTINGS.roleArn, "--dead-letter-arn", SETTINGS.deadLetterArn, "--dry-run"],
      cliEnv(),
    );
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      "api destination shgov-events: create\n    description: securityhub-governor POST /events\n    endpoint: https://shgov.example.com/events",
    );
    expect(dry.stdout).toContain("dry run: nothing changed");
    expect(eventBridge.writes()).toEqual([]);
  });

  it("ends with one line naming the missing permission when AWS refuses", async () => {
    eventBridge.fail({
      kind: "error",
      operation: "DescribeConnection",
      times: 1,
      errorType: "AccessDeniedException",
    });
    const denied = await runCli(
      ["setup", "--role-arn", SETTINGS.roleArn, "--dead-letter-arn", SETTINGS.deadLetterArn],
      cliEnv(),
    );
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /^shgov: AWS refused events:DescribeConnection .* grant events:DescribeConnection to these credentials \(shgov setup --print-iam prints the policy\)\n$/,
    );
    expect(denied.stderr).not.toContain(INGEST_KEY);
  });
});
