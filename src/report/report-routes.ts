import type { IncomingMessage } from "node:http";
import type { Policy } from "../engine/policy.js";
import { bearerMatches } from "../http/api-key.js";
import { sendError, sendJson } from "../http/respond.js";
import type { Route } from "../http/server.js";
import type { Database } from "../store/database.js";
import { reportHtmlByToken } from "../store/report-runs.js";
import { buildReport } from "./build-report.js";
import { parseReportQuery, ReportQueryError } from "./report-request.js";

/** The policy's teams, and those a report lists: every team that owns cases by the routing. */
export function reportTeams(policy: Policy): { known: string[]; owners: string[] } {
  return {
    known: Object.keys(policy.teams).sort(),
    owners: [...new Set(policy.routing.map((rule) => rule.owner))].sort(),
  };
}

/**
 * GET /reports/<token>: a posted weekly report as one HTML page, for the links in Slack. The token
 * (128 random bits, one per period) is the credential, as for a shared document link; the page
 * loads nothing from elsewhere and the headers say so.
 * GET /api/report: the report as JSON for the CLI (admin bearer token), when the service holds the
 * embedded database.
 */
export function reportRoutes(
  db: Database,
  adminToken: string,
  deps: { policy: Policy; now: () => Date },
): Route[] {
  const authorized = (request: IncomingMessage) => bearerMatches(request, adminToken);
  return [
    {
      method: "GET",
      path: /^\/reports\/([0-9a-f]{32})$/,
      handler: async (_request, response, [token]) => {
        const html = await reportHtmlByToken(db, token ?? "");
        if (html === null) return sendError(response, 404, "not_found", "no report behind this link");
        response.writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "private, no-store",
          "content-security-policy":
            "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'",
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        });
        response.end(html);
      },
    },
    {
      method: "GET",
      path: /^\/api\/report$/,
      handler: async (request, response) => {
        if (!authorized(request))
          return sendError(response, 401, "unauthorized", "missing or invalid bearer token");
        const query = new URL(request.url ?? "/", "http://localhost").searchParams;
        let reportRequest: ReturnType<typeof parseReportQuery>;
        try {
          reportRequest = parseReportQuery(
            {
              ...(query.get("since") !== null ? { since: query.get("since") as string } : {}),
              ...(query.get("until") !== null ? { until: query.get("until") as string } : {}),
              ...(query.get("team") !== null ? { team: query.get("team") as string } : {}),
            },
            deps.now(),
            reportTeams(deps.policy),
          );
        } catch (error) {
          if (!(error instanceof ReportQueryError)) throw error;
          return sendError(response, 400, "invalid_query", error.message, { field: error.field });
        }
        sendJson(response, 200, await buildReport(db, reportRequest));
      },
    },
  ];
}
