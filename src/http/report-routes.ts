import type { Database } from "../store/database.js";
import { reportHtmlByToken } from "../store/report-runs.js";
import { sendError } from "./respond.js";
import type { Route } from "./server.js";

/**
 * GET /reports/<token>: a posted weekly report as one HTML page, for the links in Slack. The token
 * (128 random bits, one per period) is the credential, as for a shared document link; the page
 * loads nothing from elsewhere and the headers say so.
 */
export function reportRoutes(db: Database): Route[] {
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
  ];
}
