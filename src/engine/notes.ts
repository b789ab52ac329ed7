import type { Actor, Case, ExceptionState } from "./case.js";
import { formatInstant } from "./time-text.js";

/** Security Hub keeps at most 512 characters of a note. */
export const NOTE_MAX = 512;

/** Cuts to 512 UTF-16 units, never inside a surrogate pair (a lone half cannot be stored as JSON). */
export function fitNote(text: string): string {
  if (text.length <= NOTE_MAX) return text;
  let end = NOTE_MAX - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * The note of a revert. It names no finding (the case id is the finding id), so reverts of many
 * findings with the same owner share one text and go out in one BatchUpdateFindings call.
 */
export function revertNote(c: Case, revertTo: string, approverTeam: string): string {
  return fitNote(
    `securityhub-governor: suppression blocked and status set back to ${revertTo}. This finding is owned by ` +
      `team ${c.owner} and has no approved exception. To suppress it, request one: ` +
      `shgov exception request <finding id> --as <you> --team ${c.owner} --until <YYYY-MM-DD> --justification "<why>" ` +
      `(or from Slack); team ${approverTeam} approves.`,
  );
}

export function exceptionNote(exception: ExceptionState, approver: Actor): string {
  return fitNote(
    `securityhub-governor: suppressed under exception ${exception.id}, requested by ${exception.requester.user} ` +
      `(${exception.requester.team}), approved by ${approver.user} (${approver.team}), expires ${formatInstant(exception.expiresAt)}. ` +
      `Justification: ${exception.justification}`,
  );
}

export function expiryNote(c: Case, reopenTo: string): string {
  const id = c.exception?.id ?? "the exception";
  const expiresAt = c.exception ? formatInstant(c.exception.expiresAt) : "";
  return fitNote(
    `securityhub-governor: exception ${id} expired ${expiresAt}; status set back to ${reopenTo} and the ` +
      `remediation clock resumed. Owner: team ${c.owner}.`,
  );
}
