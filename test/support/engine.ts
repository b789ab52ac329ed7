import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Case, type CaseEvent, evolve } from "../../src/engine/case.js";
import { applyEvents, decide, type EngineInput } from "../../src/engine/decide.js";
import type { Finding } from "../../src/engine/finding.js";
import type { Policy } from "../../src/engine/policy.js";
import { compilePolicy } from "../../src/policy/compile.js";
import { parsePolicyText } from "../../src/policy/load.js";
import { REPO_ROOT } from "./events.js";

/** The example policy (test/fixtures/policy/design-example.yaml) in compiled form, for engine specs; `extra` is appended. */
export function examplePolicy(extra = ""): Policy {
  const text = readFileSync(join(REPO_ROOT, "test/fixtures/policy/design-example.yaml"), "utf8") + extra;
  const { parsed, problems } = parsePolicyText("design-example.yaml", text);
  if (!parsed) throw new Error(JSON.stringify(problems));
  const { policy, problems: compileProblems } = compilePolicy([parsed]);
  if (!policy) throw new Error(JSON.stringify(compileProblems));
  return policy;
}

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: "arn:aws:securityhub:us-east-1:111111111111:security-control/EKS.2/finding/abc",
    productArn: "arn:aws:securityhub:us-east-1::product/aws/securityhub",
    productName: "Security Hub",
    format: "asff",
    title: "EKS clusters should run on a supported Kubernetes version",
    accountId: "111111111111",
    region: "us-east-1",
    generatorId: "security-control/EKS.2",
    controlId: "EKS.2",
    severity: "HIGH",
    workflowStatus: "NEW",
    recordState: "ACTIVE",
    complianceStatus: "FAILED",
    resources: [
      {
        type: "AwsEksCluster",
        id: "arn:aws:eks:us-east-1:111111111111:cluster/prod",
        region: "us-east-1",
        tags: {},
        details: null,
      },
    ],
    firstObservedAt: "2026-11-01T00:00:00.000Z",
    createdAt: "2026-11-01T00:00:00.000Z",
    updatedAt: "2026-11-20T00:00:00.000Z",
    processedAt: "2026-11-20T00:00:05.000Z",
    note: null,
    ...overrides,
  };
}

export function observed(f: Finding, key = `key-${f.updatedAt}-${f.processedAt}`): EngineInput {
  return {
    type: "finding_observed",
    observationKey: key,
    eventId: "event-1",
    detailType: "Security Hub Findings - Imported",
    customAction: null,
    finding: f,
  };
}

/**
 * Given/when/then for the decider: `given` events build the case, `when` is the input, and the
 * result is the events decided and the case after them.
 */
export function givenWhen(policy: Policy, given: CaseEvent[], input: EngineInput, now: string) {
  const before = given.reduce<Case | null>((state, event) => evolve(state, event), null);
  const decision = decide(before, input, policy, new Date(now));
  // `rejection`: the refusal's sentence, which most specs assert; `refusal` keeps its code and field.
  const rejection = decision.refusal?.message ?? null;
  return { before, ...decision, rejection, after: applyEvents(before, decision.events) };
}
