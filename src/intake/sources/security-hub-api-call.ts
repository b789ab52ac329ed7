import { z } from "zod";
import { WORKFLOW_STATUSES } from "../../engine/finding.js";
import { fieldErrors } from "../../lib/zod-errors.js";
import type { ApiCall, CalledFinding } from "../api-call.js";
import type { FindingSource, SourceRead } from "../finding-source.js";
import { WORKFLOW_BY_STATUS_ID } from "../ocsf.js";
import { isoDateTime } from "../timestamps.js";

/**
 * "AWS API Call via CloudTrail" for Security Hub's BatchUpdateFindings and BatchUpdateFindingsV2:
 * who changed a finding, whatever its format. The detail is a CloudTrail record (userIdentity,
 * eventTime, sourceIPAddress, requestParameters as the request was sent, in the API's own names).
 */
const identitySchema = z.looseObject({
  type: z.string().min(1),
  arn: z.string().optional(),
  principalId: z.string().optional(),
  sessionContext: z
    .looseObject({ sessionIssuer: z.looseObject({ arn: z.string().optional() }).optional() })
    .optional(),
});

const asffRequestSchema = z.looseObject({
  FindingIdentifiers: z.array(z.looseObject({ Id: z.string().min(1), ProductArn: z.string().min(1) })).min(1),
  Workflow: z.looseObject({ Status: z.enum(WORKFLOW_STATUSES) }).optional(),
  Note: z.looseObject({ Text: z.string(), UpdatedBy: z.string().optional() }).optional(),
});

const ocsfRequestSchema = z.looseObject({
  FindingIdentifiers: z
    .array(
      z.looseObject({
        CloudAccountUid: z.string().optional(),
        FindingInfoUid: z.string().min(1),
        MetadataProductUid: z.string().optional(),
      }),
    )
    .optional(),
  StatusId: z.number().int().optional(),
  Comment: z.string().optional(),
});

const callSchema = z.looseObject({
  eventSource: z.literal("securityhub.amazonaws.com"),
  eventName: z.string().min(1),
  eventID: z.string().min(1),
  eventTime: isoDateTime,
  userIdentity: identitySchema,
  sourceIPAddress: z.string().optional(),
  /** Set when the call failed (AccessDenied...): it changed nothing. */
  errorCode: z.string().optional(),
  requestParameters: z.looseObject({}).nullish(),
  responseElements: z.looseObject({}).nullish(),
});

const UPDATE_CALLS = new Set(["BatchUpdateFindings", "BatchUpdateFindingsV2"]);

/** The findings Security Hub reported it could not update are not the caller's doing. */
function unprocessedIds(response: Record<string, unknown> | null | undefined): Set<string> {
  const failed = (response?.UnprocessedFindings ?? []) as { FindingIdentifier?: Record<string, unknown> }[];
  return new Set(
    failed.flatMap((entry) => {
      const id = entry.FindingIdentifier?.Id ?? entry.FindingIdentifier?.FindingInfoUid;
      return typeof id === "string" ? [id] : [];
    }),
  );
}

function readCall(detail: Record<string, unknown>): { call: ApiCall | null; errors: SourceRead["errors"] } {
  const parsed = callSchema.safeParse(detail);
  if (!parsed.success) return { call: null, errors: fieldErrors(parsed.error, ["detail"]) };
  const record = parsed.data;
  // Other Security Hub calls (and failed ones) are accepted and change nothing.
  if (!UPDATE_CALLS.has(record.eventName) || record.errorCode) return { call: null, errors: [] };
  const v2 = record.eventName === "BatchUpdateFindingsV2";
  const request = (v2 ? ocsfRequestSchema : asffRequestSchema).safeParse(record.requestParameters ?? {});
  if (!request.success)
    return { call: null, errors: fieldErrors(request.error, ["detail", "requestParameters"]) };
  const skipped = unprocessedIds(record.responseElements);
  let findings: CalledFinding[];
  let workflowStatus: ApiCall["workflowStatus"];
  let note: string | null;
  if (v2) {
    const body = request.data as z.infer<typeof ocsfRequestSchema>;
    findings = (body.FindingIdentifiers ?? []).map((id) => ({
      findingId: id.FindingInfoUid,
      productArn: id.MetadataProductUid ?? null,
    }));
    workflowStatus = body.StatusId === undefined ? null : (WORKFLOW_BY_STATUS_ID[body.StatusId] ?? null);
    note = body.Comment ?? null;
  } else {
    const body = request.data as z.infer<typeof asffRequestSchema>;
    findings = body.FindingIdentifiers.map((id) => ({ findingId: id.Id, productArn: id.ProductArn }));
    workflowStatus = body.Workflow?.Status ?? null;
    note = body.Note?.Text ?? null;
  }
  const identity = record.userIdentity;
  return {
    call: {
      eventId: record.eventID,
      eventName: record.eventName as ApiCall["eventName"],
      at: new Date(record.eventTime).toISOString(),
      findings: findings.filter((finding) => !skipped.has(finding.findingId)),
      workflowStatus,
      note,
      caller: {
        arn: identity.arn ?? identity.principalId ?? null,
        type: identity.type,
        sessionIssuer: identity.sessionContext?.sessionIssuer?.arn ?? null,
        sourceIp: record.sourceIPAddress ?? null,
      },
    },
    errors: [],
  };
}

export const securityHubApiCall: FindingSource = {
  name: "Security Hub API calls (CloudTrail)",
  source: "aws.securityhub",
  detailTypes: ["AWS API Call via CloudTrail"],
  read(event) {
    const { call, errors } = readCall(event.detail);
    return { findings: [], errors, customAction: null, apiCalls: call ? [call] : [] };
  },
};
