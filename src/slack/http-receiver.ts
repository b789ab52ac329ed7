import type { IncomingMessage, ServerResponse } from "node:http";
import { App, isValidSlackRequest, type Receiver } from "@slack/bolt";
import { readBody } from "../http/body.js";
import { sendError } from "../http/respond.js";
import type { Route } from "../http/server.js";
import { boltAppOptions } from "./bolt-options.js";
import { registerSlackListeners, type SlackListenerOptions } from "./listeners.js";
import type { TeamMembership } from "./membership.js";

export interface SlackRoutesOptions extends SlackListenerOptions {
  signingSecret: string;
  /** How long to wait for a listener's ack before answering 200 anyway (Slack gives up at 3 s). */
  ackTimeoutMs?: number;
}

export interface SlackRoutes {
  routes: Route[];
  app: App;
  membership: TeamMembership;
}

const MAX_SKEW_SECONDS = 5 * 60;

/** The receiver is the service's HTTP route below: Bolt only gets events through processEvent. */
const routeReceiver: Receiver = {
  init: () => {},
  start: async () => undefined,
  stop: async () => undefined,
};

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Slack signs "v0:{timestamp}:{body}" with the signing secret; stale or forged requests are refused. */
export function verifySlackSignature(
  signingSecret: string,
  body: string,
  timestamp: string | undefined,
  signature: string | undefined,
  nowMs: number,
): boolean {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  if (Math.abs(Math.floor(nowMs / 1000) - ts) > MAX_SKEW_SECONDS) return false;
  return isValidSlackRequest({
    signingSecret,
    body,
    headers: { "x-slack-signature": signature, "x-slack-request-timestamp": ts },
    nowMilliseconds: nowMs,
  });
}

/** Interactions come as form-encoded `payload=<json>`, slash commands as form fields, events as JSON. */
function parseSlackBody(text: string, contentType: string | undefined): Record<string, unknown> | null {
  try {
    if (contentType?.includes("application/json")) return JSON.parse(text) as Record<string, unknown>;
    const form = new URLSearchParams(text);
    const payload = form.get("payload");
    if (payload !== null) return JSON.parse(payload) as Record<string, unknown>;
    return Object.fromEntries(form.entries());
  } catch {
    return null;
  }
}

function writeAck(response: ServerResponse, body: unknown): void {
  if (body === undefined || body === null || body === "") {
    response.writeHead(200).end();
  } else if (typeof body === "string") {
    response.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(body);
  } else {
    const text = JSON.stringify(body);
    response
      .writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(text),
      })
      .end(text);
  }
}

/**
 * The Slack side of the service over HTTP: a Bolt app fed by the service's HTTP server (`POST
 * /slack/events`, signature checked here). The listeners are the same as over Socket Mode.
 */
export function createSlackRoutes(options: SlackRoutesOptions): SlackRoutes {
  const { signingSecret, logger } = options;
  const wallClock = options.wallClock ?? Date.now;
  const ackTimeoutMs = options.ackTimeoutMs ?? 2_500;
  const log = logger.child({ component: "slack" });
  const app = new App({ receiver: routeReceiver, ...boltAppOptions(options, log) });
  const membership = registerSlackListeners(app, options);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    if (raw.oversized) return sendError(response, 413, "payload_too_large", "the request body is too large");
    const valid = verifySlackSignature(
      signingSecret,
      raw.text,
      header(request, "x-slack-request-timestamp"),
      header(request, "x-slack-signature"),
      wallClock(),
    );
    if (!valid) {
      log.warn({ ip: request.socket.remoteAddress }, "slack request with a bad or stale signature");
      return sendError(response, 401, "unauthorized", "invalid Slack signature");
    }
    const body = parseSlackBody(raw.text, header(request, "content-type"));
    if (!body) return sendError(response, 400, "bad_request", "unreadable Slack payload");
    if (body.ssl_check) return writeAck(response, undefined);
    if (body.type === "url_verification") return writeAck(response, { challenge: body.challenge });

    let settle: (value: unknown) => void = () => {};
    const acked = new Promise<unknown>((resolve) => {
      settle = resolve;
    });
    let ackCalled = false;
    const retryNum = Number(header(request, "x-slack-retry-num"));
    const retryReason = header(request, "x-slack-retry-reason");
    const processing = app
      .processEvent({
        body,
        ack: async (reply?: unknown) => {
          if (ackCalled) return;
          ackCalled = true;
          settle(reply);
        },
        ...(Number.isFinite(retryNum) ? { retryNum } : {}),
        ...(retryReason ? { retryReason } : {}),
      })
      .catch((error: unknown) => log.error({ err: error }, "slack event processing failed"));
    let timer: NodeJS.Timeout | undefined;
    const reply = await Promise.race([
      acked,
      processing.then(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          if (!ackCalled) log.warn({ type: body.type }, "slack listener did not ack in time");
          resolve(undefined);
        }, ackTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    writeAck(response, reply);
  }

  return {
    routes: [{ method: "POST", path: /^\/slack\/events$/, handler: handle }],
    app,
    membership,
  };
}
