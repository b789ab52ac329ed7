/**
 * The normalized view of a Security Hub finding, whatever format (ASFF or OCSF) it came in.
 * Times are ISO-8601 strings so the type is plain data: it crosses the queue and the
 * database unchanged.
 */
export const SEVERITIES = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const WORKFLOW_STATUSES = ["NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED"] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

export const RECORD_STATES = ["ACTIVE", "ARCHIVED"] as const;
export type RecordState = (typeof RECORD_STATES)[number];

export const COMPLIANCE_STATUSES = ["PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"] as const;
export type ComplianceStatus = (typeof COMPLIANCE_STATUSES)[number];

export type FindingFormat = "asff" | "ocsf";

export interface FindingResource {
  type: string;
  id: string;
  region: string | null;
  tags: Record<string, string>;
  /** Resource details as sent (ASFF `Details`, OCSF `data`); e.g. the EKS cluster version. */
  details: Record<string, unknown> | null;
}

export interface Finding {
  id: string;
  productArn: string;
  productName: string | null;
  format: FindingFormat;
  title: string;
  accountId: string;
  region: string;
  generatorId: string | null;
  /** Security control id such as `EKS.2`; null for findings that are not control checks. */
  controlId: string | null;
  severity: Severity;
  workflowStatus: WorkflowStatus;
  recordState: RecordState;
  complianceStatus: ComplianceStatus | null;
  resources: FindingResource[];
  firstObservedAt: string;
  createdAt: string;
  updatedAt: string;
  /** When Security Hub processed this version; changes on BatchUpdateFindings while updatedAt does not. */
  processedAt: string | null;
  /** The workflow note (ASFF Note, OCSF comment); UpdatedBy is free text, not proof of identity. */
  note: { text: string; updatedBy: string | null } | null;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * Total order of observations of one finding: the provider's UpdatedAt first, then ProcessedAt,
 * because a BatchUpdateFindings (a workflow change) moves ProcessedAt but leaves UpdatedAt alone.
 * Returns a negative number when `a` is older than `b`, 0 when they are the same version.
 */
export function compareObservations(
  a: Pick<Finding, "updatedAt" | "processedAt">,
  b: Pick<Finding, "updatedAt" | "processedAt">,
): number {
  const byUpdated = Date.parse(a.updatedAt) - Date.parse(b.updatedAt);
  if (byUpdated !== 0) return byUpdated;
  return Date.parse(a.processedAt ?? a.updatedAt) - Date.parse(b.processedAt ?? b.updatedAt);
}
