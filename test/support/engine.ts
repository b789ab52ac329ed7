import { type Case, type CaseEvent, evolve } from "../../src/engine/case.js";
import { applyEvents, decide, type EngineInput } from "../../src/engine/decide.js";
import type { Finding } from "../../src/engine/finding.js";
import type { Policy } from "../../src/engine/policy.js";
import { compilePolicy } from "../../src/policy/compile.js";
import { parsePolicyText } from "../../src/policy/load.js";

/** The example policy of DESIGN.md §4 in compiled form, for engine specs. */
export function examplePolicy(overrides: string = ""): Policy {
  const text = `version: 1
teams:
  platform: { slack_channel: C0PLATFORM, slack_usergroup: S0PLATFORM, leads: [U0PLATLEAD] }
  security: { slack_channel: C0SECURITY, slack_usergroup: S0SECURITY, leads: [U0SECLEAD] }
  leadership: { slack_channel: C0LEADERS, leads: [U0CISO] }
routing:
  - name: eks
    match: { control_ids: [EKS.2] }
    owner: platform
    counterpart: security
  - name: default
    match: {}
    owner: security
    counterpart: platform
slas: { CRITICAL: 7d, HIGH: 30d, MEDIUM: 90d, LOW: 180d }
${overrides}`;
  const { parsed, problems } = parsePolicyText("spec.yaml", text);
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
  return { before, ...decision, after: applyEvents(before, decision.events) };
}
