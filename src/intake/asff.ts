import { z } from "zod";
import type { ComplianceStatus, Finding, Severity, WorkflowStatus } from "../engine/finding.js";
import { COMPLIANCE_STATUSES, RECORD_STATES, SEVERITIES, WORKFLOW_STATUSES } from "../engine/finding.js";
import { MAX_RESOURCES_PER_FINDING } from "./limits.js";
import { isoDateTime, toIso } from "./timestamps.js";

/**
 * The ASFF fields the governor relies on; everything else is kept in the raw payload.
 * Objects are loose because providers add fields freely.
 */
const asffResource = z.looseObject({
  Type: z.string().min(1),
  Id: z.string().min(1),
  Region: z.string().optional(),
  Tags: z.record(z.string(), z.string()).optional(),
  Details: z.record(z.string(), z.unknown()).optional(),
});

export const asffFindingSchema = z.looseObject({
  SchemaVersion: z.string().optional(),
  Id: z.string().min(1),
  ProductArn: z.string().min(1),
  ProductName: z.string().optional(),
  GeneratorId: z.string().optional(),
  AwsAccountId: z.string().min(1),
  Region: z.string().optional(),
  Title: z.string().min(1),
  FirstObservedAt: isoDateTime.optional(),
  CreatedAt: isoDateTime,
  UpdatedAt: isoDateTime,
  ProcessedAt: isoDateTime.optional(),
  Severity: z
    .looseObject({
      Label: z.enum(SEVERITIES).optional(),
      Normalized: z.number().int().min(0).max(100).optional(),
    })
    .refine((s) => s.Label !== undefined || s.Normalized !== undefined, {
      message: "expected Severity.Label or Severity.Normalized",
      path: ["Label"],
    }),
  Workflow: z.looseObject({ Status: z.enum(WORKFLOW_STATUSES) }).optional(),
  WorkflowState: z.string().optional(),
  RecordState: z.enum(RECORD_STATES).optional(),
  Compliance: z
    .looseObject({
      Status: z.enum(COMPLIANCE_STATUSES).optional(),
      SecurityControlId: z.string().optional(),
    })
    .optional(),
  ProductFields: z.record(z.string(), z.string()).optional(),
  Note: z.looseObject({ Text: z.string().optional(), UpdatedBy: z.string().optional() }).optional(),
  Resources: z
    .array(asffResource)
    .min(1)
    .max(MAX_RESOURCES_PER_FINDING, {
      message: `more than ${MAX_RESOURCES_PER_FINDING} resources in one finding (ASFF allows 32)`,
    }),
});

export type AsffFinding = z.output<typeof asffFindingSchema>;

/** ASFF's documented mapping from Normalized (0-100) to a label, used when Label is absent. */
function labelFromNormalized(normalized: number): Severity {
  if (normalized === 0) return "INFORMATIONAL";
  if (normalized < 40) return "LOW";
  if (normalized < 70) return "MEDIUM";
  if (normalized < 90) return "HIGH";
  return "CRITICAL";
}

/** Consolidated findings carry SecurityControlId; older per-standard ones ProductFields.ControlId. */
function controlIdOf(finding: AsffFinding): string | null {
  const fromGenerator = finding.GeneratorId?.startsWith("security-control/")
    ? finding.GeneratorId.slice("security-control/".length)
    : undefined;
  return finding.Compliance?.SecurityControlId ?? finding.ProductFields?.ControlId ?? fromGenerator ?? null;
}

function productNameOf(finding: AsffFinding): string | null {
  return finding.ProductName ?? finding.ProductFields?.["aws/securityhub/ProductName"] ?? null;
}

export function normalizeAsff(finding: AsffFinding, envelope: { region: string; time: string }): Finding {
  const severity = finding.Severity.Label ?? labelFromNormalized(finding.Severity.Normalized ?? 0);
  const workflowStatus: WorkflowStatus = finding.Workflow?.Status ?? "NEW";
  const complianceStatus: ComplianceStatus | null = finding.Compliance?.Status ?? null;
  const firstResource = finding.Resources[0];
  return {
    id: finding.Id,
    productArn: finding.ProductArn,
    productName: productNameOf(finding),
    format: "asff",
    title: finding.Title,
    accountId: finding.AwsAccountId,
    region: finding.Region ?? firstResource?.Region ?? envelope.region,
    generatorId: finding.GeneratorId ?? null,
    controlId: controlIdOf(finding),
    severity,
    workflowStatus,
    recordState: finding.RecordState ?? "ACTIVE",
    complianceStatus,
    resources: finding.Resources.map((resource) => ({
      type: resource.Type,
      id: resource.Id,
      region: resource.Region ?? null,
      tags: resource.Tags ?? {},
      details: resource.Details ?? null,
    })),
    firstObservedAt: toIso(finding.FirstObservedAt ?? finding.CreatedAt),
    createdAt: toIso(finding.CreatedAt),
    updatedAt: toIso(finding.UpdatedAt),
    // Older events lack ProcessedAt; the envelope time is when Security Hub emitted this version.
    processedAt: toIso(finding.ProcessedAt ?? envelope.time),
    note: finding.Note?.Text ? { text: finding.Note.Text, updatedBy: finding.Note.UpdatedBy ?? null } : null,
  };
}
