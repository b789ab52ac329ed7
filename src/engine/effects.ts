import type { Case } from "./case.js";
import type { FindingFormat, WorkflowStatus } from "./finding.js";

/**
 * What the engine asks the outside world to do. The shell writes effects to the outbox in the
 * same transaction as the events that caused them; dispatchers deliver them.
 */
export interface WorkflowUpdateEffect {
  kind: "securityhub.update";
  caseId: string;
  findingId: string;
  productArn: string;
  format: FindingFormat;
  accountId: string;
  workflowStatus: WorkflowStatus;
  /** At most 512 characters (the Security Hub limit). */
  note: string;
  purpose: "revert_suppression" | "apply_exception" | "exception_expired";
}

/** The workflow update of a case's finding: the identifiers come from the case. */
export function workflowUpdate(
  c: Pick<Case, "id" | "findingId" | "productArn" | "format" | "accountId">,
  workflowStatus: WorkflowStatus,
  note: string,
  purpose: WorkflowUpdateEffect["purpose"],
): WorkflowUpdateEffect {
  return {
    kind: "securityhub.update",
    caseId: c.id,
    findingId: c.findingId,
    productArn: c.productArn,
    format: c.format,
    accountId: c.accountId,
    workflowStatus,
    note,
    purpose,
  };
}

/** Ask GetFindingHistory who set the finding to SUPPRESSED; the answer comes back as an engine input. */
export interface FindSuppressorEffect {
  kind: "securityhub.find_suppressor";
  caseId: string;
  findingId: string;
  productArn: string;
  format: FindingFormat;
  /** Look at history records from this instant on (the last version before the suppression). */
  since: string | null;
  /**
   * Who the suppressing version's note names (Note.UpdatedBy), when that note is not the bot's
   * own. Free text anyone can write, so never taken for the history's answer; a dry run, which
   * does not ask GetFindingHistory, reports it instead, marked as the note's word.
   */
  noteBy?: string;
}

export const NOTIFY_TOPICS = [
  "case.opened",
  "suppression.blocked",
  "exception.requested",
  "exception.approved",
  "exception.rejected",
  "exception.expired",
  "date.proposed",
  "date.agreed",
  "date.reminder",
  "date.missed",
  "escalated",
  "sla.breached",
  "case.reopened",
  "effect.failed",
] as const;
export type NotifyTopic = (typeof NOTIFY_TOPICS)[number];

/** Tell teams something: delivered on every notification channel the teams are reached by. */
export interface NotifyEffect {
  kind: "notify";
  caseId: string;
  topic: NotifyTopic;
  /** Team names, resolved from the policy's references. */
  teams: string[];
  mentionLeads: boolean;
  text: string;
}

export type Effect = WorkflowUpdateEffect | FindSuppressorEffect | NotifyEffect;
