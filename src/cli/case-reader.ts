import type { Env } from "../config/env.js";
import type { CaseStatus } from "../engine/case.js";
import { ShgovError } from "../errors.js";
import { buildReport, type ReportRequest } from "../report/build-report.js";
import type { Report } from "../report/model.js";
import { type CaseDetail, type CaseSummary, getCase, listCases } from "../store/cases.js";
import { DataDirBusyError, readDataDirOwner } from "../store/data-dir-lock.js";
import { openStore } from "../store/open.js";

export interface CaseReader {
  /** Where the data comes from, for messages: "postgres", "pglite" or "service on port N". */
  source: string;
  list(filter: { owner?: string; status?: CaseStatus }): Promise<CaseSummary[]>;
  show(id: string): Promise<CaseDetail | null>;
  report(request: ReportRequest): Promise<Report>;
  close(): Promise<void>;
}

/** The running service answered the CLI with an error. */
export class ServiceAnswerError extends ShgovError {
  override name = "ServiceAnswerError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("service.answered_error", message, options);
  }
}

/**
 * Reads cases, and the report built from them, wherever they are. PostgreSQL is read directly. Embedded PGlite admits one process
 * per data directory, so when a service holds it the CLI asks that service over its admin API,
 * and opens the directory itself only when nothing else does.
 */
export async function openCaseReader(env: Env): Promise<CaseReader> {
  const service = await runningService(env);
  if (service) return serviceReader(service.port, service.adminToken);
  const db = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, existingOnly: true });
  return {
    source: db.kind,
    list: (filter) => listCases(db, filter),
    show: (id) => getCase(db, id),
    report: (request) => buildReport(db, request),
    close: () => db.close(),
  };
}

/**
 * The service to ask instead of opening the store: with PGlite, the `shgov serve` that holds the
 * data directory. Null when the CLI may open the store itself (PostgreSQL, or nobody holds it);
 * a directory held by another command is DataDirBusyError.
 */
export async function runningService(env: Env): Promise<{ port: number; adminToken: string } | null> {
  if (env.DATABASE_URL) return null;
  const owner = await readDataDirOwner(env.DATA_DIR);
  if (owner?.port && owner.adminToken) return { port: owner.port, adminToken: owner.adminToken };
  if (owner) {
    throw new DataDirBusyError(
      `${env.DATA_DIR} is in use by process ${owner.pid}; try again when it has finished`,
    );
  }
  return null;
}

function serviceReader(port: number, token: string): CaseReader {
  const base = `http://127.0.0.1:${port}`;
  const get = async (path: string): Promise<Response> => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200 && response.status !== 404) {
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      throw new ServiceAnswerError(
        `the running service answered ${response.status}: ${body.message ?? response.statusText}`,
      );
    }
    return response;
  };
  return {
    source: `service on port ${port}`,
    async list(filter) {
      const query = new URLSearchParams();
      if (filter.owner) query.set("owner", filter.owner);
      if (filter.status) query.set("status", filter.status);
      const body = (await (await get(`/api/cases?${query}`)).json()) as { cases: CaseSummary[] };
      return body.cases;
    },
    async show(id) {
      const response = await get(`/api/cases/${encodeURIComponent(id)}`);
      return response.status === 404 ? null : ((await response.json()) as CaseDetail);
    },
    async report(request) {
      const query = new URLSearchParams({
        since: request.since.toISOString(),
        until: request.until.toISOString(),
      });
      if (request.team) query.set("team", request.team);
      return (await (await get(`/api/report?${query}`)).json()) as Report;
    },
    async close() {},
  };
}
