import type { IncomingMessage } from "node:http";
import { CASE_STATUSES } from "../engine/case.js";
import type { HumanInput } from "../engine/inputs.js";
import { buildReport, type ReportRequest } from "../report/build-report.js";
import { parseReportQuery, ReportQueryError, reportTeams } from "../report/report-request.js";
import { actOnCase, type CaseActionsDeps, requestFor } from "../shell/act-on-case.js";
import { parseCaseAction } from "../shell/case-actions.js";
import { verifyAudit } from "../store/audit-verify.js";
import { getCase, listCases } from "../store/cases.js";
import type { Database } from "../store/database.js";
import { bearerMatches } from "./api-key.js";
import { readBody } from "./body.js";
import { sendError, sendJson } from "./respond.js";
import type { Route } from "./server.js";

/**
 * The read API the CLI uses when a service holds the embedded database (PGlite allows one
 * process per data directory): cases, actions, audit verification and the report.
 * Bearer-token protected.
 */
export function adminRoutes(
  db: Database,
  adminToken: string,
  actions: Pick<CaseActionsDeps, "policy" | "membership" | "now">,
): Route[] {
  const authorized = (request: IncomingMessage) => bearerMatches(request, adminToken);
  return [
    {
      // A person's action on a case (claim, exception, upgrade date): 200 with what was decided,
      // 409 when the rules refuse it, 400 when the action itself is malformed.
      method: "POST",
      path: /^\/api\/cases\/(.+)\/actions$/,
      handler: async (request, response, [id]) => {
        if (!authorized(request))
          return sendError(response, 401, "unauthorized", "missing or invalid bearer token");
        const body = await readBody(request, 64 * 1024);
        if (body.oversized) return sendError(response, 413, "too_large", "an action is at most 64 KiB");
        let input: HumanInput;
        try {
          input = parseCaseAction(JSON.parse(body.text));
        } catch (error) {
          return sendError(response, 400, "invalid_action", (error as Error).message);
        }
        const outcome = await actOnCase({ db, ...actions }, requestFor(id ?? "", input));
        if (!outcome.ok && outcome.refusal.code === "case.missing")
          return sendError(response, 404, "not_found", `no case ${id}`);
        if (!outcome.ok) {
          const { code, field, message } = outcome.refusal;
          return sendError(response, 409, "refused", message, { code, ...(field ? { field } : {}) });
        }
        sendJson(response, 200, { events: outcome.events, effects: outcome.effects, case: outcome.case });
      },
    },
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
    {
      // The governance report as JSON (since, until, team as `shgov report` takes them).
      method: "GET",
      path: /^\/api\/report$/,
      handler: async (request, response) => {
        if (!authorized(request))
          return sendError(response, 401, "unauthorized", "missing or invalid bearer token");
        const query = new URL(request.url ?? "/", "http://localhost").searchParams;
        let reportRequest: ReportRequest;
        try {
          reportRequest = parseReportQuery(
            {
              ...(query.get("since") !== null ? { since: query.get("since") as string } : {}),
              ...(query.get("until") !== null ? { until: query.get("until") as string } : {}),
              ...(query.get("team") !== null ? { team: query.get("team") as string } : {}),
            },
            actions.now(),
            reportTeams(actions.policy),
          );
        } catch (error) {
          if (!(error instanceof ReportQueryError)) throw error;
          return sendError(response, 400, "invalid_query", error.message, { field: error.field });
        }
        sendJson(response, 200, await buildReport(db, reportRequest));
      },
    },
    {
      method: "GET",
      path: /^\/api\/audit\/verify$/,
      handler: async (request, response) => {
        if (!authorized(request))
          return sendError(response, 401, "unauthorized", "missing or invalid bearer token");
        const caseId = new URL(request.url ?? "/", "http://localhost").searchParams.get("case");
        sendJson(response, 200, await verifyAudit(db, caseId ? { caseId } : {}));
      },
    },
  ];
}
