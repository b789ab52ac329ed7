import type { IncomingMessage } from "node:http";
import { CASE_STATUSES } from "../engine/case.js";
import { getCase, listCases } from "../store/cases.js";
import type { Database } from "../store/database.js";
import { keysMatch } from "./api-key.js";
import { sendError, sendJson } from "./respond.js";
import type { Route } from "./server.js";

/**
 * The read API the CLI uses when a service holds the embedded database (PGlite allows one
 * process per data directory). Bearer-token protected.
 */
export function adminRoutes(db: Database, adminToken: string): Route[] {
  const authorized = (request: IncomingMessage) => {
    const header = request.headers.authorization ?? "";
    return header.startsWith("Bearer ") && keysMatch(header.slice(7), adminToken);
  };
  return [
    {
      method: "GET",
      path: /^\/api\/cases$/,
      handler: async (request, response) => {
        if (!authorized(request))
          return sendError(response, 401, "unauthorized", "missing or invalid bearer token");
        const query = new URL(request.url ?? "/", "http://localhost").searchParams;
        const status = query.get("status");
        if (status && !(CASE_STATUSES as readonly string[]).includes(status)) {
          return sendError(
            response,
            400,
            "invalid_query",
            `status must be one of ${CASE_STATUSES.join(", ")}`,
            {
              field: "status",
            },
          );
        }
        const cases = await listCases(db, {
          ...(query.get("owner") ? { owner: query.get("owner") as string } : {}),
          ...(status ? { status: status as (typeof CASE_STATUSES)[number] } : {}),
        });
        sendJson(response, 200, { cases });
      },
    },
    {
      method: "GET",
      path: /^\/api\/cases\/(.+)$/,
      handler: async (request, response, [id]) => {
        if (!authorized(request))
          return sendError(response, 401, "unauthorized", "missing or invalid bearer token");
        const detail = await getCase(db, id ?? "");
        if (!detail) return sendError(response, 404, "not_found", `no case ${id}`);
        sendJson(response, 200, detail);
      },
    },
  ];
}
