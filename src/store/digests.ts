import { formatCaseRef } from "../engine/case-ref.js";
import type { Severity } from "../engine/finding.js";
import { isoOrNull, type Sql } from "./database.js";

/** covered_until per team: the end of what each team's last digest covered. */
export async function loadWatermarks(db: Sql): Promise<Map<string, string>> {
  const rows = await db.query<{ team: string; covered_until: unknown }>(
    "SELECT team, covered_until FROM slack_digests",
  );
  return new Map(rows.map((row) => [row.team, isoOrNull(row.covered_until) as string]));
}

/** Moves the team's watermark forward (never back) and records the post. */
export async function recordDigest(
  tx: Sql,
  team: string,
  coveredUntil: Date,
  postedAt: Date,
  ts: string | null,
): Promise<void> {
  await tx.query(
    `INSERT INTO slack_digests (team, covered_until, posted_at, ts) VALUES ($1, $2, $3, $4)
     ON CONFLICT (team) DO UPDATE SET covered_until = EXCLUDED.covered_until,
       posted_at = EXCLUDED.posted_at, ts = EXCLUDED.ts
     WHERE slack_digests.covered_until < EXCLUDED.covered_until`,
    [team, coveredUntil.toISOString(), postedAt.toISOString(), ts],
  );
}

/** Which cases a team's digest covers: its own, opened in (since, until], not resolved. */
export interface DigestScope {
  team: string;
  since: string | null;
  until: Date;
  /** Tracked cases of other severities are left to their own notifications. */
  severities: Severity[];
}

const CANDIDATES = `owner_team = $1
    AND ($2::timestamptz IS NULL OR opened_at > $2::timestamptz)
    AND opened_at <= $3::timestamptz
    AND status <> 'resolved'
    AND (severity = ANY($4::text[]) OR tracked IS NOT TRUE)`;

const params = (scope: DigestScope) => [scope.team, scope.since, scope.until.toISOString(), scope.severities];

/** The digest's cases counted by severity, tracking and control. */
export async function digestGroups(
  db: Sql,
  scope: DigestScope,
): Promise<{ severity: Severity; tracked: boolean; controlId: string | null; count: number }[]> {
  const rows = await db.query<{ severity: Severity; tracked: boolean; control_id: string | null; n: number }>(
    `SELECT severity, tracked IS TRUE AS tracked, control_id, count(*)::int AS n
       FROM cases WHERE ${CANDIDATES}
      GROUP BY 1, 2, 3`,
    params(scope),
  );
  return rows.map((row) => ({
    severity: row.severity,
    tracked: row.tracked,
    controlId: row.control_id,
    count: Number(row.n),
  }));
}

/** A case a digest lists by name. */
export interface DigestItem {
  caseId: string;
  /** The case's id for people: SHG-42. */
  caseRef: string;
  findingId: string;
  title: string;
  severity: Severity;
  controlId: string | null;
  accountId: string;
  region: string;
  resourceId: string | null;
  resourceType: string | null;
  slaDueAt: string | null;
  firstObservedAt: string;
  openedAt: string;
}

/** The digest's oldest tracked cases (first observed first), at most `limit`. */
export async function oldestDigestCases(db: Sql, scope: DigestScope, limit: number): Promise<DigestItem[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, number, finding_id, title, severity, control_id, account_id, region, resource_id,
            resource_type, sla_due_at, first_observed_at, opened_at
       FROM cases WHERE ${CANDIDATES} AND tracked IS TRUE
      ORDER BY first_observed_at, opened_at, id
      LIMIT ${Math.max(0, Math.floor(limit))}`,
    params(scope),
  );
  return rows.map((row) => ({
    caseId: String(row.id),
    caseRef: formatCaseRef(Number(row.number)),
    findingId: String(row.finding_id ?? row.id),
    title: String(row.title),
    severity: row.severity as Severity,
    controlId: (row.control_id as string | null) ?? null,
    accountId: String(row.account_id),
    region: String(row.region),
    resourceId: (row.resource_id as string | null) ?? null,
    resourceType: (row.resource_type as string | null) ?? null,
    slaDueAt: isoOrNull(row.sla_due_at),
    firstObservedAt: isoOrNull(row.first_observed_at) as string,
    openedAt: isoOrNull(row.opened_at) as string,
  }));
}
