import type { Database } from "./database.js";

/** The figures read from the database in one refresh. */
export interface DbSnapshot {
  cases: { status: string; severity: string; count: number }[];
  breaches: number;
  escalations: { level: string; count: number }[];
  outbox: { kind: string; status: string; rows: number; retries: number }[];
  /** Null while the report_runs table does not exist. */
  reportRuns: { status: string; count: number }[] | null;
}

/** Every query runs in one read-only transaction under this statement timeout. */
export async function readMetricsSnapshot(db: Database, statementTimeoutMs: number): Promise<DbSnapshot> {
  return db.transaction(async (tx) => {
    await tx.query("SET TRANSACTION READ ONLY");
    await tx.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(statementTimeoutMs))}`);
    const cases = await tx.query<{ status: string; severity: string; n: string }>(
      "SELECT status, severity, count(*) AS n FROM cases GROUP BY status, severity",
    );
    // Both types come from the (type, at) index; the level needs the row.
    const audit = await tx.query<{ type: string; level: string | null; n: string }>(
      `SELECT type, CASE WHEN type = 'escalated' THEN data->>'level' END AS level, count(*) AS n
         FROM audit_events WHERE type IN ('sla.breached', 'escalated') GROUP BY 1, 2`,
    );
    const outbox = await tx.query<{ kind: string; status: string; n: string; retries: string }>(
      `SELECT kind, status, count(*) AS n, COALESCE(sum(GREATEST(attempts - 1, 0)), 0) AS retries
         FROM outbox GROUP BY kind, status`,
    );
    const [present] = await tx.query<{ present: boolean }>(
      "SELECT to_regclass('report_runs') IS NOT NULL AS present",
    );
    const reportRuns = present?.present
      ? await tx.query<{ status: string; n: string }>(
          "SELECT status, count(*) AS n FROM report_runs GROUP BY status",
        )
      : null;
    return {
      cases: cases.map((row) => ({ status: row.status, severity: row.severity, count: Number(row.n) })),
      breaches: audit
        .filter((row) => row.type === "sla.breached")
        .reduce((total, row) => total + Number(row.n), 0),
      escalations: audit
        .filter((row) => row.type === "escalated")
        .map((row) => ({ level: row.level ?? "unknown", count: Number(row.n) })),
      outbox: outbox.map((row) => ({
        kind: row.kind,
        status: row.status,
        rows: Number(row.n),
        retries: Number(row.retries),
      })),
      reportRuns: reportRuns?.map((row) => ({ status: row.status, count: Number(row.n) })) ?? null,
    };
  });
}
