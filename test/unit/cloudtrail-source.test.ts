import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnvelope } from "../../src/intake/envelope.js";
import { REPO_ROOT, readJson } from "../support/events.js";

// biome-ignore lint/suspicious/noExplicitAny: events are edited freely
type Json = any;
const sample = (): Json =>
  readJson(join(REPO_ROOT, "examples/cloudtrail/01-batch-update-findings-v2-suppress.synthetic.json"));

/** The same call as BatchUpdateFindings (ASFF): the API's own request members. */
function asffCall(): Json {
  const event = sample();
  event.detail.eventName = "BatchUpdateFindings";
  event.detail.requestParameters = {
    FindingIdentifiers: [
      {
        Id: "arn:aws:securityhub:eu-west-1:222222222222:finding/a",
        ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
      },
      {
        Id: "arn:aws:securityhub:eu-west-1:222222222222:finding/b",
        ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
      },
    ],
    Workflow: { Status: "SUPPRESSED" },
    Note: { Text: "false positive", UpdatedBy: "alice" },
  };
  event.detail.responseElements = {
    ProcessedFindings: [event.detail.requestParameters.FindingIdentifiers[0]],
    UnprocessedFindings: [
      {
        FindingIdentifier: event.detail.requestParameters.FindingIdentifiers[1],
        ErrorCode: "FindingNotFound",
      },
    ],
  };
  return event;
}

describe("CloudTrail's Security Hub update calls at intake", () => {
  it("reads who set which OCSF finding to what, with the comment", () => {
    const parsed = parseEnvelope(sample());
    expect(parsed).toEqual({
      ok: true,
      observations: [],
      apiCalls: [
        {
          eventId: "0f1e2d3c-4b5a-4968-8776-655443322110",
          eventName: "BatchUpdateFindingsV2",
          at: "2026-11-18T10:31:02.000Z",
          findings: [
            {
              findingId:
                "arn:aws:securityhub:eu-west-1:222222222222:security-control/EKS.2/finding/7dabcdef-1234-4912-8678-501234567890",
              productArn: "arn:aws:securityhub:eu-west-1::productv2/aws/securityhub",
            },
          ],
          workflowStatus: "SUPPRESSED",
          note: "upgrade planned next quarter",
          caller: {
            arn: "arn:aws:sts::222222222222:assumed-role/PlatformAdmin/alice",
            type: "AssumedRole",
            sessionIssuer: "arn:aws:iam::222222222222:role/PlatformAdmin",
            sourceIp: "203.0.113.24",
          },
        },
      ],
    });
  });

  it("reads an ASFF call, leaving out the findings Security Hub did not update", () => {
    const parsed = parseEnvelope(asffCall());
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.apiCalls[0]).toMatchObject({
      eventName: "BatchUpdateFindings",
      findings: [{ findingId: "arn:aws:securityhub:eu-west-1:222222222222:finding/a" }],
      workflowStatus: "SUPPRESSED",
      note: "false positive",
    });
  });

  it("accepts a failed call and other Security Hub calls, and takes nothing from them", () => {
    const failed = sample();
    failed.detail.errorCode = "AccessDenied";
    const other = sample();
    other.detail.eventName = "GetFindings";
    for (const event of [failed, other])
      expect(parseEnvelope(event)).toEqual({ ok: true, observations: [], apiCalls: [] });
  });

  it("names the field of a call it cannot read", () => {
    const event = asffCall();
    event.detail.requestParameters.Workflow.Status = "IGNORED";
    const parsed = parseEnvelope(event);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors[0]?.field).toBe("detail.requestParameters.Workflow.Status");
  });
});
