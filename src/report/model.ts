import type { CaseStatus } from "../engine/case.js";
import type { Severity } from "../engine/finding.js";

/**
 * The weekly governance report as data: built from the cases and the audit log by
 * build-report.ts, turned into Markdown, CSV, JSON, HTML, Slack blocks and a chart by the
 * renderers. Instants are ISO strings (UTC); durations are milliseconds.
 */

/** How long open cases have been open, by when the case was opened; `maxDays` null = no upper bound. */
export const AGE_BUCKETS = [
  { label: "0-7d", maxDays: 7 },
  { label: "7-30d", maxDays: 30 },
  { label: "30-90d", maxDays: 90 },
  { label: "90-180d", maxDays: 180 },
  { label: "180d+", maxDays: null },
] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number]["label"];

/** EKS prices per cluster-hour: standard support, and extended support after it ends. */
export const EKS_STANDARD_USD_PER_HOUR = 0.1;
export const EKS_EXTENDED_USD_PER_HOUR = 0.6;

/** "Expiring soon": approved exceptions that end within this many days of the period's end. */
export const EXPIRING_SOON_DAYS = 14;

/** Rows of the report's lists beyond this are counted, not listed. */
export const LIST_LIMIT = 200;

export interface ReportPeriod {
  /** Inclusive. */
  since: string;
  /** Exclusive: the instant the report was asked for, or the scheduled run's time. */
  until: string;
}

export interface TimeToRemediate {
  severity: Severity;
  /** Cases resolved in the period with this severity. */
  count: number;
  meanMs: number;
  medianMs: number;
}

/** The figures of one team (team = the case's owner), or of every team together (team null). */
export interface TeamFigures {
  team: string | null;
  open: {
    /** Cases not resolved now (excepted and awaiting a date included). */
    total: number;
    bySeverity: Record<Severity, number>;
    byAge: Record<AgeBucket, number>;
    byStatus: Record<Exclude<CaseStatus, "resolved">, number>;
  };
  /** Cases opened for the first time in the period. */
  opened: number;
  /** Resolved cases that failed again in the period. */
  reopened: number;
  /** Resolutions in the period. */
  closed: number;
  sla: {
    /** Resolutions in the period that had a deadline (INFORMATIONAL has none). */
    closedWithDeadline: number;
    closedWithinSla: number;
    /** closedWithinSla / closedWithDeadline; null when nothing with a deadline was closed. */
    compliance: number | null;
    /** Open cases past their deadline now (excepted cases are not: their clock is paused). */
    openPastDue: number;
  };
  /** Severities with at least one resolution in the period, most severe first. */
  timeToRemediate: TimeToRemediate[];
  /** SLA breaches in the period (sla.breached). */
  breaches: number;
  /** Escalations in the period by level (1 = the first step); levels without any are left out. */
  escalationsByLevel: { level: number; count: number }[];
  suppressionsBlocked: number;
  exceptions: {
    approved: number;
    rejected: number;
    expired: number;
    /** Approved exceptions that expire within EXPIRING_SOON_DAYS of the period's end. */
    expiringSoon: number;
  };
  upgradeDates: {
    /** Dates agreed (or changed by agreement) in the period. */
    agreed: number;
    /** Open cases that need a date and have none agreed now. */
    missing: number;
    /** Agreed dates that passed in the period without the finding being resolved. */
    missed: number;
  };
}

export interface BlockedSuppression {
  caseId: string;
  /** The case's id for people: SHG-42. */
  caseRef: string;
  title: string;
  team: string;
  accountId: string;
  blockedAt: string;
  /** The identity GetFindingHistory named (an IAM ARN); null while unknown. */
  suppressedBy: string | null;
}

export interface ExpiringException {
  caseId: string;
  /** The case's id for people: SHG-42. */
  caseRef: string;
  title: string;
  team: string;
  exceptionId: string;
  requestedBy: string;
  approvedBy: string | null;
  expiresAt: string;
}

export interface MissingUpgradeDate {
  caseId: string;
  /** The case's id for people: SHG-42. */
  caseRef: string;
  title: string;
  team: string;
  resourceId: string | null;
  eksVersion: string | null;
  /** The date must be agreed before this; null when nothing limits it. */
  deadline: string | null;
  /** Whole days from the period's end to the deadline; negative once it has passed. */
  daysLeft: number | null;
}

export interface ExtendedSupportVersion {
  version: string;
  clusters: number;
  /** Calendar days (YYYY-MM-DD, UTC), from the bundled EKS calendar. */
  endOfStandardSupport: string;
  endOfExtendedSupport: string;
  /** True when extended support too had ended by the period's end: its clusters no longer pay for it. */
  pastExtendedSupport: boolean;
}

export interface ExtendedSupport {
  /**
   * Distinct clusters with an open case whose version is on extended support at the period's end:
   * past the end of standard support, not yet past the end of extended support. What the cost counts.
   */
  clusters: number;
  /** Distinct clusters with an open case whose version is past the end of extended support too. */
  clustersPastExtendedSupport: number;
  /** Every version past the end of standard support with an open case, oldest first. */
  byVersion: ExtendedSupportVersion[];
  /** What they cost per hour now, and what they would cost on a supported version. */
  usdPerHour: number;
  standardUsdPerHour: number;
  /** The extra over standard support, for 30 days at today's count. */
  extraUsdPer30Days: number;
  /** Extended-support hours in the period (each cluster from the later of its end of standard support and the period's start). */
  hoursInPeriod: number;
  costInPeriodUsd: number;
  extraInPeriodUsd: number;
}

export interface TrendPoint {
  /** The end of the week (exclusive); the last point is the period's end. */
  weekEnding: string;
  /** Cases open at that instant. */
  open: number;
  closedWithDeadline: number;
  closedWithinSla: number;
  compliance: number | null;
}

export interface ListOf<Item> {
  /** How many there are in all; items holds at most LIST_LIMIT of them. */
  total: number;
  items: Item[];
}

export interface Report {
  generatedAt: string;
  period: ReportPeriod;
  /** Set when the report was asked for one team only. */
  team: string | null;
  /** Every team together; with `team` set, that team's cases only (the same figures as its entry in `teams`). */
  overall: TeamFigures;
  /** One entry per team that owns cases (or the asked team), in name order. */
  teams: TeamFigures[];
  suppressionsBlocked: ListOf<BlockedSuppression> & {
    /** Who set SUPPRESSED, most blocked first; "unknown" while GetFindingHistory has not answered. */
    byActor: { actor: string; count: number }[];
  };
  exceptionsExpiring: ListOf<ExpiringException>;
  upgradeDatesMissing: ListOf<MissingUpgradeDate>;
  extendedSupport: ExtendedSupport;
  /** The last 8 weeks, oldest first, ending at the period's end. */
  trend: TrendPoint[];
}
