import type { Case } from "./case.js";
import type { Decision } from "./decision.js";
import { escalate, nextEscalationAt } from "./escalation.js";
import { expireException } from "./exceptions.js";
import type { Policy } from "./policy.js";
import { nextDateTimerAt, remindOrMiss } from "./upgrade-dates.js";

/**
 * When the case next needs the engine without anything happening outside: an exception's expiry,
 * the next escalation step, the next reminder or the end of the agreed day. The shell stores it
 * (cases.next_due_at, indexed) and the sweep picks the case up then.
 */
export function nextDueAt(c: Case, policy: Policy): string | null {
  if (c.resolvedAt !== null) return null;
  const candidates: string[] = [];
  const exception = c.exception;
  if (exception && (exception.status === "requested" || exception.status === "approved")) {
    candidates.push(exception.expiresAt);
  }
  const escalation = nextEscalationAt(c, policy);
  if (escalation) candidates.push(escalation);
  const date = nextDateTimerAt(c, policy);
  if (date) candidates.push(date);
  if (candidates.length === 0) return null;
  return candidates.reduce((soonest, candidate) =>
    Date.parse(candidate) < Date.parse(soonest) ? candidate : soonest,
  );
}

/** Everything due at `d.at`, in order: an expiring exception first, since it restarts the clock. */
export function fireTimers(d: Decision, c: Case, policy: Policy): void {
  if (c.resolvedAt !== null) return;
  expireException(d, c, policy);
  const afterExpiry = d.state ?? c;
  escalate(d, afterExpiry, policy);
  remindOrMiss(d, d.state ?? afterExpiry, policy);
}
