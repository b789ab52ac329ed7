import type { Case, CaseStatus } from "../engine/case.js";
import type { Effect } from "../engine/effects.js";
import { iso, isoOrNull, type Sql } from "./database.js";
import { listOutbox } from "./outbox.js";

export interface StoredCase {
  state: Case;
  auditHead: string;
}

/** Loads cases for change; the caller holds the per-finding locks. */
export async function loadCases(tx: Sql, ids: string[]): Promise<Map<string, StoredCase>> {
  const rows = await tx.query<{ id: string; state: Case; audit_head: string }>(
    "SELECT id, state, audit_head FROM cases WHERE id = ANY($1::text[])",
    [ids],
  );
  return new Map(rows.map((row) => [row.id, { state: row.state, auditHead: row.audit_head }]));
}

/** Writes case projections in one statement: queryable columns plus the whole state as JSON. */
export async function saveCases(
  tx: Sql,
  cases: (StoredCase & { nextDueAt: string | null })[],
): Promise<void> {
  if (cases.length === 0) return;
  await tx.query(
    `INSERT INTO cases (id, control_id, severity, title, account_id, region, resource_id, owner_team,
       counterpart_team, status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head, state,
       upgrade_deadline, upgrade_date_agreed, eks_version, exception_expires_at)
     SELECT id, control_id, severity, title, account_id, region, resource_id, owner_team, counterpart_team,
            status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head, state,
            upgrade_deadline, upgrade_date_agreed, eks_version, exception_expires_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, control_id text, severity text, title text,
              account_id text, region text, resource_id text, owner_team text, counterpart_team text,
              status text, sla_due_at timestamptz, next_due_at timestamptz, opened_at timestamptz,
              updated_at timestamptz, version integer, audit_head text, state jsonb,
              upgrade_deadline timestamptz, upgrade_date_agreed boolean, eks_version text,
              exception_expires_at timestamptz)
     ON CONFLICT (id) DO UPDATE SET control_id = EXCLUDED.control_id, severity = EXCLUDED.severity,
       title = EXCLUDED.title, resource_id = EXCLUDED.resource_id, owner_team = EXCLUDED.owner_team,
       counterpart_team = EXCLUDED.counterpart_team, status = EXCLUDED.status, sla_due_at = EXCLUDED.sla_due_at,
       next_due_at = EXCLUDED.next_due_at, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
       audit_head = EXCLUDED.audit_head, state = EXCLUDED.state, upgrade_deadline = EXCLUDED.upgrade_deadline,
       upgrade_date_agreed = EXCLUDED.upgrade_date_agreed, eks_version = EXCLUDED.eks_version,
       exception_expires_at = EXCLUDED.exception_expires_at`,
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
          state,
          upgrade_deadline: state.upgrade?.deadline ?? null,
          upgrade_date_agreed: state.upgrade ? state.upgrade.agreed !== null : null,
          eks_version: state.upgrade?.eksVersion ?? null,
          exception_expires_at: state.exception?.status === "approved" ? state.exception.expiresAt : null,
        })),
      ),
    ],
  );
}

export interface CaseFilter {
  owner?: string;
  status?: CaseStatus;
  limit?: number;
}

export interface CaseSummary {
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
    `SELECT id, control_id, severity, title, account_id, region, owner_team, counterpart_team, status,
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

export async function getCase(db: Sql, id: string): Promise<CaseDetail | null> {
  const rows = await db.query<{ state: Case }>("SELECT state FROM cases WHERE id = $1", [id]);
  const row = rows[0];
  if (!row) return null;
  const events = await db.query<Record<string, unknown>>(
    "SELECT seq, type, actor, at, reason, data, hash FROM audit_events WHERE case_id = $1 ORDER BY seq",
    [id],
  );
  const outbox = await listOutbox(db, { caseId: id });
  return {
    case: row.state,
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
