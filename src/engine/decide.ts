import { type Case, type CaseEvent, evolve, observedVersion } from "./case.js";
import { compareObservations, type Finding } from "./finding.js";
import type { Policy } from "./policy.js";
import { routeFinding } from "./routing.js";
import { slaDeadline } from "./sla.js";

/** A new version of a finding arrived through intake. */
export interface FindingObservedInput {
  type: "finding_observed";
  observationKey: string;
  eventId: string;
  detailType: string;
  customAction: string | null;
  finding: Finding;
}

export type EngineInput = FindingObservedInput;

export interface Decision {
  events: CaseEvent[];
  /** True when the finding version is newer than the one the case holds (the stored finding is replaced). */
  findingIsNewer: boolean;
}

const SECURITY_HUB = "aws:securityhub";

/**
 * The engine's single entry point: what happens to a case given one input, the policy and the time.
 * Pure: it reads no clock and does no I/O; the shell persists the events it returns.
 */
export function decide(current: Case | null, input: EngineInput, policy: Policy, now: Date): Decision {
  const at = now.toISOString();
  const { finding } = input;
  const events: CaseEvent[] = [];
  const stale = current !== null && compareObservations(finding, current.latest) <= 0;

  if (current === null) {
    const rule = routeFinding(policy, finding);
    events.push({
      type: "case.opened",
      at,
      actor: SECURITY_HUB,
      reason: `routed by rule "${rule.name}"`,
      finding,
      owner: rule.owner,
      counterpart: rule.counterpart,
      routingRule: rule.name,
      slaDueAt: slaDeadline(policy, finding),
    });
  }
  events.push({
    type: "finding.observed",
    at,
    actor: SECURITY_HUB,
    reason: stale ? "older than the version already recorded" : null,
    observationKey: input.observationKey,
    eventId: input.eventId,
    detailType: input.detailType,
    customAction: input.customAction,
    stale,
    version: observedVersion(finding),
    severity: finding.severity,
    title: finding.title,
  });
  if (current !== null && !stale && finding.severity !== current.severity) {
    events.push({
      type: "severity.changed",
      at,
      actor: SECURITY_HUB,
      reason: `Security Hub reports ${finding.severity}`,
      from: current.severity,
      to: finding.severity,
      slaDueAt: slaDeadline(policy, { severity: finding.severity, firstObservedAt: current.firstObservedAt }),
    });
  }
  return { events, findingIsNewer: current === null || !stale };
}

/** Folds events onto a case: the state the shell stores after a decision. */
export function applyEvents(current: Case | null, events: CaseEvent[]): Case | null {
  return events.reduce<Case | null>((state, event) => evolve(state, event), current);
}
