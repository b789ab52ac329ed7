import type { Case } from "./case.js";
import { clockMark } from "./clock.js";
import { base, type Decision, TIMER_ACTOR } from "./decision.js";
import type { Policy } from "./policy.js";
import { resolveTeams } from "./teams.js";
import { formatInstant } from "./time-text.js";

/** Whether the SLA ladder applies now: a running clock, not resolved, no agreed upgrade date instead. */
export function ladderRuns(c: Case): boolean {
  return c.resolvedAt === null && c.sla !== null && c.sla.pausedSince === null && !c.upgrade?.agreed;
}

/** The instant the next escalation step is due, or null when none is. */
export function nextEscalationAt(c: Case, policy: Policy): string | null {
  if (!ladderRuns(c) || !c.sla) return null;
  const step = policy.escalation[c.escalationLevel];
  return step ? clockMark(c.sla, step.at) : null;
}

/**
 * Fires every step whose share of the SLA is used up and has not fired yet (the level only
 * rises, so a step never fires twice). Steps missed together (after downtime) are recorded one by
 * one but announced in one message.
 */
export function escalate(d: Decision, c: Case, policy: Policy): void {
  if (!ladderRuns(c) || !c.sla) return;
  const sla = c.sla;
  const teams = new Set<string>();
  let mentionLeads = false;
  let breached = false;
  let fired = 0;
  for (let index = c.escalationLevel; index < policy.escalation.length; index += 1) {
    const step = policy.escalation[index];
    if (!step || Date.parse(clockMark(sla, step.at)) > Date.parse(d.at)) break;
    const notify = resolveTeams(step.notify, c);
    d.emit({
      type: "escalated",
      ...base(d.at, TIMER_ACTOR, `${Math.round(step.at * 100)}% of the SLA used`),
      level: index + 1,
      notify,
    });
    for (const team of notify) teams.add(team);
    mentionLeads ||= step.mentionLeads;
    fired += 1;
    if (step.breach && c.breachedAt === null && !breached) {
      d.emit({
        type: "sla.breached",
        ...base(d.at, TIMER_ACTOR, "the SLA deadline passed"),
        dueAt: clockMark(sla, 1),
      });
      breached = true;
    }
  }
  if (fired === 0) return;
  const level = c.escalationLevel + fired;
  d.effect({
    kind: "notify",
    caseId: c.id,
    topic: breached ? "sla.breached" : "escalated",
    teams: [...teams],
    mentionLeads,
    text: breached
      ? `SLA breached: "${c.title}" (${c.severity}, owner ${c.owner}) was due ${formatInstant(clockMark(sla, 1))} and is not remediated.`
      : `Escalation level ${level}: "${c.title}" (${c.severity}, owner ${c.owner}) is due ${formatInstant(clockMark(sla, 1))}.`,
  });
}
