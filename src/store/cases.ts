import type { Case, CaseStatus } from "../engine/case.js";
import { formatCaseRef, parseCaseRef } from "../engine/case-ref.js";
import type { Effect } from "../engine/effects.js";
import { iso, isoOrNull, type Sql } from "./database.js";
import { listOutbox } from "./outbox.js";

export interface StoredCase {
  state: Case;
  auditHead: string;
}

/**
 * The case's state as readers get it: the stored JSON with the case number attached. The number
 * column is its only copy (saveCases leaves it out of the JSON), so the two cannot disagree.
 */
export const CASE_STATE_SQL = "state || jsonb_build_object('number', number)";

/** Loads cases for change; the caller holds the per-finding locks. */
export async function loadCases(tx: Sql, ids: string[]): Promise<Map<string, StoredCase>> {
  const rows = await tx.query<{ id: string; state: Case; audit_head: string }>(
    `SELECT id, ${CASE_STATE_SQL} AS state, audit_head FROM cases WHERE id = ANY($1::text[])`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, { state: row.state, auditHead: row.audit_head }]));
}

/**
 * Writes case projections in one statement: queryable columns plus the whole state as JSON. The
 * columns are what other queries read of a case (migrations 5 and 8); the JSON is read back whole
 * by loadCases and findCase only, so its shape stays the engine's.
 *
 * A case gets its number here, once: the sequence is drawn only for rows that do not exist yet
 * (an update carries the number it has, and ON CONFLICT never changes it), so updates burn no
 * numbers. New cases of one call are numbered in the order they were opened. Two writers that
 * insert the same new case at once (the callers' per-finding locks prevent it; this holds without
 * them) both draw a number, and the one that loses the insert updates the winner's row: one
 * number burned, never two numbers for one case or one number for two (the sequence and the
 * unique constraint).
 */
export async function saveCases(
  tx: Sql,
  cases: (StoredCase & { nextDueAt: string | null })[],
): Promise<void> {
  if (cases.length === 0) return;
  await tx.query(
    `WITH incoming AS MATERIALIZED (
       SELECT x.*, CASE WHEN x.existing_number IS NULL THEN nextval('case_number_seq')
                        ELSE x.existing_number END AS number
         FROM (SELECT r.*, c.number AS existing_number
                 FROM jsonb_to_recordset($1::jsonb) AS r(id text, control_id text, severity text, title text,
                        account_id text, region text, resource_id text, owner_team text, counterpart_team text,
                        status text, sla_due_at timestamptz, next_due_at timestamptz, opened_at timestamptz,
                        updated_at timestamptz, version integer, audit_head text, state jsonb,
                        upgrade_deadline timestamptz, upgrade_date_agreed boolean, eks_version text,
                        exception_expires_at timestamptz, finding_id text, tracked boolean,
                        resource_type text, first_observed_at timestamptz, exception_id text,
                        exception_requested_by text, exception_decided_by text)
                 LEFT JOIN cases c ON c.id = r.id
                ORDER BY r.opened_at, r.id) AS x)
     INSERT INTO cases (id, control_id, severity, title, account_id, region, resource_id, owner_team,
       counterpart_team, status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head, state,
       upgrade_deadline, upgrade_date_agreed, eks_version, exception_expires_at, finding_id, tracked,
       resource_type, first_observed_at, exception_id, exception_requested_by, exception_decided_by, number)
     SELECT id, control_id, severity, title, account_id, region, resource_id, owner_team, counterpart_team,
            status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head, state,
            upgrade_deadline, upgrade_date_agreed, eks_version, exception_expires_at, finding_id, tracked,
            resource_type, first_observed_at, exception_id, exception_requested_by, exception_decided_by, number
       FROM incoming
     ON CONFLICT (id) DO UPDATE SET control_id = EXCLUDED.control_id, severity = EXCLUDED.severity,
       title = EXCLUDED.title, resource_id = EXCLUDED.resource_id, owner_team = EXCLUDED.owner_team,
       counterpart_team = EXCLUDED.counterpart_team, status = EXCLUDED.status, sla_due_at = EXCLUDED.sla_due_at,
       next_due_at = EXCLUDED.next_due_at, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
       audit_head = EXCLUDED.audit_head, state = EXCLUDED.state, upgrade_deadline = EXCLUDED.upgrade_deadline,
       upgrade_date_agreed = EXCLUDED.upgrade_date_agreed, eks_version = EXCLUDED.eks_version,
       exception_expires_at = EXCLUDED.exception_expires_at, finding_id = EXCLUDED.finding_id,
       tracked = EXCLUDED.tracked, resource_type = EXCLUDED.resource_type,
       first_observed_at = EXCLUDED.first_observed_at, exception_id = EXCLUDED.exception_id,
       exception_requested_by = EXCLUDED.exception_requested_by,
       exception_decided_by = EXCLUDED.exception_decided_by`,
    [
      JSON.stringify(
        cases.map(({ state, auditHead, nextDueAt }) => ({
          id: state.id,
          control_id: state.controlId,
          severity: state.severity,
          title: state.title,
          account_id: state.accountId,
          region: state.region,
          resource_id: state.resourceId,
          owner_team: state.owner,
          counterpart_team: state.counterpart,
          status: state.status,
          sla_due_at: state.slaDueAt,
          next_due_at: nextDueAt,
          opened_at: state.openedAt,
          updated_at: state.updatedAt,
          version: state.version,
          audit_head: auditHead,
          // The number lives in its column only (undefined is left out of the JSON).
          state: { ...state, number: undefined },
          upgrade_deadline: state.upgrade?.deadline ?? null,
          upgrade_date_agreed: state.upgrade ? state.upgrade.agreed !== null : null,
          eks_version: state.upgrade?.eksVersion ?? null,
          exception_expires_at: state.exception?.status === "approved" ? state.exception.expiresAt : null,
          finding_id: state.findingId,
          tracked: state.tracked,
          resource_type: state.resourceType,
          first_observed_at: state.firstObservedAt,
          exception_id: state.exception?.id ?? null,
          exception_requested_by: state.exception?.requester.user ?? null,
          exception_decided_by: state.exception?.decidedBy?.user ?? null,
        })),
      ),
    ],
  );
}

/**
 * The one reading of a case id a person gave: the finding id itself, `SHG-42` (the prefix in any
 * case) or `42`. An exact finding id wins over a number, so no finding is ever unreachable.
 * Returns the finding id (the case's key), or null when no case answers to `ref`.
 */
export async function resolveCaseId(db: Sql, ref: string): Promise<string | null> {
  const rows = await db.query<{ id: string }>(
    "SELECT id FROM cases WHERE id = $1 OR number = $2 ORDER BY id = $1 DESC LIMIT 1",
    [ref, parseCaseRef(ref)],
  );
  return rows[0]?.id ?? null;
}

/** The case `ref` names (any form resolveCaseId takes), with its number, or null. */
export async function findCase(db: Sql, ref: string): Promise<Case | null> {
  const rows = await db.query<{ state: Case }>(
    `SELECT ${CASE_STATE_SQL} AS state FROM cases WHERE id = $1 OR number = $2
      ORDER BY id = $1 DESC LIMIT 1`,
    [ref, parseCaseRef(ref)],
  );
  return rows[0]?.state ?? null;
}

/** When the sweep next looks at case `id` (a timer is due), or null when nothing is left to fire. */
export async function caseNextDueAt(db: Sql, id: string): Promise<string | null> {
  const rows = await db.query<{ next_due_at: unknown }>("SELECT next_due_at FROM cases WHERE id = $1", [id]);
  return isoOrNull(rows[0]?.next_due_at ?? null);
}

/**
 * A page of the cases due at `now`, in (next due time, id) order after `after`: read through the
 * partial index on next_due_at, so the cost follows the due cases, not all cases.
 */
export async function dueCases(
  db: Sql,
  now: Date,
  limit: number,
  after: { at: string; id: string } | null,
): Promise<{ id: string; at: string }[]> {
  const rows = await db.query<{ id: string; next_due_at: unknown }>(
    `SELECT id, next_due_at FROM cases
      WHERE next_due_at IS NOT NULL AND next_due_at <= $1
        AND ($3::timestamptz IS NULL OR (next_due_at, id) > ($3::timestamptz, $4::text))
      ORDER BY next_due_at, id LIMIT $2`,
    [now.toISOString(), limit, after?.at ?? null, after?.id ?? null],
  );
  return rows.map((row) => ({ id: row.id, at: iso(row.next_due_at) }));
}

/**
 * Serialises work on the same cases across transactions and processes. Locks are taken in the
 * order of the lock keys themselves (distinct hashes, sorted), so two transactions always lock in
 * the same order and cannot deadlock, even when two ids share a hash.
 */
export async function lockCases(tx: Sql, ids: string[]): Promise<void> {
  await tx.query(
    `SELECT pg_advisory_xact_lock(h)
       FROM (SELECT DISTINCT hashtext(id) AS h FROM unnest($1::text[]) AS id) AS keys ORDER BY h`,
    [ids],
  );
}

/** Cases not resolved, by SLA due, at most 2,000 (the App Home filters them per user). */
export async function openCases(db: Sql): Promise<Case[]> {
  const rows = await db.query<{ state: Case }>(
    `SELECT ${CASE_STATE_SQL} AS state FROM cases WHERE status <> 'resolved'
      ORDER BY sla_due_at ASC NULLS LAST, id ASC LIMIT 2000`,
  );
  return rows.map((row) => row.state);
}

export interface CaseFilter {
  owner?: string;
  status?: CaseStatus;
  limit?: number;
}

export interface CaseSummary {
  /** The case's id for people: SHG-42. */
  ref: string;
  /** The finding id, the case's key. */
  id: string;
  controlId: string | null;
  severity: string;
  title: string;
  accountId: string;
  region: string;
  owner: string;
  counterpart: string;
  status: string;
  slaDueAt: string | null;
  openedAt: string;
  updatedAt: string;
}

function summaryOf(row: Record<string, unknown>): CaseSummary {
  return {
    ref: formatCaseRef(Number(row.number)),
    id: String(row.id),
    controlId: (row.control_id as string | null) ?? null,
    severity: String(row.severity),
    title: String(row.title),
    accountId: String(row.account_id),
    region: String(row.region),
    owner: String(row.owner_team),
    counterpart: String(row.counterpart_team),
    status: String(row.status),
    slaDueAt: isoOrNull(row.sla_due_at),
    openedAt: iso(row.opened_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Cases by SLA due date (soonest first; untracked last). */
export async function listCases(db: Sql, filter: CaseFilter = {}): Promise<CaseSummary[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.owner) {
    params.push(filter.owner);
    where.push(`owner_team = $${params.length}`);
  }
  if (filter.status) {
    params.push(filter.status);
    where.push(`status = $${params.length}`);
  }
  params.push(filter.limit ?? 1000);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT number, id, control_id, severity, title, account_id, region, owner_team, counterpart_team, status,
            sla_due_at, opened_at, updated_at
       FROM cases ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY sla_due_at ASC NULLS LAST, id ASC
      LIMIT $${params.length}`,
    params,
  );
  return rows.map(summaryOf);
}

export interface AuditEventRow {
  seq: number;
  type: string;
  actor: string;
  at: string;
  reason: string | null;
  data: Record<string, unknown>;
  hash: string;
}

export interface CaseDetail {
  /** The case's id for people: SHG-42. */
  ref: string;
  case: Case;
  events: AuditEventRow[];
  /** What the bot did or will do outside: Security Hub calls and notifications. */
  outbox: { kind: string; status: string; createdAt: string; summary: string }[];
}

function summarize(effect: Effect): string {
  switch (effect.kind) {
    case "securityhub.update":
      return `set ${effect.workflowStatus}: ${effect.note}`;
    case "securityhub.find_suppressor":
      return "GetFindingHistory: who suppressed it";
    case "notify":
      return `${effect.teams.join(", ")}${effect.mentionLeads ? " (leads mentioned)" : ""}: ${effect.text}`;
  }
}

/** One case with its audit events and outbox rows; `ref` is any form resolveCaseId takes. */
export async function getCase(db: Sql, ref: string): Promise<CaseDetail | null> {
  const state = await findCase(db, ref);
  if (!state) return null;
  const id = state.id;
  const events = await db.query<Record<string, unknown>>(
    "SELECT seq, type, actor, at, reason, data, hash FROM audit_events WHERE case_id = $1 ORDER BY seq",
    [id],
  );
  const outbox = await listOutbox(db, { caseId: id });
  return {
    ref: formatCaseRef(state.number ?? 0),
    case: state,
    outbox: outbox.map((entry) => ({
      kind: entry.kind,
      status: entry.status,
      createdAt: entry.createdAt,
      summary: summarize(entry.payload),
    })),
    events: events.map((event) => ({
      seq: Number(event.seq),
      type: String(event.type),
      actor: String(event.actor),
      at: iso(event.at),
      reason: (event.reason as string | null) ?? null,
      data: event.data as Record<string, unknown>,
      hash: String(event.hash),
    })),
  };
}
