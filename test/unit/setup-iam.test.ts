import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iamPolicies, iamPoliciesText } from "../../src/setup/iam.js";
import { REPO_ROOT } from "../support/events.js";

/** `events:PutRule` for every `new PutRuleCommand(` in the folder's sources. */
function commandsSent(folder: string, service: string): string[] {
  const dir = join(REPO_ROOT, "src", folder);
  const code = readdirSync(dir)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => readFileSync(join(dir, name), "utf8"))
    .join("\n");
  return [
    ...new Set([...code.matchAll(/new (\w+)Command\(/g)].map((match) => `${service}:${match[1]}`)),
  ].sort();
}

const policies = iamPolicies({ region: "eu-west-1", accountId: "111111111111", namePrefix: "shgov" });
const actionsOf = (document: { Statement: { Action: string | string[] }[] }, service: string) =>
  document.Statement.flatMap((statement) => statement.Action)
    .filter((action) => action.startsWith(`${service}:`))
    .sort();

describe("shgov setup --print-iam", () => {
  it("lets setup call exactly the EventBridge actions its code sends", () => {
    const sent = commandsSent("setup", "events");
    expect(sent.length).toBeGreaterThan(5);
    expect(actionsOf(policies.setup, "events")).toEqual(sent);
  });

  it("lets the service call exactly the Security Hub actions its code sends", () => {
    const sent = commandsSent("securityhub", "securityhub");
    expect(sent).toContain("securityhub:BatchUpdateFindings");
    expect(actionsOf(policies.service, "securityhub")).toEqual(sent);
  });

  it("lets doctor, with the service's credentials, make exactly the calls it sends", () => {
    const doctorReads = [
      ...commandsSent("doctor", "events"),
      // doctor reads the set-up with setup's reader: its read calls, not its writes.
      ...commandsSent("setup", "events").filter((action) => /:(Describe|List)/.test(action)),
    ].sort();
    expect(actionsOf(policies.service, "events")).toEqual(doctorReads);
  });

  it("names every action, with no wildcard, and scopes EventBridge resources to the prefix", () => {
    const all = Object.values(policies).flatMap((document) =>
      (document.Statement as { Action: string | string[]; Resource?: string | string[] }[]).map((s) => s),
    );
    for (const statement of all) {
      for (const action of [statement.Action].flat()) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
    }
    for (const statement of policies.setup.Statement.filter((s) =>
      s.Action.some((a) => a.startsWith("events:")),
    )) {
      expect(statement.Resource).toMatch(
        /^arn:aws:events:eu-west-1:111111111111:(connection|api-destination|rule)\/shgov-/,
      );
    }
    expect(policies.invokeRole.Statement.flatMap((s) => s.Action)).toEqual(["events:InvokeApiDestination"]);
  });

  it("prints five documents, each valid JSON under its heading", () => {
    const text = iamPoliciesText({ region: "eu-west-1", accountId: "111111111111", namePrefix: "shgov" });
    const sections = text.split(/^# .*$/m).slice(1);
    expect(sections).toHaveLength(5);
    for (const section of sections) expect(JSON.parse(section).Version).toBe("2012-10-17");
  });
});

describe("the policies' ARNs and conditions", () => {
  it("use the partition of the region (China, GovCloud)", () => {
    const china = JSON.stringify(
      iamPolicies({ region: "cn-north-1", accountId: "111111111111", namePrefix: "shgov" }),
    );
    expect(china).toContain("arn:aws-cn:events:cn-north-1:111111111111:rule/shgov-*");
    expect(china).not.toMatch(/arn:aws:/);
    const gov = JSON.stringify(
      iamPolicies({ region: "us-gov-west-1", accountId: "111111111111", namePrefix: "shgov" }),
    );
    expect(gov).toContain("arn:aws-us-gov:iam::111111111111:role/shgov-eventbridge-invoke");
  });

  it("leave the trust policy's account condition out when no account is known (StringEquals takes no *)", () => {
    const known = iamPolicies({ region: "eu-west-1", accountId: "111111111111", namePrefix: "shgov" });
    expect(known.invokeRoleTrust.Statement[0]?.Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "111111111111" },
    });
    const unknown = iamPolicies({ region: "eu-west-1", accountId: "*", namePrefix: "shgov" });
    expect(unknown.invokeRoleTrust.Statement[0]?.Condition).toBeUndefined();
  });
});
