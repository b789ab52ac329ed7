import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const EXAMPLE_EVENTS_DIR = fileURLToPath(new URL("../../examples/events/", import.meta.url));

/** The bundled EKS.2 event the story's findings are made from. */
const TEMPLATE_FILE = "01-eks2-cluster-1.31.asff.synthetic.json";
const TEMPLATE_CLUSTER = "payments-prod";
const TEMPLATE_FINDING_UUID = "5b1e6c52-8a0e-4d3e-9f0e-0c2a7e3b9d41";

export interface StoryCluster {
  /** EKS cluster name; it replaces the template's everywhere (resource id, ARN, product fields). */
  name: string;
  /** The last part of the finding id, so that each cluster has a finding (and a case) of its own. */
  findingUuid: string;
}

/** One version of the cluster's EKS.2 finding, as Security Hub would send it. */
export interface StoryFindingVersion {
  /** Kubernetes version of the cluster (AwsEksCluster.Version). */
  kubernetes: string;
  workflowStatus?: "NEW" | "NOTIFIED" | "SUPPRESSED" | "RESOLVED";
  complianceStatus?: "PASSED" | "FAILED";
  firstObservedAt: string;
  /** Changes when the check's result changes; a workflow update in the console leaves it alone. */
  updatedAt: string;
  /** When Security Hub processed this version; every update changes it. */
  processedAt?: string;
  note?: { Text: string; UpdatedBy: string; UpdatedAt: string } | null;
}

interface AsffEvent {
  id: string;
  time: string;
  detail: { findings: Record<string, unknown>[] };
}

/**
 * An EventBridge "Security Hub Findings - Imported" event for the cluster: the bundled synthetic
 * EKS.2 event with the cluster, the finding id and the fields of the version changed.
 */
export function storyEvent(cluster: StoryCluster, version: StoryFindingVersion, eventId: string): AsffEvent {
  const template = readFileSync(join(EXAMPLE_EVENTS_DIR, TEMPLATE_FILE), "utf8");
  const event = JSON.parse(
    template
      .replaceAll(TEMPLATE_CLUSTER, cluster.name)
      .replaceAll(TEMPLATE_FINDING_UUID, cluster.findingUuid),
  ) as AsffEvent;
  const finding = event.detail.findings[0] as Record<string, unknown>;
  const processedAt = version.processedAt ?? version.updatedAt;
  event.id = eventId;
  event.time = processedAt;
  const resources = finding.Resources as { Details: { AwsEksCluster: { Version: string } } }[];
  for (const resource of resources) resource.Details.AwsEksCluster.Version = version.kubernetes;
  finding.Workflow = { Status: version.workflowStatus ?? "NEW" };
  finding.Compliance = { ...(finding.Compliance as object), Status: version.complianceStatus ?? "FAILED" };
  finding.FirstObservedAt = version.firstObservedAt;
  finding.CreatedAt = version.firstObservedAt;
  finding.LastObservedAt = version.updatedAt;
  finding.UpdatedAt = version.updatedAt;
  finding.ProcessedAt = processedAt;
  if (version.note) finding.Note = version.note;
  else delete finding.Note;
  return event;
}

export function findingOf(event: AsffEvent): { Id: string; ProductArn: string } {
  return event.detail.findings[0] as { Id: string; ProductArn: string };
}
