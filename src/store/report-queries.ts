import { formatCaseRef } from "../engine/case-ref.js";
import { DAY_MS } from "../engine/durations.js";
import type { BlockedSuppression, ExpiringException, MissingUpgradeDate } from "../report/model.js";
import type { Database, Sql } from "./database.js";
import { iso, isoOrNull } from "./database.js";

/**
 * The report's SQL. Each query aggregates in the database and returns a few rows per team, so a
 * report over millions of cases and audit events stays small in memory. Periods are
 * [since, until); a team filter of null means every team. Lists are capped by `limit` and come
 * with their total.
 */

export interface ReportScope {
  since: string;
  until: string;
  team: string | null;
}

const WEEK_MS = 7 * DAY_MS;

/**
 * Runs the report's queries in one read-only, repeatable-read transaction, so the figures describe
 * one instant of the store even while the worker goes on writing.
 */
export function inReportSnapshot<T>(db: Database, read: (tx: Sql) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    // Day and week arithmetic in SQL counts 24-hour days, as the report's code does.
    await tx.query("SET LOCAL TimeZone = 'UTC'");
    return read(tx);
  });
}

/** Open cases now, by team, severity, status and age bucket, with those past their deadline. */
export async function openCaseRows(
  db: Sql,
  scope: ReportScope,
  ageBucketsDays: readonly (number | null)[],
): Promise<
  { team: string; severity: string; status: string; bucket: number; count: number; pastDue: number }[]
> {
  // The bucket is the index of the first bound the age is under; the last bound is null (no limit).
  const bounds = ageBucketsDays.filter((days): days is number => days !== null);
  const bucketCase = bounds
    .map((days, index) => `WHEN opened_at > $1::timestamptz - interval '${days} days' THEN ${index}`)
    .join(" ");
  const rows = await db.query<{
    team: string;
    severity: string;
    status: string;
    bucket: number;
    count: number;
    past_due: number;
  }>(
    `SELECT owner_team AS team, severity, status,
            CASE ${bucketCase} ELSE ${bounds.length} END AS bucket,
            count(*)::int AS count,
            count(*) FILTER (WHERE status <> 'excepted' AND sla_due_at < $1::timestamptz)::int AS past_due
       FROM cases
      WHERE status <> 'resolved' AND ($2::text IS NULL OR owner_team = $2)
      GROUP BY 1, 2, 3, 4`,
    [scope.until, scope.team],
  );
  return rows.map((row) => ({ ...row, pastDue: row.past_due }));
}

/** The audit event types counted per period. */
export const COUNTED_EVENT_TYPES = [
  "case.opened",
  "case.reopened",
  "case.resolved",
  "sla.breached",
  "escalated",
  "suppression.blocked",
  "exception.approved",
  "exception.rejected",
  "exception.expired",
  "date.agreed",
  "date.changed",
  "date.missed",
] as const;

/** Events in the period by team, type and (for escalations) level; resolutions with their SLA outcome. */
export async function periodEventRows(
  db: Sql,
  scope: ReportScope,
): Promise<
  {
    team: string;
    type: string;
    level: number | null;
    count: number;
    withDeadline: number;
    withinSla: number;
  }[]
> {
  const rows = await db.query<{
    team: string;
    type: string;
    level: number | null;
    count: number;
    with_deadline: number;
    within_sla: number;
  }>(
    `SELECT c.owner_team AS team, e.type, (e.data->>'level')::int AS level, count(*)::int AS count,
            count(*) FILTER (WHERE e.data->>'withinSla' IN ('true', 'false'))::int AS with_deadline,
            count(*) FILTER (WHERE e.data->>'withinSla' = 'true')::int AS within_sla
       FROM audit_events e JOIN cases c ON c.id = e.case_id
      WHERE e.type = ANY($1::text[]) AND e.at >= $2::timestamptz AND e.at < $3::timestamptz
        AND ($4::text IS NULL OR c.owner_team = $4)
      GROUP BY 1, 2, 3`,
    [COUNTED_EVENT_TYPES, scope.since, scope.until, scope.team],
  );
  return rows.map((row) => ({
    team: row.team,
    type: row.type,
    level: row.level,
    count: row.count,
    withDeadline: row.with_deadline,
    withinSla: row.within_sla,
  }));
}

/**
 * Time to remediate of the period's resolutions by team and severity, and by severity over every
 * team (team null): a median cannot be added up from the teams' medians.
 */
export async function timeToRemediateRows(
  db: Sql,
  scope: ReportScope,
): Promise<{ team: string | null; severity: string; count: number; meanMs: number; medianMs: number }[]> {
  const rows = await db.query<{
    team: string | null;
    severity: string;
    count: number;
    mean_ms: number;
    median_ms: number;
  }>(
    `SELECT c.owner_team AS team, COALESCE(e.data->>'severity', c.severity) AS severity,
            count(*)::int AS count,
            avg((e.data->>'timeToRemediateMs')::float8)::float8 AS mean_ms,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY (e.data->>'timeToRemediateMs')::float8) AS median_ms
       FROM audit_events e JOIN cases c ON c.id = e.case_id
      WHERE e.type = 'case.resolved' AND e.at >= $1::timestamptz AND e.at < $2::timestamptz
        AND ($3::text IS NULL OR c.owner_team = $3)
      GROUP BY GROUPING SETS ((c.owner_team, COALESCE(e.data->>'severity', c.severity)),
                              (COALESCE(e.data->>'severity', c.severity)))`,
    [scope.since, scope.until, scope.team],
  );
  return rows.map((row) => ({
    team: row.team,
    severity: row.severity,
    count: row.count,
    meanMs: row.mean_ms,
    medianMs: row.median_ms,
  }));
}

/**
 * Suppressions blocked in the period, newest first, with who set SUPPRESSED: the first
 * attribution that names someone (CloudTrail or GetFindingHistory) recorded after the block.
 */
export async function blockedSuppressions(
  db: Sql,
  scope: ReportScope,
  limit: number,
): Promise<{ total: number; byActor: { actor: string; count: number }[]; items: BlockedSuppression[] }> {
  const blocked = `
    WITH blocked AS (
      SELECT e.case_id, c.number, e.at, c.title, c.owner_team, c.account_id,
             (SELECT a.data->>'suppressedBy' FROM audit_events a
               WHERE a.case_id = e.case_id AND a.type = 'suppression.attributed' AND a.seq > e.seq
                 AND a.data->>'suppressedBy' IS NOT NULL
               ORDER BY a.seq LIMIT 1) AS suppressed_by
        FROM audit_events e JOIN cases c ON c.id = e.case_id
       WHERE e.type = 'suppression.blocked' AND e.at >= $1::timestamptz AND e.at < $2::timestamptz
         AND ($3::text IS NULL OR c.owner_team = $3))`;
  const params = [scope.since, scope.until, scope.team];
  const actors = await db.query<{ actor: string; count: number }>(
    `${blocked} SELECT COALESCE(suppressed_by, 'unknown') AS actor, count(*)::int AS count
       FROM blocked GROUP BY 1 ORDER BY 2 DESC, 1`,
    params,
  );
  const items = await db.query<{
    case_id: string;
    number: number;
    title: string;
    owner_team: string;
    account_id: string;
    at: Date;
    suppressed_by: string | null;
  }>(`${blocked} SELECT * FROM blocked ORDER BY at DESC, case_id LIMIT ${Math.trunc(limit)}`, params);
  return {
    total: actors.reduce((sum, row) => sum + row.count, 0),
    byActor: actors,
    items: items.map((row) => ({
      caseId: row.case_id,
      caseRef: formatCaseRef(row.number),
      title: row.title,
      team: row.owner_team,
      accountId: row.account_id,
      blockedAt: iso(row.at),
      suppressedBy: row.suppressed_by,
    })),
  };
}

/**
 * Open cases matching `where`: how many per team, and the first `limit` of them in `order`.
 * `where` may use $1.. for `params`.
 */
async function casesPerTeamAndFirst<Row>(
  db: Sql,
  query: { where: string; params: unknown[]; columns: string; order: string; limit: number },
): Promise<{ perTeam: Map<string, number>; rows: Row[] }> {
  const counts = await db.query<{ team: string; count: number }>(
    `SELECT owner_team AS team, count(*)::int AS count FROM cases WHERE ${query.where} GROUP BY 1`,
    query.params,
  );
  const rows = await db.query<Row>(
    `SELECT ${query.columns} FROM cases WHERE ${query.where}
      ORDER BY ${query.order} LIMIT ${Math.trunc(query.limit)}`,
    query.params,
  );
  return { perTeam: new Map(counts.map((row) => [row.team, row.count])), rows };
}

/** Approved exceptions that expire in [until, until + days), soonest first, and their count per team. */
export async function expiringExceptions(
  db: Sql,
  scope: ReportScope,
  days: number,
  limit: number,
): Promise<{ perTeam: Map<string, number>; items: ExpiringException[] }> {
  const { perTeam, rows } = await casesPerTeamAndFirst<{
    id: string;
    number: number;
    title: string;
    owner_team: string;
    exception_id: string;
    requested_by: string;
    approved_by: string | null;
    expires_at: Date;
  }>(db, {
    where: `status = 'excepted' AND exception_expires_at >= $1::timestamptz
      AND exception_expires_at < $1::timestamptz + make_interval(days => $2::int)
      AND ($3::text IS NULL OR owner_team = $3)`,
    params: [scope.until, days, scope.team],
    columns: `id, number, title, owner_team, exception_id, exception_requested_by AS requested_by,
            exception_decided_by AS approved_by, exception_expires_at AS expires_at`,
    order: "exception_expires_at, id",
    limit,
  });
  return {
    perTeam,
    items: rows.map((row) => ({
      caseId: row.id,
      caseRef: formatCaseRef(row.number),
      title: row.title,
      team: row.owner_team,
      exceptionId: row.exception_id,
      requestedBy: row.requested_by,
      approvedBy: row.approved_by,
      expiresAt: iso(row.expires_at),
    })),
  };
}

/** Open cases that need an agreed upgrade date and have none (columns kept by saveCases), nearest deadline first. */
export async function missingUpgradeDates(
  db: Sql,
  scope: ReportScope,
  limit: number,
): Promise<{ perTeam: Map<string, number>; items: Omit<MissingUpgradeDate, "daysLeft">[] }> {
  const { perTeam, rows } = await casesPerTeamAndFirst<{
    id: string;
    number: number;
    title: string;
    owner_team: string;
    resource_id: string | null;
    eks_version: string | null;
    deadline: Date | null;
  }>(db, {
    where: "status <> 'resolved' AND upgrade_date_agreed = false AND ($1::text IS NULL OR owner_team = $1)",
    params: [scope.team],
    columns: "id, number, title, owner_team, resource_id, eks_version, upgrade_deadline AS deadline",
    order: "upgrade_deadline NULLS LAST, id",
    limit,
  });
  return {
    perTeam,
    items: rows.map((row) => ({
      caseId: row.id,
      caseRef: formatCaseRef(row.number),
      title: row.title,
      team: row.owner_team,
      resourceId: row.resource_id,
      eksVersion: row.eks_version,
      deadline: isoOrNull(row.deadline),
    })),
  };
}

/**
 * Distinct clusters (resources) with an open case, by EKS version. A cluster with open cases of
 * two versions (one opened before an upgrade) counts once, under the version of the case changed
 * last, so the counts add up to the clusters.
 */
export async function openClustersByEksVersion(
  db: Sql,
  scope: ReportScope,
): Promise<{ version: string; clusters: number }[]> {
  return db.query<{ version: string; clusters: number }>(
    `SELECT version, count(*)::int AS clusters
       FROM (SELECT DISTINCT ON (COALESCE(resource_id, id)) eks_version AS version
               FROM cases
              WHERE status <> 'resolved' AND eks_version IS NOT NULL AND ($1::text IS NULL OR owner_team = $1)
              ORDER BY COALESCE(resource_id, id), updated_at DESC, id DESC) AS clusters
      GROUP BY 1 ORDER BY 1`,
    [scope.team],
  );
}

/**
 * Opened, re-opened and resolved events from eight weeks before `until` on (later ones too: the
 * open count at an instant is today's count less what happened since), by week: k for
 * [until - (k+1) weeks, until - k weeks), -1 for anything at or after `until`; with the
 * resolutions' SLA outcome.
 */
export async function trendRows(
  db: Sql,
  scope: ReportScope,
  weeks: number,
): Promise<{ weeksAgo: number; delta: number; withDeadline: number; withinSla: number }[]> {
  const rows = await db.query<{
    weeks_ago: number;
    delta: number;
    with_deadline: number;
    within_sla: number;
  }>(
    `SELECT GREATEST(-1, ceil(extract(epoch FROM ($1::timestamptz - e.at)) * 1000 / ${WEEK_MS}) - 1)::int AS weeks_ago,
            sum(CASE WHEN e.type = 'case.resolved' THEN -1 ELSE 1 END)::int AS delta,
            count(*) FILTER (WHERE e.type = 'case.resolved' AND e.data->>'withinSla' IN ('true', 'false'))::int AS with_deadline,
            count(*) FILTER (WHERE e.type = 'case.resolved' AND e.data->>'withinSla' = 'true')::int AS within_sla
       FROM audit_events e
      WHERE e.type IN ('case.opened', 'case.reopened', 'case.resolved')
        AND e.at >= $1::timestamptz - make_interval(days => $2::int)
        AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM cases c WHERE c.id = e.case_id AND c.owner_team = $3))
      GROUP BY 1`,
    [scope.until, weeks * 7, scope.team],
  );
  return rows.map((row) => ({
    weeksAgo: row.weeks_ago,
    delta: row.delta,
    withDeadline: row.with_deadline,
    withinSla: row.within_sla,
  }));
}
