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

/** `suppressedByType` of an identity CloudTrail recorded for the call that set SUPPRESSED. */
export const CLOUDTRAIL_IDENTITY = "CLOUDTRAIL";

/** Who made an API call, as CloudTrail's userIdentity and sourceIPAddress say. */
export interface CallerIdentity {
  arn: string | null;
  /** IAMUser, AssumedRole, Root, FederatedUser, AWSService, ... */
  type: string;
  /** For an assumed role: the role the session was issued by. */
  sessionIssuer: string | null;
  sourceIp: string | null;
}

/**
 * Who suppressed the finding: GetFindingHistory's answer (the dispatcher asked), or the
 * BatchUpdateFindings call CloudTrail recorded (with `caller` and the note the caller wrote).
 */
export interface SuppressorFoundInput {
  type: "suppressor_found";
  suppressedBy: string | null;
  /** UpdateSource.Type (BATCH_UPDATE_FINDINGS, BATCH_IMPORT_FINDINGS), NOTE_IDENTITY or CLOUDTRAIL_IDENTITY. */
  suppressedByType: string | null;
  suppressedAt: string | null;
  /** Why the identity is unknown, when it is. */
  error: string | null;
  /** From CloudTrail: the caller in full. */
  caller?: CallerIdentity;
  /** From CloudTrail: the Note.Text or Comment the call wrote, if any. */
  note?: string | null;
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
