// biome-ignore-all lint/suspicious/noExplicitAny: the template is YAML, read freely
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { desiredSetup } from "../../src/setup/desired.js";
import { DEFAULT_INVOCATION_RATE, TARGET_RETRY_POLICY } from "../../src/setup/event-patterns.js";
import { iamPolicies, invokeRoleName } from "../../src/setup/iam.js";
import { REPO_ROOT } from "../support/events.js";

/** A CloudFormation parameter inside an Fn::Sub string: `${NamePrefix}`. */
const parameter = (name: string) => `\${${name}}`;

const template = parse(readFileSync(join(REPO_ROOT, "deploy/cloudformation.yaml"), "utf8")) as any;
const resources = template.Resources;

// What `shgov setup` makes, with the template's parameters where setup has values: the names and
// the endpoint then read exactly as the template's Fn::Sub strings.
const desired = desiredSetup({
  endpoint: parameter("Endpoint"),
  ratePerSecond: DEFAULT_INVOCATION_RATE,
  namePrefix: parameter("NamePrefix"),
  roleArn: "role",
  deadLetterArn: "queue",
});

describe("deploy/cloudformation.yaml", () => {
  const templateRules = () =>
    Object.values(resources).filter((resource: any) => resource.Type === "AWS::Events::Rule") as any[];

  it("has the rules setup makes, each with the same name, pattern, state and description", () => {
    const rules = templateRules();
    expect(rules).toHaveLength(desired.rules.length);
    for (const wanted of desired.rules) {
      const found = rules.find((rule) => rule.Properties.Name["Fn::Sub"] === wanted.name);
      expect(found, wanted.name).toBeDefined();
      expect(found.Properties.EventPattern).toEqual(wanted.eventPattern);
      expect(found.Properties.State).toBe(wanted.state);
      expect(found.Properties.Description).toBe(wanted.description);
    }
  });

  it("gives each rule's target setup's id, retry policy and the dead-letter queue, which accepts both rules", () => {
    for (const rule of templateRules()) {
      const [target, ...others] = rule.Properties.Targets;
      expect(others).toEqual([]);
      expect(target.Id).toEqual({ "Fn::Sub": desired.rules[0]?.target.id });
      expect(target.RetryPolicy).toEqual(TARGET_RETRY_POLICY);
      expect(target.DeadLetterConfig.Arn).toEqual({ "Fn::GetAtt": ["DeadLetterQueue", "Arn"] });
      expect(target.Arn).toEqual({ "Fn::GetAtt": ["ApiDestination", "Arn"] });
    }
    const sources =
      resources.DeadLetterQueuePolicy.Properties.PolicyDocument.Statement[0].Condition.ArnEquals[
        "aws:SourceArn"
      ];
    expect(sources).toHaveLength(desired.rules.length);
  });

  it("makes the connection and API destination setup makes", () => {
    const connection = resources.Connection.Properties;
    expect(connection.Name).toEqual({ "Fn::Sub": desired.connection.name });
    expect(connection.AuthorizationType).toBe(desired.connection.authorizationType);
    expect(connection.AuthParameters.ApiKeyAuthParameters.ApiKeyName).toBe(desired.connection.apiKeyName);
    expect(connection.Description).toBe(desired.connection.description);
    const destination = resources.ApiDestination.Properties;
    expect(destination.Name).toEqual({ "Fn::Sub": desired.apiDestination.name });
    expect(destination.InvocationEndpoint).toEqual({ "Fn::Sub": desired.apiDestination.invocationEndpoint });
    expect(destination.HttpMethod).toBe(desired.apiDestination.httpMethod);
    expect(destination.Description).toBe(desired.apiDestination.description);
    expect(template.Parameters.InvocationRate.Default).toBe(DEFAULT_INVOCATION_RATE);
    expect(template.Parameters.NamePrefix.Default).toBe("shgov");
  });

  it("gives the role EventBridge assumes the name, trust and permissions --print-iam prints", () => {
    const printed = iamPolicies({
      region: "eu-west-1",
      accountId: "111111111111",
      namePrefix: parameter("NamePrefix"),
    });
    const role = resources.InvokeRole.Properties;
    expect(role.RoleName).toEqual({ "Fn::Sub": invokeRoleName(parameter("NamePrefix")) });
    expect(role.AssumeRolePolicyDocument.Statement.map((s: any) => [s.Principal, s.Action])).toEqual(
      printed.invokeRoleTrust.Statement.map((s) => [s.Principal, s.Action]),
    );
    const actions = role.Policies.flatMap((policy: any) =>
      policy.PolicyDocument.Statement.flatMap((s: any) => s.Action),
    );
    expect(actions).toEqual(printed.invokeRole.Statement.flatMap((s) => s.Action));
  });
});
