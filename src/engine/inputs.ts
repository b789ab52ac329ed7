import type { Finding } from "./finding.js";

/** A new version of a finding arrived through intake. */
export interface FindingObservedInput {
  type: "finding_observed";
  observationKey: string;
  eventId: string;
  detailType: string;
  customAction: string | null;
  finding: Finding;
}

/** The sweep found the case's next due time reached. */
export interface TimerDueInput {
  type: "timer_due";
}

export type HumanAction =
  | { action: "claim" }
  | { action: "exception_request"; justification: string; expiresAt: string }
  | { action: "exception_approve"; reason: string | null }
  | { action: "exception_reject"; reason: string | null }
  | { action: "date_propose"; date: string }
  | { action: "date_counter"; date: string }
  /** `date`, when given, must be the date on the table: agreeing to a date that changed meanwhile is refused. */
  | { action: "date_agree"; date: string | null };

/**
 * A person acted (CLI, admin API or Slack). `team` is the team they act for. `memberOf` is every
 * policy team the adapter's membership puts them in (policy lists; in Slack, user groups too), so
 * rules such as separation of duties see what the policy lists alone cannot.
 */
export type HumanInput = { type: "human"; user: string; team: string; memberOf?: string[] } & HumanAction;

/**
 * `suppressedByType` of an identity that only the finding's note gives (Note.UpdatedBy), not
 * GetFindingHistory's UpdateSource: what a dry run reports.
 */
export const NOTE_IDENTITY = "FINDING_NOTE";

/** The dispatcher asked GetFindingHistory who suppressed the finding. */
export interface SuppressorFoundInput {
  type: "suppressor_found";
  suppressedBy: string | null;
  /** UpdateSource.Type (BATCH_UPDATE_FINDINGS, BATCH_IMPORT_FINDINGS), or NOTE_IDENTITY. */
  suppressedByType: string | null;
  suppressedAt: string | null;
  /** Why the identity is unknown, when it is. */
  error: string | null;
}

/** The dispatcher gave up on an effect (a permanent error). */
export interface EffectFailedInput {
  type: "effect_failed";
  effect: "securityhub.update";
  purpose: "revert_suppression" | "apply_exception" | "exception_expired";
  error: string;
}

export type EngineInput =
  | FindingObservedInput
  | TimerDueInput
  | HumanInput
  | SuppressorFoundInput
  | EffectFailedInput;
