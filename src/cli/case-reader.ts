import type { Env } from "../config/env.js";
import type { CaseStatus } from "../engine/case.js";
import { type CaseDetail, type CaseSummary, getCase, listCases } from "../store/cases.js";
import { readDataDirOwner } from "../store/data-dir-lock.js";
import { openStore } from "../store/open.js";

export interface CaseReader {
  /** Where the data comes from, for messages: "postgres", "pglite" or "service on port N". */
  source: string;
  list(filter: { owner?: string; status?: CaseStatus }): Promise<CaseSummary[]>;
  show(id: string): Promise<CaseDetail | null>;
  close(): Promise<void>;
}

/**
 * Reads cases wherever they are. PostgreSQL is read directly. Embedded PGlite admits one process
 * per data directory, so when a service holds it the CLI asks that service over its admin API,
 * and opens the directory itself only when nothing else does.
 */
export async function openCaseReader(env: Env): Promise<CaseReader> {
  if (!env.DATABASE_URL) {
    const owner = await readDataDirOwner(env.DATA_DIR);
    if (owner?.port && owner.adminToken) return serviceReader(owner.port, owner.adminToken);
    if (owner) {
      throw new Error(`${env.DATA_DIR} is in use by process ${owner.pid}; try again when it has finished`);
    }
  }
  const db = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
  return {
    source: db.kind,
    list: (filter) => listCases(db, filter),
    show: (id) => getCase(db, id),
    close: () => db.close(),
  };
}

function serviceReader(port: number, token: string): CaseReader {
  const base = `http://127.0.0.1:${port}`;
  const get = async (path: string): Promise<Response> => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200 && response.status !== 404) {
      throw new Error(`the running service answered ${response.status}: ${await response.text()}`);
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
    async close() {},
  };
}
