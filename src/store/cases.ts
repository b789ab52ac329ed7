import type { Case, CaseStatus } from "../engine/case.js";
import { iso, isoOrNull, type Sql } from "./database.js";

export interface StoredCase {
  state: Case;
  auditHead: string;
}

/** Loads a case for change; the caller holds the per-finding lock. */
export async function loadCase(tx: Sql, id: string): Promise<StoredCase | null> {
  const rows = await tx.query<{ state: Case; audit_head: string }>(
    "SELECT state, audit_head FROM cases WHERE id = $1",
    [id],
  );
  const row = rows[0];
  return row ? { state: row.state, auditHead: row.audit_head } : null;
}

/** Writes the case projection: queryable columns plus the whole state as JSON. */
export async function saveCase(tx: Sql, state: Case, auditHead: string): Promise<void> {
  await tx.query(
    `INSERT INTO cases (id, control_id, severity, title, account_id, region, resource_id, owner_team,
       counterpart_team, status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb)
     ON CONFLICT (id) DO UPDATE SET control_id = EXCLUDED.control_id, severity = EXCLUDED.severity,
       title = EXCLUDED.title, resource_id = EXCLUDED.resource_id, owner_team = EXCLUDED.owner_team,
       counterpart_team = EXCLUDED.counterpart_team, status = EXCLUDED.status, sla_due_at = EXCLUDED.sla_due_at,
       next_due_at = EXCLUDED.next_due_at, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
       audit_head = EXCLUDED.audit_head, state = EXCLUDED.state`,
    [
      state.id,
      state.controlId,
      state.severity,
      state.title,
      state.accountId,
      state.region,
      state.resourceId,
      state.owner,
      state.counterpart,
      state.status,
      state.slaDueAt,
      null,
      state.openedAt,
      state.updatedAt,
      state.version,
      auditHead,
      JSON.stringify(state),
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
}

export async function getCase(db: Sql, id: string): Promise<CaseDetail | null> {
  const rows = await db.query<{ state: Case }>("SELECT state FROM cases WHERE id = $1", [id]);
  const row = rows[0];
  if (!row) return null;
  const events = await db.query<Record<string, unknown>>(
    "SELECT seq, type, actor, at, reason, data, hash FROM audit_events WHERE case_id = $1 ORDER BY seq",
    [id],
  );
  return {
    case: row.state,
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
