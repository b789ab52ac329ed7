import { z } from "zod";
import type { ComplianceStatus, Finding, RecordState, Severity, WorkflowStatus } from "../engine/finding.js";
import { MAX_RESOURCES_PER_FINDING } from "./limits.js";
import { isoDateTime, toIso } from "./timestamps.js";

/**
 * OCSF findings as Security Hub sends them in "Findings Imported V2" events. Every time comes
 * twice: epoch milliseconds and an ISO `_dt` string; either is accepted.
 */
const epochOrIso = z.union([z.number().int().nonnegative(), isoDateTime]);

const ocsfResource = z.looseObject({
  type: z.string().min(1),
  uid: z.string().min(1),
  uid_alt: z.string().optional(),
  region: z.string().optional(),
  tags: z.array(z.looseObject({ name: z.string(), value: z.string().optional() })).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const ocsfFindingSchema = z.looseObject({
  class_uid: z.number().int(),
  activity_id: z.number().int().optional(),
  metadata: z.looseObject({
    uid: z.string().min(1).optional(),
    product: z.looseObject({ uid: z.string().min(1), name: z.string().optional() }),
  }),
  cloud: z.looseObject({
    account: z.looseObject({ uid: z.string().min(1) }),
    region: z.string().min(1).optional(),
  }),
  finding_info: z.looseObject({
    uid: z.string().min(1),
    title: z.string().min(1),
    created_time: epochOrIso.optional(),
    created_time_dt: isoDateTime.optional(),
    first_seen_time: epochOrIso.optional(),
    first_seen_time_dt: isoDateTime.optional(),
    modified_time: epochOrIso.optional(),
    modified_time_dt: isoDateTime.optional(),
  }),
  compliance: z
    .looseObject({ control: z.string().optional(), status_id: z.number().int().optional() })
    .optional(),
  severity_id: z.number().int().min(0),
  status_id: z.number().int().min(0).optional(),
  time: epochOrIso.optional(),
  time_dt: isoDateTime.optional(),
  resources: z
    .array(ocsfResource)
    .min(1)
    .max(MAX_RESOURCES_PER_FINDING, {
      message: `more than ${MAX_RESOURCES_PER_FINDING} resources in one finding`,
    }),
  /** Set by BatchUpdateFindingsV2's Comment. */
  comment: z.string().optional(),
});

export type OcsfFinding = z.output<typeof ocsfFindingSchema>;

const SEVERITY_BY_ID: Record<number, Severity> = {
  0: "INFORMATIONAL",
  1: "INFORMATIONAL",
  2: "LOW",
  3: "MEDIUM",
  4: "HIGH",
  5: "CRITICAL",
  6: "CRITICAL", // Fatal
};

/** OCSF status_id: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 5 Archived, 0/99 unknown. */
export const WORKFLOW_BY_STATUS_ID: Record<number, WorkflowStatus> = {
  1: "NEW",
  2: "NOTIFIED",
  3: "SUPPRESSED",
  4: "RESOLVED",
};

const COMPLIANCE_BY_STATUS_ID: Record<number, ComplianceStatus> = {
  1: "PASSED",
  2: "WARNING",
  3: "FAILED",
};

const CLOSE_ACTIVITY = 3;
const ARCHIVED_STATUS = 5;

function timeOf(ms: number | string | undefined, dt: string | undefined): string | undefined {
  if (dt) return toIso(dt);
  if (typeof ms === "number") return new Date(ms).toISOString();
  if (typeof ms === "string") return toIso(ms);
  return undefined;
}

export function normalizeOcsf(finding: OcsfFinding, envelope: { region: string; time: string }): Finding {
  const info = finding.finding_info;
  const createdAt = timeOf(info.created_time, info.created_time_dt) ?? toIso(envelope.time);
  const updatedAt =
    timeOf(info.modified_time, info.modified_time_dt) ?? timeOf(finding.time, finding.time_dt) ?? createdAt;
  const recordState: RecordState =
    finding.activity_id === CLOSE_ACTIVITY || finding.status_id === ARCHIVED_STATUS ? "ARCHIVED" : "ACTIVE";
  const statusId = finding.compliance?.status_id;
  return {
    id: info.uid,
    productArn: finding.metadata.product.uid,
    productName: finding.metadata.product.name ?? null,
    format: "ocsf",
    title: info.title,
    accountId: finding.cloud.account.uid,
    region: finding.cloud.region ?? envelope.region,
    generatorId: null,
    controlId: finding.compliance?.control ?? null,
    severity: SEVERITY_BY_ID[finding.severity_id] ?? "INFORMATIONAL",
    workflowStatus: WORKFLOW_BY_STATUS_ID[finding.status_id ?? 1] ?? "NEW",
    recordState,
    complianceStatus: statusId === undefined ? null : (COMPLIANCE_BY_STATUS_ID[statusId] ?? "NOT_AVAILABLE"),
    resources: finding.resources.map((resource) => ({
      type: resource.type,
      // The ARN when Security Hub gives one (uid_alt), so ids look alike across formats.
      id: resource.uid_alt ?? resource.uid,
      region: resource.region ?? null,
      tags: Object.fromEntries((resource.tags ?? []).map((tag) => [tag.name, tag.value ?? ""])),
      details: resource.data ?? null,
    })),
    firstObservedAt: timeOf(info.first_seen_time, info.first_seen_time_dt) ?? createdAt,
    createdAt,
    updatedAt,
    // OCSF findings carry no processed time and BatchUpdateFindingsV2 leaves modified_time alone, so the
    // EventBridge event time orders two versions with the same modified_time.
    processedAt: toIso(envelope.time),
    note: finding.comment ? { text: finding.comment, updatedBy: null } : null,
  };
}
