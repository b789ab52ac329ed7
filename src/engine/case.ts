import type { ComplianceStatus, Finding, RecordState, Severity, WorkflowStatus } from "./finding.js";

/** One case per finding id: who owns it and by when it must be remediated. */
export const CASE_STATUSES = [
  "open",
  "excepted",
  "awaiting_date",
  "date_agreed",
  "resolved",
  "breached",
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export interface ObservedVersion {
  updatedAt: string;
  processedAt: string | null;
  workflowStatus: WorkflowStatus;
  recordState: RecordState;
  complianceStatus: ComplianceStatus | null;
}

export interface Case {
  id: string;
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
  slaDueAt: string | null;
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
  slaDueAt: string | null;
}

export interface FindingObserved extends EventBase {
  type: "finding.observed";
  observationKey: string;
  eventId: string;
  detailType: string;
  customAction: string | null;
  /** True when an older version arrived after a newer one: recorded, but it changes nothing. */
  stale: boolean;
  version: ObservedVersion;
  severity: Severity;
  title: string;
}

export interface SeverityChanged extends EventBase {
  type: "severity.changed";
  from: Severity;
  to: Severity;
  slaDueAt: string | null;
}

export type CaseEvent = CaseOpened | FindingObserved | SeverityChanged;

export function observedVersion(finding: Finding): ObservedVersion {
  return {
    updatedAt: finding.updatedAt,
    processedAt: finding.processedAt,
    workflowStatus: finding.workflowStatus,
    recordState: finding.recordState,
    complianceStatus: finding.complianceStatus,
  };
}

/** Applies one event to a case. `case.opened` is the only event valid without a case. */
export function evolve(current: Case | null, event: CaseEvent): Case {
  if (event.type === "case.opened") {
    const { finding } = event;
    const resource = finding.resources[0];
    return {
      id: finding.id,
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
      tracked: event.slaDueAt !== null,
      slaDueAt: event.slaDueAt,
      firstObservedAt: finding.firstObservedAt,
      openedAt: event.at,
      updatedAt: event.at,
      latest: observedVersion(finding),
      version: (current?.version ?? 0) + 1,
    };
  }
  if (!current) throw new Error(`${event.type} needs an existing case`);
  const next: Case = { ...current, updatedAt: event.at, version: current.version + 1 };
  switch (event.type) {
    case "finding.observed":
      if (event.stale) return next;
      return { ...next, latest: event.version, title: event.title };
    case "severity.changed":
      return { ...next, severity: event.to, slaDueAt: event.slaDueAt, tracked: event.slaDueAt !== null };
  }
}
