import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnvelope } from "../../src/intake/envelope.js";
import {
  asffEvent,
  eksAsffEvent,
  eksOcsfEvent,
  FIXTURES,
  readJson,
  realAsffEvent,
  realCustomActionEvent,
  wrapAsff,
} from "../support/events.js";

function ok(body: unknown) {
  const result = parseEnvelope(body);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.observations;
}

function errorsOf(body: unknown) {
  const result = parseEnvelope(body);
  if (result.ok) throw new Error("expected the event to be rejected");
  return result.errors;
}

describe("intake: EventBridge envelopes", () => {
  it("normalizes the real ASFF 'Findings - Imported' event (EC2.7)", () => {
    const [observation] = ok(realAsffEvent());
    expect(observation?.detailType).toBe("Security Hub Findings - Imported");
    expect(observation?.finding).toMatchObject({
      id: "arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.7/finding/0003b335-cf3f-4f93-a025-6b1a7baced06",
      format: "asff",
      controlId: "EC2.7",
      productName: "Security Hub",
      severity: "INFORMATIONAL",
      workflowStatus: "NEW",
      recordState: "ACTIVE",
      complianceStatus: "FAILED",
      accountId: "111111111111",
      region: "us-east-1",
      firstObservedAt: "2021-02-17T14:56:09.063Z",
      updatedAt: "2021-02-17T14:56:09.063Z",
      // No ProcessedAt in this older event: the envelope time stands in.
      processedAt: "2020-05-27T03:37:40.000Z",
    });
    expect(observation?.finding.resources).toEqual([
      { type: "AwsAccount", id: "AWS::::Account:111111111111", region: "us-east-1", tags: {}, details: null },
    ]);
  });

  it("normalizes the real Custom Action event and keeps the action's name", () => {
    const [observation] = ok(realCustomActionEvent());
    expect(observation?.customAction).toEqual({
      name: "CIS 1.3 & 1.4 RR",
      description: "Remediates CIS 1.3 and CIS 1.4 by Deleting IAM Keys over 90 Days Old",
    });
    expect(observation?.finding).toMatchObject({
      controlId: "CloudTrail.1",
      severity: "HIGH",
      complianceStatus: "WARNING",
    });
  });

  it("normalizes the real GuardDuty and Inspector ASFF findings wrapped in an envelope", () => {
    const [guardDuty] = ok(wrapAsff(readJson(join(FIXTURES, "03-guardduty-asff-finding.finding-only.json"))));
    expect(guardDuty?.finding).toMatchObject({
      severity: "MEDIUM",
      controlId: null,
      resources: [expect.objectContaining({ type: "AwsEc2Instance" })],
    });
    const [inspector] = ok(wrapAsff(readJson(join(FIXTURES, "04-inspector-asff-finding.finding-only.json"))));
    expect(inspector?.finding).toMatchObject({
      severity: "CRITICAL",
      productName: "Inspector",
      title: "CVE-2022-3643 - kernel",
    });
  });

  it("reads the EKS version of an ASFF EKS.2 finding from the resource details", () => {
    const [observation] = ok(eksAsffEvent());
    expect(observation?.finding.controlId).toBe("EKS.2");
    expect(observation?.finding.resources[0]?.details).toMatchObject({ AwsEksCluster: { Version: "1.31" } });
  });

  it("normalizes an OCSF 'Findings Imported V2' compliance finding", () => {
    const [observation] = ok(eksOcsfEvent());
    expect(observation?.finding).toMatchObject({
      id: "arn:aws:securityhub:eu-west-1:222222222222:security-control/EKS.2/finding/7dabcdef-1234-4912-8678-501234567890",
      format: "ocsf",
      productArn: "arn:aws:securityhub:eu-west-1::productv2/aws/securityhub",
      controlId: "EKS.2",
      severity: "HIGH",
      workflowStatus: "NEW",
      complianceStatus: "FAILED",
      recordState: "ACTIVE",
      accountId: "222222222222",
      region: "eu-west-1",
      firstObservedAt: "2026-09-21T14:13:20.000Z",
      updatedAt: "2026-11-18T10:26:40.000Z",
    });
    expect(observation?.finding.resources[0]).toEqual({
      type: "AWS::EKS::Cluster",
      id: "arn:aws:eks:eu-west-1:222222222222:cluster/checkout-prod",
      region: "eu-west-1",
      tags: { team: "platform" },
      details: { version: "1.32" },
    });
  });

  it("maps OCSF status ids and epoch-millisecond times", () => {
    const event = eksOcsfEvent() as { detail: { findings: Record<string, unknown>[] } };
    const finding = event.detail.findings[0] as Record<string, unknown> & {
      finding_info: Record<string, unknown>;
    };
    finding.status_id = 3;
    finding.severity_id = 5;
    finding.activity_id = 3;
    delete finding.finding_info.modified_time_dt;
    finding.finding_info.modified_time = 1795000001000;
    const [observation] = ok(event);
    expect(observation?.finding).toMatchObject({
      workflowStatus: "SUPPRESSED",
      severity: "CRITICAL",
      recordState: "ARCHIVED",
      updatedAt: new Date(1795000001000).toISOString(),
    });
  });

  it("names the failing field of a finding: missing, mistyped, out of range", () => {
    const missing = asffEvent() as { detail: { findings: Record<string, unknown>[] } };
    delete missing.detail.findings[0]?.Id;
    expect(errorsOf(missing)).toEqual([
      { field: "detail.findings[0].Id", message: "Invalid input: expected string, received undefined" },
    ]);

    const mistyped = asffEvent() as { detail: { findings: Record<string, unknown>[] } };
    (mistyped.detail.findings[0] as Record<string, unknown>).Severity = { Label: "SEVERE" };
    expect(errorsOf(mistyped)[0]?.field).toBe("detail.findings[0].Severity.Label");

    const badDate = asffEvent({ updatedAt: "yesterday" });
    expect(errorsOf(badDate)[0]).toEqual({
      field: "detail.findings[0].UpdatedAt",
      message: "expected an ISO-8601 date-time",
    });

    const ocsf = eksOcsfEvent() as { detail: { findings: Record<string, unknown>[] } };
    delete (ocsf.detail.findings[0] as { cloud: { account: Record<string, unknown> } }).cloud.account.uid;
    expect(errorsOf(ocsf)[0]?.field).toBe("detail.findings[0].cloud.account.uid");
  });

  it("rejects envelope problems by field: unknown detail-type, wrong source, no findings, not an object", () => {
    const unknown = { ...realAsffEvent(), "detail-type": "EC2 Instance State-change Notification" };
    const [error] = errorsOf(unknown);
    expect(error?.field).toBe("detail-type");
    expect(error?.message).toContain(
      '"Security Hub Findings - Imported", "Findings Imported V2", "Security Hub Findings - Custom Action"',
    );
    expect(errorsOf({ ...realAsffEvent(), source: "aws.guardduty" })[0]?.field).toBe("source");
    expect(errorsOf({ ...realAsffEvent(), detail: { findings: [] } })[0]?.field).toBe("detail.findings");
    expect(errorsOf([1, 2])[0]?.field).toBe("(root)");
  });

  it("gives the same version of a finding the same key whatever its key order, another version another key", () => {
    const event = realAsffEvent() as { detail: { findings: Record<string, unknown>[] } };
    const reordered = structuredClone(event);
    const finding = reordered.detail.findings[0] as Record<string, unknown>;
    reordered.detail.findings[0] = Object.fromEntries(Object.entries(finding).reverse());
    expect(ok(reordered)[0]?.key).toBe(ok(event)[0]?.key);
    expect(ok(asffEvent({ processedAt: "2026-11-20T11:00:00.000Z" }))[0]?.key).not.toBe(
      ok(asffEvent())[0]?.key,
    );
  });
});
