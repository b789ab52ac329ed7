import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURES = join(REPO_ROOT, "test/fixtures/aws");
export const EXAMPLES = join(REPO_ROOT, "examples/events");

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export const realAsffEvent = () =>
  readJson(join(FIXTURES, "01-securityhub-findings-imported-afsbp-ec2.7.event.json"));
export const realCustomActionEvent = () =>
  readJson(join(FIXTURES, "02-securityhub-findings-custom-action.event.json"));
export const eksAsffEvent = () => readJson(join(EXAMPLES, "01-eks2-cluster-1.31.asff.synthetic.json"));
export const eksOcsfEvent = () => readJson(join(EXAMPLES, "05-eks2-cluster-1.32.ocsf.synthetic.json"));

/** Wraps a bare ASFF finding (fixtures 03 and 04) in the documented EventBridge envelope. */
export function wrapAsff(finding: Record<string, unknown>, id = "00000000-0000-0000-0000-000000000001") {
  return {
    version: "0",
    id,
    "detail-type": "Security Hub Findings - Imported",
    source: "aws.securityhub",
    account: "111111111111",
    time: "2026-11-20T10:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: { findings: [finding] },
  };
}

export interface FindingVersion {
  id?: string;
  controlId?: string;
  severity?: "INFORMATIONAL" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
  workflowStatus?: "NEW" | "NOTIFIED" | "SUPPRESSED" | "RESOLVED";
  updatedAt?: string;
  processedAt?: string;
  firstObservedAt?: string;
  title?: string;
}

/** An ASFF control finding event, made from the real EC2.7 event with the given fields changed. */
export function asffEvent(version: FindingVersion = {}, eventId = "11111111-2222-3333-4444-555555555555") {
  const event = realAsffEvent() as { id: string; detail: { findings: Record<string, unknown>[] } };
  const finding = event.detail.findings[0] as Record<string, unknown>;
  const controlId = version.controlId ?? "EC2.7";
  event.id = eventId;
  finding.Id = version.id ?? finding.Id;
  finding.ProductFields = { ...(finding.ProductFields as object), ControlId: controlId };
  finding.Severity = { Label: version.severity ?? "HIGH" };
  finding.Workflow = { Status: version.workflowStatus ?? "NEW" };
  finding.UpdatedAt = version.updatedAt ?? "2026-11-20T10:00:00.000Z";
  finding.ProcessedAt = version.processedAt ?? finding.UpdatedAt;
  finding.FirstObservedAt = version.firstObservedAt ?? "2026-11-01T00:00:00.000Z";
  if (version.title) finding.Title = version.title;
  return event;
}

export interface EksVersion {
  /** Kubernetes version in the resource details. */
  kubernetes?: string;
  workflowStatus?: "NEW" | "NOTIFIED" | "SUPPRESSED" | "RESOLVED";
  complianceStatus?: "PASSED" | "FAILED";
  updatedAt?: string;
  processedAt?: string;
  firstObservedAt?: string;
  note?: { Text: string; UpdatedBy: string; UpdatedAt: string } | null;
}

/** The bundled ASFF EKS.2 event with the given fields changed. */
export function eksEvent(version: EksVersion = {}, eventId = "eks-0000-0000-0000-000000000001") {
  const event = eksAsffEvent() as { id: string; detail: { findings: Record<string, unknown>[] } };
  const finding = event.detail.findings[0] as Record<string, unknown>;
  event.id = eventId;
  const resources = finding.Resources as { Details: { AwsEksCluster: { Version: string } } }[];
  const details = resources[0]?.Details.AwsEksCluster;
  if (details && version.kubernetes) details.Version = version.kubernetes;
  finding.Workflow = { Status: version.workflowStatus ?? "NEW" };
  finding.Compliance = { ...(finding.Compliance as object), Status: version.complianceStatus ?? "FAILED" };
  finding.UpdatedAt = version.updatedAt ?? "2026-11-20T10:00:00.000Z";
  finding.ProcessedAt = version.processedAt ?? finding.UpdatedAt;
  finding.FirstObservedAt = version.firstObservedAt ?? "2026-11-01T00:00:00.000Z";
  if (version.note) finding.Note = version.note;
  else delete finding.Note;
  return event;
}

export function eksFindingOf(event: unknown): { Id: string; ProductArn: string; AwsAccountId: string } {
  return (event as { detail: { findings: { Id: string; ProductArn: string; AwsAccountId: string }[] } })
    .detail.findings[0] as { Id: string; ProductArn: string; AwsAccountId: string };
}
