import type { WorkflowStatus } from "../engine/finding.js";
import type { CallerIdentity } from "../engine/inputs.js";

/** One finding a BatchUpdateFindings call named, as the case is known by (case id = finding id). */
export interface CalledFinding {
  findingId: string;
  productArn: string | null;
}

/** A Security Hub update call CloudTrail recorded: who changed which findings to what, saying what. */
export interface ApiCall {
  /** CloudTrail's eventID: the same call delivered twice is stored once. */
  eventId: string;
  eventName: "BatchUpdateFindings" | "BatchUpdateFindingsV2";
  at: string;
  findings: CalledFinding[];
  /** The status it set (V2's StatusId mapped), or null when it did not change the status. */
  workflowStatus: WorkflowStatus | null;
  /** Note.Text (ASFF) or Comment (V2). */
  note: string | null;
  caller: CallerIdentity;
}
