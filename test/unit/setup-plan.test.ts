import { describe, expect, it } from "vitest";
import type { CurrentSetup } from "../../src/setup/current.js";
import { type DesiredRule, desiredSetup } from "../../src/setup/desired.js";
import { FINDINGS_EVENT_PATTERN } from "../../src/setup/event-patterns.js";
import { planSetup, planText } from "../../src/setup/plan.js";

const desired = desiredSetup({
  endpoint: "https://shgov.example.com",
  ratePerSecond: 300,
  namePrefix: "shgov",
  roleArn: "arn:aws:iam::111111111111:role/shgov-eventbridge-invoke",
  deadLetterArn: "arn:aws:sqs:eu-west-1:111111111111:shgov-dead-letters",
});
const firstRule = desired.rules[0];
if (!firstRule) throw new Error("setup makes a rule");
const rule: DesiredRule = firstRule;

/** The account exactly as setup leaves it. */
function asSetupLeftIt(): CurrentSetup {
  return {
    connection: {
      arn: "arn:conn",
      description: desired.connection.description,
      authorizationType: "API_KEY",
      apiKeyName: "x-api-key",
      state: "AUTHORIZED",
    },
    apiDestination: {
      arn: "arn:dest",
      description: desired.apiDestination.description,
      invocationEndpoint: "https://shgov.example.com/events",
      httpMethod: "POST",
      ratePerSecond: 300,
      connectionArn: "arn:conn",
      state: "ACTIVE",
    },
    rules: Object.fromEntries(
      desired.rules.map((each) => [
        each.name,
        {
          description: each.description,
          eventPattern: JSON.stringify(each.eventPattern),
          state: "ENABLED",
          targets: [
            {
              id: each.target.id,
              arn: "arn:dest",
              roleArn: each.target.roleArn,
              maximumRetryAttempts: 185,
              maximumEventAgeInSeconds: 86_400,
              deadLetterArn: each.target.deadLetterArn,
              inputOverrides: [],
            },
          ],
        },
      ]),
    ),
  };
}

describe("planning setup", () => {
  it("given the account as setup left it, when planned, then nothing changes", () => {
    const plan = planSetup(asSetupLeftIt(), desired, { rotateKey: false });
    expect(plan.unchanged).toBe(true);
    expect(planText(plan).split("\n").at(-1)).toBe("0 to create, 0 to update, 6 unchanged");
  });

  it("given a pattern with its keys in another order and other spacing, then the rule is unchanged", () => {
    const current = asSetupLeftIt();
    const found = current.rules[rule.name];
    if (!found) throw new Error("no rule");
    found.eventPattern = `{ "detail-type": ${JSON.stringify(FINDINGS_EVENT_PATTERN["detail-type"])},\n "source": ["aws.securityhub"] }`;
    expect(planSetup(current, desired, { rotateKey: false }).unchanged).toBe(true);
  });

  it("given a rule without setup's target, then only the target is created", () => {
    const current = asSetupLeftIt();
    const found = current.rules[rule.name];
    if (!found) throw new Error("no rule");
    found.targets = [];
    const plan = planSetup(current, desired, { rotateKey: false });
    expect(plan.resources.map((resource) => `${resource.kind}:${resource.action}`)).toEqual([
      "connection:unchanged",
      "api destination:unchanged",
      "rule:unchanged",
      "target:create",
      "rule:unchanged",
      "target:unchanged",
    ]);
  });

  it("given a new connection, then the destination points at it once it exists", () => {
    const current = asSetupLeftIt();
    current.connection = null;
    const plan = planSetup(current, desired, { rotateKey: false });
    const destination = plan.resources.find((resource) => resource.kind === "api destination");
    expect(destination?.changes).toEqual([
      { field: "connection", from: "arn:conn", to: "(connection shgov-ingest, new)" },
    ]);
  });

  it("given a target someone gave an input transformer, then the target is updated to send the event as it is", () => {
    const current = asSetupLeftIt();
    const target = current.rules[rule.name]?.targets[0];
    if (!target) throw new Error("no target");
    target.inputOverrides = ["InputTransformer"];
    const plan = planSetup(current, desired, { rotateKey: false });
    expect(plan.resources.find((resource) => resource.kind === "target")?.changes).toEqual([
      { field: "input changed by", from: "InputTransformer", to: "(none)" },
    ]);
  });

  it("given a connection of another authorization type, then switching it sends the key", () => {
    const current = asSetupLeftIt();
    if (!current.connection) throw new Error("no connection");
    current.connection.authorizationType = "BASIC";
    const plan = planSetup(current, desired, { rotateKey: false });
    expect(plan.resources[0]?.changes.map((change) => change.field)).toEqual([
      "authorization type",
      "api key value",
    ]);
  });

  it("given --rotate-key, then the connection is updated even though nothing readable differs", () => {
    const plan = planSetup(asSetupLeftIt(), desired, { rotateKey: true });
    expect(plan.resources[0]).toMatchObject({ kind: "connection", action: "update" });
    expect(plan.unchanged).toBe(false);
  });
});
