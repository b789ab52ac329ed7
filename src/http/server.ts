import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { sendError } from "./respond.js";

export type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  params: string[],
) => Promise<void> | void;

export interface Route {
  method: string;
  /** Matched against the path without the query string; capture groups become params. */
  path: RegExp;
  handler: Handler;
}

/** One HTTP server for every route of the service; unknown paths get 404, wrong methods 405. */
export function createHttpServer(routes: Route[], logger: Logger): Server {
  const server = createServer(async (request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const matching = routes.filter((route) => route.path.test(path));
    const route = matching.find((candidate) => candidate.method === request.method);
    if (!route) {
      if (matching.length > 0) {
        return sendError(
          response,
          405,
          "method_not_allowed",
          `${request.method} is not allowed on ${path}`,
          {},
          {
            allow: matching.map((r) => r.method).join(", "),
          },
        );
      }
      return sendError(response, 404, "not_found", `no route for ${request.method} ${path}`);
    }
    let params: string[];
    try {
      params = (route.path.exec(path)?.slice(1) ?? []).map((p) => decodeURIComponent(p ?? ""));
    } catch {
      return sendError(response, 400, "bad_request", `malformed path ${path}`);
    }
    try {
      await route.handler(request, response, params);
    } catch (error) {
      logger.error({ err: error, path, method: request.method }, "request failed");
      if (!response.headersSent) sendError(response, 500, "internal_error", "internal error");
      else response.destroy();
    }
  });
  // EventBridge API destinations time out after 5 s; keep connections reusable between calls.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}
