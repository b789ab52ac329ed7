import { OPEN_STATUSES, type OpenStatus } from "../engine/case.js";
import { DAY_MS } from "../engine/durations.js";
import { EKS_CALENDAR } from "../engine/eks-calendar.js";
import { SEVERITIES, type Severity } from "../engine/finding.js";
import { ShgovError } from "../errors.js";
import type { Database } from "../store/database.js";
import {
  blockedSuppressions,
  expiringExceptions,
  inReportSnapshot,
  missingUpgradeDates,
  openCaseRows,
  openClustersByEksVersion,
  periodEventRows,
  type ReportScope,
  timeToRemediateRows,
  trendRows,
} from "../store/report-queries.js";
import { formatInstant } from "./format.js";
import {
  AGE_BUCKETS,
  type AgeBucket,
  EKS_EXTENDED_USD_PER_HOUR,
  EKS_STANDARD_USD_PER_HOUR,
  EXPIRING_SOON_DAYS,
  type ExtendedSupport,
  LIST_LIMIT,
  type MissingUpgradeDate,
  type Report,
  type TeamFigures,
  type TrendPoint,
} from "./model.js";

const HOUR_MS = 3_600_000;
export const TREND_WEEKS = 8;

export interface ReportRequest {
  since: Date;
  until: Date;
  /** Only this team's cases (the owner); null for every team. */
  team: string | null;
  /** Teams listed even when they own nothing yet (the policy's owners). */
  teams?: string[];
  /** Rows of each list kept; the rest are counted. */
  listLimit?: number;
  /** When the report is built (the report says so); now by default. */
  generatedAt?: Date;
}

export class ReportRequestError extends ShgovError {
  override name = "ReportRequestError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("report.request_invalid", message, options);
  }
}

/**
 * Builds the governance report from the cases and the audit log. Every query runs in one
 * read-only, repeatable-read transaction: the figures describe one instant of the store even
 * while the worker goes on writing.
 */
export async function buildReport(db: Database, request: ReportRequest): Promise<Report> {
  if (!(request.since.getTime() < request.until.getTime())) {
    throw new ReportRequestError(
      `the period must end after it starts (since ${formatInstant(request.since.toISOString())}, until ${formatInstant(request.until.toISOString())})`,
    );
  }
  const scope: ReportScope = {
    since: request.since.toISOString(),
    until: request.until.toISOString(),
    team: request.team,
  };
  const limit = request.listLimit ?? LIST_LIMIT;
  const data = await inReportSnapshot(db, async (tx) => ({
    open: await openCaseRows(
      tx,
      scope,
      AGE_BUCKETS.map((bucket) => bucket.maxDays),
    ),
    events: await periodEventRows(tx, scope),
    ttr: await timeToRemediateRows(tx, scope),
    suppressions: await blockedSuppressions(tx, scope, limit),
    expiring: await expiringExceptions(tx, scope, EXPIRING_SOON_DAYS, limit),
    missing: await missingUpgradeDates(tx, scope, limit),
    clusters: await openClustersByEksVersion(tx, scope),
    trend: await trendRows(tx, scope, TREND_WEEKS),
  }));

  const figures = new Map<string, TeamFigures>();
  const teamOf = (team: string): TeamFigures => {
    let entry = figures.get(team);
    if (!entry) {
      entry = emptyFigures(team);
      figures.set(team, entry);
    }
    return entry;
  };
  for (const team of request.teams ?? []) if (request.team === null || team === request.team) teamOf(team);
  // A team asked for by name has its row even when it owns nothing.
  if (request.team !== null) teamOf(request.team);
  const overall = emptyFigures(null);

  for (const row of data.open) {
    const bucket = AGE_BUCKETS[row.bucket]?.label as AgeBucket;
    for (const target of [teamOf(row.team), overall]) {
      target.open.total += row.count;
      target.open.bySeverity[row.severity as Severity] += row.count;
      target.open.byAge[bucket] += row.count;
      target.open.byStatus[row.status as OpenStatus] += row.count;
      target.sla.openPastDue += row.pastDue;
    }
  }
  for (const row of data.events) {
    for (const target of [teamOf(row.team), overall]) countEvent(target, row);
  }
  for (const row of data.ttr) {
    const target = row.team === null ? overall : teamOf(row.team);
    target.timeToRemediate.push({
      severity: row.severity as Severity,
      count: row.count,
      meanMs: Math.round(row.meanMs),
      medianMs: Math.round(row.medianMs),
    });
  }
  for (const [team, count] of data.expiring.perTeam) {
    teamOf(team).exceptions.expiringSoon = count;
    overall.exceptions.expiringSoon += count;
  }
  for (const [team, count] of data.missing.perTeam) {
    teamOf(team).upgradeDates.missing = count;
    overall.upgradeDates.missing += count;
  }
  const teams = [...figures.values()].sort((a, b) => String(a.team).localeCompare(String(b.team)));
  for (const target of [...teams, overall]) finish(target);

  const until = request.until.getTime();
  return {
    generatedAt: (request.generatedAt ?? new Date()).toISOString(),
    period: { since: scope.since, until: scope.until },
    team: request.team,
    overall,
    teams,
    suppressionsBlocked: data.suppressions,
    exceptionsExpiring: { total: sumOf(data.expiring.perTeam), items: data.expiring.items },
    upgradeDatesMissing: {
      total: sumOf(data.missing.perTeam),
      items: data.missing.items.map(
        (item): MissingUpgradeDate => ({
          ...item,
          daysLeft: item.deadline === null ? null : Math.floor((Date.parse(item.deadline) - until) / DAY_MS),
        }),
      ),
    },
    extendedSupport: extendedSupport(data.clusters, request.since.getTime(), until),
    // The open cases counted above (in the asked team's scope) anchor the trend.
    trend: trendPoints(data.trend, overall.open.total, until),
  };
}

function emptyFigures(team: string | null): TeamFigures {
  const zeroes = <Key extends string>(keys: readonly Key[]) =>
    Object.fromEntries(keys.map((key) => [key, 0])) as Record<Key, number>;
  return {
    team,
    open: {
      total: 0,
      bySeverity: zeroes(SEVERITIES),
      byAge: zeroes(AGE_BUCKETS.map((bucket) => bucket.label)),
      byStatus: zeroes(OPEN_STATUSES),
    },
    opened: 0,
    reopened: 0,
    closed: 0,
    sla: { closedWithDeadline: 0, closedWithinSla: 0, compliance: null, openPastDue: 0 },
    timeToRemediate: [],
    breaches: 0,
    escalationsByLevel: [],
    suppressionsBlocked: 0,
    exceptions: { approved: 0, rejected: 0, expired: 0, expiringSoon: 0 },
    upgradeDates: { agreed: 0, missing: 0, missed: 0 },
  };
}

function countEvent(
  target: TeamFigures,
  row: { type: string; level: number | null; count: number; withDeadline: number; withinSla: number },
): void {
  switch (row.type) {
    case "case.opened":
      target.opened += row.count;
      return;
    case "case.reopened":
      target.reopened += row.count;
      return;
    case "case.resolved":
      target.closed += row.count;
      target.sla.closedWithDeadline += row.withDeadline;
      target.sla.closedWithinSla += row.withinSla;
      return;
    case "sla.breached":
      target.breaches += row.count;
      return;
    case "escalated": {
      const level = row.level ?? 0;
      const entry = target.escalationsByLevel.find((candidate) => candidate.level === level);
      if (entry) entry.count += row.count;
      else target.escalationsByLevel.push({ level, count: row.count });
      return;
    }
    case "suppression.blocked":
      target.suppressionsBlocked += row.count;
      return;
    case "exception.approved":
      target.exceptions.approved += row.count;
      return;
    case "exception.rejected":
      target.exceptions.rejected += row.count;
      return;
    case "exception.expired":
      target.exceptions.expired += row.count;
      return;
    case "date.agreed":
    case "date.changed":
      target.upgradeDates.agreed += row.count;
      return;
    case "date.missed":
      target.upgradeDates.missed += row.count;
      return;
  }
}

/** Resolutions within their deadline among those that had one; null when none had one. */
function compliance(withinSla: number, withDeadline: number): number | null {
  return withDeadline === 0 ? null : withinSla / withDeadline;
}

function finish(target: TeamFigures): void {
  target.sla.compliance = compliance(target.sla.closedWithinSla, target.sla.closedWithDeadline);
  target.escalationsByLevel.sort((a, b) => a.level - b.level);
  const rank = (severity: Severity) => SEVERITIES.indexOf(severity);
  target.timeToRemediate.sort((a, b) => rank(b.severity) - rank(a.severity));
}

function sumOf(counts: Map<string, number>): number {
  let total = 0;
  for (const count of counts.values()) total += count;
  return total;
}

/**
 * What clusters on versions past the end of standard support cost. Each pays extended support
 * from the later of that end and the period's start until the period's end or the end of extended
 * support (when EKS upgrades it), whichever comes first. Versions past the end of extended support
 * as well are listed and counted apart: they cost nothing more, but their clusters are out of
 * support.
 */
export function extendedSupport(
  clusters: { version: string; clusters: number }[],
  since: number,
  until: number,
): ExtendedSupport {
  const byVersion = clusters.flatMap((row) => {
    const calendar = EKS_CALENDAR[row.version];
    if (!calendar) return [];
    const standardEnds = Date.parse(`${calendar.endOfStandardSupport}T00:00:00Z`);
    const extendedEnds = Date.parse(`${calendar.endOfExtendedSupport}T00:00:00Z`);
    if (standardEnds > until) return [];
    const hoursEach = Math.max(0, Math.min(until, extendedEnds) - Math.max(since, standardEnds)) / HOUR_MS;
    return [
      {
        version: row.version,
        clusters: row.clusters,
        endOfStandardSupport: calendar.endOfStandardSupport,
        endOfExtendedSupport: calendar.endOfExtendedSupport,
        hours: hoursEach * row.clusters,
        pastExtendedSupport: extendedEnds <= until,
      },
    ];
  });
  const clustersWhere = (past: boolean) =>
    byVersion.filter((row) => row.pastExtendedSupport === past).reduce((sum, row) => sum + row.clusters, 0);
  const payingNow = clustersWhere(false);
  const hours = byVersion.reduce((sum, row) => sum + row.hours, 0);
  const cents = (usd: number) => Math.round(usd * 100) / 100;
  return {
    clusters: payingNow,
    clustersPastExtendedSupport: clustersWhere(true),
    byVersion: byVersion.map(({ hours: _hours, ...version }) => version),
    usdPerHour: cents(payingNow * EKS_EXTENDED_USD_PER_HOUR),
    standardUsdPerHour: cents(payingNow * EKS_STANDARD_USD_PER_HOUR),
    extraUsdPer30Days: cents(payingNow * (EKS_EXTENDED_USD_PER_HOUR - EKS_STANDARD_USD_PER_HOUR) * 24 * 30),
    hoursInPeriod: Math.round(hours * 100) / 100,
    costInPeriodUsd: cents(hours * EKS_EXTENDED_USD_PER_HOUR),
    extraInPeriodUsd: cents(hours * (EKS_EXTENDED_USD_PER_HOUR - EKS_STANDARD_USD_PER_HOUR)),
  };
}

/**
 * Eight weekly points ending at `until`. The open count at an instant is today's open count less
 * the openings and plus the resolutions recorded since that instant.
 */
function trendPoints(
  rows: { weeksAgo: number; delta: number; withDeadline: number; withinSla: number }[],
  openNow: number,
  until: number,
): TrendPoint[] {
  const points: TrendPoint[] = [];
  for (let weeksBack = TREND_WEEKS - 1; weeksBack >= 0; weeksBack -= 1) {
    const since = rows.filter((row) => row.weeksAgo < weeksBack);
    const week = rows.find((row) => row.weeksAgo === weeksBack);
    const withDeadline = week?.withDeadline ?? 0;
    const withinSla = week?.withinSla ?? 0;
    points.push({
      weekEnding: new Date(until - weeksBack * 7 * DAY_MS).toISOString(),
      open: openNow - since.reduce((sum, row) => sum + row.delta, 0),
      closedWithDeadline: withDeadline,
      closedWithinSla: withinSla,
      compliance: compliance(withinSla, withDeadline),
    });
  }
  return points;
}
