import type { SlaClock } from "./clock.js";
import { clockDueAt, pauseClock, resumeClock } from "./clock.js";
import type { ComplianceStatus, Finding, RecordState, Severity, WorkflowStatus } from "./finding.js";
import type { CallerIdentity } from "./inputs.js";
import type { RefusalCode } from "./refusals.js";

/** One case per finding id: who owns it, by when it must be remediated, and what people decided. */
export const CASE_STATUSES = [
  "open",
  "excepted",
  "awaiting_date",
  "date_agreed",
  "resolved",
  "breached",
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export type OpenStatus = Exclude<CaseStatus, "resolved">;
/** Every status but resolved: the cases someone still has to act on. */
export const OPEN_STATUSES = CASE_STATUSES.filter((status): status is OpenStatus => status !== "resolved");

export interface ObservedVersion {
  updatedAt: string;
  processedAt: string | null;
  workflowStatus: WorkflowStatus;
  recordState: RecordState;
  complianceStatus: ComplianceStatus | null;
}

export interface Actor {
  user: string;
  team: string;
}

export interface ExceptionState {
  id: string;
  status: "requested" | "approved" | "rejected" | "expired";
  requester: Actor;
  justification: string;
  expiresAt: string;
  requestedAt: string;
  decidedBy: Actor | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

export interface DateProposal {
  /** A calendar day, YYYY-MM-DD (UTC): the upgrade happens on that day. */
  date: string;
  proposedBy: Actor;
  at: string;
  /** Teams that accept this date so far; the proposer's team first. */
  acceptedBy: Actor[];
}

export interface UpgradeState {
  rule: string;
  /** The teams that must all agree (resolved names). */
  teams: string[];
  /** The agreed date must be before this instant; null when nothing limits it. */
  deadline: string | null;
  deadlineSource: string;
  eksVersion: string | null;
  proposal: DateProposal | null;
  agreed: { date: string; at: string; by: Actor[] } | null;
  /** How many of the rule's reminders (earliest first) have been sent for the agreed date. */
  remindersSent: number;
  missed: boolean;
}

export interface SuppressionRecord {
  blockedAt: string;
  /** Who set SUPPRESSED, from GetFindingHistory (UpdateSource.Identity); null until known or when unknown. */
  suppressedBy: string | null;
  suppressedByType: string | null;
  attributedAt: string | null;
  blockedCount: number;
  /** The status the bot set back. */
  revertTo: WorkflowStatus;
  /**
   * True from the block until Security Hub shows a status other than SUPPRESSED: a re-import that
   * still carries SUPPRESSED meanwhile is the same suppression, not a new one.
   */
  revertPending: boolean;
}

export interface Case {
  id: string;
  /**
   * The case's number for people (SHG-42, see case-ref.ts), given by the store when the case is first
   * saved and never changed; null until then. The engine carries it and never decides on it.
   */
  number: number | null;
  findingId: string;
  productArn: string;
  format: Finding["format"];
  controlId: string | null;
  title: string;
  severity: Severity;
  accountId: string;
  region: string;
  resourceId: string | null;
  resourceType: string | null;
  owner: string;
  counterpart: string;
  routingRule: string;
  status: CaseStatus;
  /** False when the severity has no SLA (INFORMATIONAL): the case is kept but has no clock. */
  tracked: boolean;
  /** When the case must be remediated: the SLA deadline, or the agreed upgrade date once agreed. */
  slaDueAt: string | null;
  sla: SlaClock | null;
  /** How many escalation steps have fired. */
  escalationLevel: number;
  breachedAt: string | null;
  exception: ExceptionState | null;
  exceptionsRequested: number;
  upgrade: UpgradeState | null;
  suppression: SuppressionRecord | null;
  /** The workflow status Security Hub holds as far as the bot knows (observed, or written by the bot). */
  expectedWorkflowStatus: WorkflowStatus;
  /** The last update the bot sent, to recognise it when it comes back as an event (loop guard). */
  lastBotUpdate: { workflowStatus: WorkflowStatus; note: string } | null;
  assignee: (Actor & { at: string }) | null;
  resolvedAt: string | null;
  /** What closed the case; a RESOLVED workflow alone is a person's word, not a passing check. */
  resolvedBy: ResolvedBy | null;
  timeToRemediateMs: number | null;
  reopenedCount: number;
  firstObservedAt: string;
  openedAt: string;
  updatedAt: string;
  latest: ObservedVersion;
  /** Number of events applied; the sequence number of the next event is version + 1. */
  version: number;
}

interface EventBase {
  at: string;
  actor: string;
  reason: string | null;
}

export interface CaseOpened extends EventBase {
  type: "case.opened";
  finding: Finding;
  owner: string;
  counterpart: string;
  routingRule: string;
  sla: SlaClock | null;
  upgrade: UpgradeState | null;
}

export interface FindingObserved extends EventBase {
  type: "finding.observed";
  observationKey: string;
  eventId: string;
  detailType: string;
  customAction: string | null;
  /** True when an older version arrived after a newer one: recorded, but it changes nothing. */
  stale: boolean;
  /** True when this is the bot's own BatchUpdateFindings coming back (loop guard): recorded, inert. */
  ownUpdate: boolean;
  version: ObservedVersion;
  severity: Severity;
  title: string;
}

export interface SeverityChanged extends EventBase {
  type: "severity.changed";
  from: Severity;
  to: Severity;
  sla: SlaClock | null;
}

export interface SuppressionBlocked extends EventBase {
  type: "suppression.blocked";
  revertTo: WorkflowStatus;
  note: string;
}

export interface SuppressionAccepted extends EventBase {
  type: "suppression.accepted";
  exceptionId: string;
}

export interface SuppressionAttributed extends EventBase {
  type: "suppression.attributed";
  suppressedBy: string | null;
  suppressedByType: string | null;
  suppressedAt: string | null;
  /** When CloudTrail named the caller: who, from where, and the note they wrote. */
  caller?: CallerIdentity;
  note?: string | null;
}

export interface ExceptionRequested extends EventBase {
  type: "exception.requested";
  exceptionId: string;
  requester: Actor;
  justification: string;
  expiresAt: string;
}

export interface ExceptionDecided extends EventBase {
  type: "exception.approved" | "exception.rejected";
  exceptionId: string;
  by: Actor;
  /** On approval, the workflow status and note the bot writes to Security Hub. */
  note: string | null;
}

export interface ExceptionExpired extends EventBase {
  type: "exception.expired";
  exceptionId: string;
  /** Set when the finding was suppressed under the exception and the bot re-opens it. */
  reopenTo: WorkflowStatus | null;
  note: string | null;
}

export interface DateProposed extends EventBase {
  type: "date.proposed" | "date.countered";
  date: string;
  by: Actor;
}

export interface DateAccepted extends EventBase {
  type: "date.accepted";
  date: string;
  by: Actor;
}

export interface DateAgreed extends EventBase {
  type: "date.agreed" | "date.changed";
  date: string;
  previousDate: string | null;
  by: Actor[];
}

export interface DateReminded extends EventBase {
  type: "date.reminded";
  date: string;
  /** Reminders sent so far, including this one. */
  remindersSent: number;
}

export interface DateMissed extends EventBase {
  type: "date.missed";
  date: string;
}

export interface Escalated extends EventBase {
  type: "escalated";
  level: number;
  notify: string[];
}

export interface SlaBreached extends EventBase {
  type: "sla.breached";
  dueAt: string;
}

export type ResolvedBy = "check_passed" | "archived" | "workflow_resolved";

export interface CaseResolved extends EventBase {
  type: "case.resolved";
  by: ResolvedBy;
  timeToRemediateMs: number;
  /** The severity and deadline the case had when it was resolved: what the report's SLA figures count. */
  severity: Severity;
  dueAt: string | null;
  /** Resolved by its deadline; null when the case had none (untracked severity). */
  withinSla: boolean | null;
}

export interface CaseReopened extends EventBase {
  type: "case.reopened";
  sla: SlaClock | null;
  upgrade: UpgradeState | null;
  /** True when the clock, escalation level and breach of before the resolution stand. */
  keepProgress: boolean;
}

export interface CaseClaimed extends EventBase {
  type: "case.claimed";
  by: Actor;
}

export interface EffectFailed extends EventBase {
  type: "effect.failed";
  effect: string;
  error: string;
  /**
   * The status Security Hub still holds when the bot knows it (an exception's SUPPRESSED that was
   * never written); null when the bot keeps its expectation, so that a suppression it failed to
   * revert is blocked again when next seen.
   */
  workflowStatus: WorkflowStatus | null;
}

/** A person asked for something the rules forbid: recorded (who tried what), nothing else changes. */
export interface ActionRefused extends EventBase {
  type: "action.refused";
  /** The refusal's code (events recorded before codes existed have none). */
  code?: RefusalCode;
  action: string;
  by: Actor;
}

export type CaseEvent =
  | ActionRefused
  | CaseOpened
  | FindingObserved
  | SeverityChanged
  | SuppressionBlocked
  | SuppressionAccepted
  | SuppressionAttributed
  | ExceptionRequested
  | ExceptionDecided
  | ExceptionExpired
  | DateProposed
  | DateAccepted
  | DateAgreed
  | DateReminded
  | DateMissed
  | Escalated
  | SlaBreached
  | CaseResolved
  | CaseReopened
  | CaseClaimed
  | EffectFailed;

export type CaseEventType = CaseEvent["type"];

export function observedVersion(finding: Finding): ObservedVersion {
  return {
    updatedAt: finding.updatedAt,
    processedAt: finding.processedAt,
    workflowStatus: finding.workflowStatus,
    recordState: finding.recordState,
    complianceStatus: finding.complianceStatus,
  };
}

/** True when an approved exception holds at `at`. */
export function exceptionHolds(current: Case, at: string): boolean {
  const exception = current.exception;
  return exception?.status === "approved" && Date.parse(exception.expiresAt) > Date.parse(at);
}

/** The status follows from the facts, so it cannot drift from them. */
function statusOf(c: Case): CaseStatus {
  if (c.resolvedAt !== null) return "resolved";
  if (c.exception?.status === "approved") return "excepted";
  if (c.breachedAt !== null) return "breached";
  if (c.upgrade) return c.upgrade.agreed ? "date_agreed" : "awaiting_date";
  return "open";
}

/** The deadline shown for the case: the agreed upgrade date once agreed, else the SLA deadline. */
function dueAtOf(c: Case): string | null {
  if (c.upgrade?.agreed) return endOfDay(c.upgrade.agreed.date);
  return c.sla ? clockDueAt(c.sla) : null;
}

/**
 * The deadline as it stands at `at`: like the case's slaDueAt, except that a clock paused by an
 * exception counts its pause up to `at` (slaDueAt only counts pauses that ended).
 */
export function deadlineAt(c: Case, at: string): string | null {
  if (c.upgrade?.agreed) return endOfDay(c.upgrade.agreed.date);
  return c.sla ? clockDueAt(resumeClock(c.sla, at)) : null;
}

/** The instant a calendar day (YYYY-MM-DD, UTC) ends. */
export function endOfDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + 86_400_000).toISOString();
}

function opened(event: CaseOpened, current: Case | null): Case {
  const { finding } = event;
  const resource = finding.resources[0];
  const previousVersion = current?.version ?? 0;
  return {
    id: finding.id,
    number: current?.number ?? null,
    findingId: finding.id,
    productArn: finding.productArn,
    format: finding.format,
    controlId: finding.controlId,
    title: finding.title,
    severity: finding.severity,
    accountId: finding.accountId,
    region: finding.region,
    resourceId: resource?.id ?? null,
    resourceType: resource?.type ?? null,
    owner: event.owner,
    counterpart: event.counterpart,
    routingRule: event.routingRule,
    status: "open",
    tracked: event.sla !== null,
    slaDueAt: null,
    sla: event.sla,
    escalationLevel: 0,
    breachedAt: null,
    exception: null,
    exceptionsRequested: 0,
    upgrade: event.upgrade,
    suppression: null,
    expectedWorkflowStatus: finding.workflowStatus,
    lastBotUpdate: null,
    assignee: null,
    resolvedAt: null,
    resolvedBy: null,
    timeToRemediateMs: null,
    reopenedCount: 0,
    firstObservedAt: finding.firstObservedAt,
    openedAt: event.at,
    updatedAt: event.at,
    latest: observedVersion(finding),
    version: previousVersion + 1,
  };
}

function applyEvent(c: Case, event: Exclude<CaseEvent, CaseOpened>): Case {
  switch (event.type) {
    case "finding.observed":
    case "severity.changed":
    case "escalated":
    case "sla.breached":
    case "case.resolved":
    case "case.reopened":
    case "action.refused":
    case "case.claimed":
    case "effect.failed":
      return applyLifecycleEvent(c, event);
    case "suppression.blocked":
    case "suppression.accepted":
    case "suppression.attributed":
      return applySuppressionEvent(c, event);
    case "exception.requested":
    case "exception.approved":
    case "exception.rejected":
    case "exception.expired":
      return applyExceptionEvent(c, event);
    case "date.proposed":
    case "date.countered":
    case "date.accepted":
    case "date.agreed":
    case "date.changed":
    case "date.reminded":
    case "date.missed":
      return applyDateEvent(c, event);
  }
}

/** The finding seen again, its severity, resolution, re-opening, claims, escalation and failures. */
function applyLifecycleEvent(
  c: Case,
  event: Extract<
    CaseEvent,
    {
      type:
        | "finding.observed"
        | "severity.changed"
        | "escalated"
        | "sla.breached"
        | "case.resolved"
        | "case.reopened"
        | "action.refused"
        | "case.claimed"
        | "effect.failed";
    }
  >,
): Case {
  switch (event.type) {
    case "finding.observed":
      if (event.stale) return c;
      return {
        ...c,
        latest: event.version,
        title: event.title,
        expectedWorkflowStatus: event.version.workflowStatus,
        suppression:
          c.suppression?.revertPending && event.version.workflowStatus !== "SUPPRESSED"
            ? { ...c.suppression, revertPending: false }
            : c.suppression,
      };
    case "severity.changed":
      return { ...c, severity: event.to, sla: event.sla, tracked: event.sla !== null };
    case "escalated":
      return { ...c, escalationLevel: Math.max(c.escalationLevel, event.level) };
    case "sla.breached":
      return { ...c, breachedAt: c.breachedAt ?? event.at };
    case "case.resolved":
      return { ...c, resolvedAt: event.at, resolvedBy: event.by, timeToRemediateMs: event.timeToRemediateMs };
    case "case.reopened":
      return {
        ...c,
        resolvedAt: null,
        resolvedBy: null,
        timeToRemediateMs: null,
        reopenedCount: c.reopenedCount + 1,
        sla: event.sla,
        tracked: event.sla !== null,
        escalationLevel: event.keepProgress ? c.escalationLevel : 0,
        breachedAt: event.keepProgress ? c.breachedAt : null,
        upgrade: event.upgrade,
      };
    case "action.refused":
      return c;
    case "case.claimed":
      return { ...c, assignee: { ...event.by, at: event.at } };
    case "effect.failed": {
      // A revert that failed leaves the suppression in place: the next SUPPRESSED observation blocks again.
      const suppression = c.suppression?.revertPending
        ? { ...c.suppression, revertPending: false }
        : c.suppression;
      return { ...c, suppression, expectedWorkflowStatus: event.workflowStatus ?? c.expectedWorkflowStatus };
    }
  }
}

/** A suppression blocked, accepted or attributed. */
function applySuppressionEvent(
  c: Case,
  event: Extract<
    CaseEvent,
    { type: "suppression.blocked" | "suppression.accepted" | "suppression.attributed" }
  >,
): Case {
  switch (event.type) {
    case "suppression.blocked":
      return {
        ...c,
        expectedWorkflowStatus: event.revertTo,
        lastBotUpdate: { workflowStatus: event.revertTo, note: event.note },
        suppression: {
          blockedAt: event.at,
          suppressedBy: null,
          suppressedByType: null,
          attributedAt: null,
          blockedCount: (c.suppression?.blockedCount ?? 0) + 1,
          revertTo: event.revertTo,
          revertPending: true,
        },
      };
    case "suppression.accepted":
      return c;
    case "suppression.attributed":
      if (!c.suppression) return c;
      return {
        ...c,
        suppression: {
          ...c.suppression,
          suppressedBy: event.suppressedBy,
          suppressedByType: event.suppressedByType,
          attributedAt: event.at,
        },
      };
  }
}

/** An exception requested, decided or expired: the SLA clock pauses while one holds. */
function applyExceptionEvent(
  c: Case,
  event: Extract<
    CaseEvent,
    { type: "exception.requested" | "exception.approved" | "exception.rejected" | "exception.expired" }
  >,
): Case {
  switch (event.type) {
    case "exception.requested":
      return {
        ...c,
        exceptionsRequested: c.exceptionsRequested + 1,
        exception: {
          id: event.exceptionId,
          status: "requested",
          requester: event.requester,
          justification: event.justification,
          expiresAt: event.expiresAt,
          requestedAt: event.at,
          decidedBy: null,
          decidedAt: null,
          decisionReason: null,
        },
      };
    case "exception.approved":
    case "exception.rejected": {
      if (!c.exception) return c;
      const approved = event.type === "exception.approved";
      return {
        ...c,
        exception: {
          ...c.exception,
          status: approved ? "approved" : "rejected",
          decidedBy: event.by,
          decidedAt: event.at,
          decisionReason: event.reason,
        },
        // The SLA clock stops while the exception holds.
        sla: approved && c.sla ? pauseClock(c.sla, event.at) : c.sla,
        ...(approved && event.note
          ? {
              expectedWorkflowStatus: "SUPPRESSED",
              lastBotUpdate: { workflowStatus: "SUPPRESSED", note: event.note },
            }
          : {}),
      };
    }
    case "exception.expired": {
      if (!c.exception) return c;
      const wasApproved = c.exception.status === "approved";
      // The pause ends at the expiry even when the timer fires late (downtime earns no extra time).
      const resumeAt =
        Date.parse(c.exception.expiresAt) < Date.parse(event.at) ? c.exception.expiresAt : event.at;
      return {
        ...c,
        exception: { ...c.exception, status: "expired" },
        sla: wasApproved && c.sla ? resumeClock(c.sla, resumeAt) : c.sla,
        ...(event.reopenTo && event.note
          ? {
              expectedWorkflowStatus: event.reopenTo,
              lastBotUpdate: { workflowStatus: event.reopenTo, note: event.note },
            }
          : {}),
      };
    }
  }
}

/** The upgrade date: proposals, acceptances, the agreement, reminders. */
function applyDateEvent(
  c: Case,
  event: Extract<
    CaseEvent,
    {
      type:
        | "date.proposed"
        | "date.countered"
        | "date.accepted"
        | "date.agreed"
        | "date.changed"
        | "date.reminded"
        | "date.missed";
    }
  >,
): Case {
  switch (event.type) {
    case "date.proposed":
    case "date.countered":
      if (!c.upgrade) return c;
      return {
        ...c,
        upgrade: {
          ...c.upgrade,
          proposal: { date: event.date, proposedBy: event.by, at: event.at, acceptedBy: [event.by] },
        },
      };
    case "date.accepted":
      if (!c.upgrade?.proposal) return c;
      return {
        ...c,
        upgrade: {
          ...c.upgrade,
          proposal: { ...c.upgrade.proposal, acceptedBy: [...c.upgrade.proposal.acceptedBy, event.by] },
        },
      };
    case "date.agreed":
    case "date.changed":
      if (!c.upgrade) return c;
      return {
        ...c,
        upgrade: {
          ...c.upgrade,
          proposal: null,
          agreed: { date: event.date, at: event.at, by: event.by },
          remindersSent: 0,
          missed: false,
        },
      };
    case "date.reminded":
      if (!c.upgrade) return c;
      return { ...c, upgrade: { ...c.upgrade, remindersSent: event.remindersSent } };
    case "date.missed":
      if (!c.upgrade) return c;
      return { ...c, upgrade: { ...c.upgrade, missed: true } };
  }
}
/** Applies one event to a case. `case.opened` is the only event valid without a case. */
export function evolve(current: Case | null, event: CaseEvent): Case {
  let next: Case;
  if (event.type === "case.opened") {
    next = opened(event, current);
  } else {
    if (!current) throw new Error(`${event.type} needs an existing case`);
    next = { ...applyEvent(current, event), updatedAt: event.at, version: current.version + 1 };
  }
  return { ...next, status: statusOf(next), slaDueAt: dueAtOf(next) };
}
