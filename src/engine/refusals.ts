/**
 * Why the rules refused a person's action: a stable code for programs (the admin API, the CLI's
 * --json, tests), the form field it concerns when there is one (a Slack modal marks it), and a
 * sentence for people.
 */
export type RefusalCode =
  | "case.missing"
  | "case.resolved"
  | "team.unknown"
  | "team.not_member"
  | "team.not_allowed"
  | "claim.already_claimed"
  | "exception.pending"
  | "exception.active"
  | "exception.none_pending"
  | "exception.separation_of_duties"
  | "exception.lapsed"
  | "justification.missing"
  | "expiry.invalid"
  | "expiry.past"
  | "expiry.beyond_maximum"
  | "date.not_needed"
  | "date.invalid"
  | "date.past"
  | "date.beyond_deadline"
  | "date.none_proposed"
  | "date.already_agreed"
  | "date.changed"
  | "date.already_accepted"
  | "date.nothing_to_counter";

/** The input a refusal concerns, named as the action's own fields are. */
export type RefusalField = "justification" | "expiry" | "date" | "reason";

export interface Refusal {
  code: RefusalCode;
  field?: RefusalField;
  message: string;
}

export function refused(code: RefusalCode, message: string, field?: RefusalField): Refusal {
  return field ? { code, field, message } : { code, message };
}
