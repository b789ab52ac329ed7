import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The demo's stand-in for Slack's Web API: `POST /api/<method>` answered `{ ok: true, ... }` as
 * @slack/web-api expects, so that the service runs its real Slack code with no Slack. It records
 * what the bot posts, the ephemeral replies and the modals it opens, for the demo to print and to
 * submit. No rate limits, no failures: this is not a test double (see test/support/fake-slack.ts).
 */

export interface StandInMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
}

export interface SlackStandIn {
  /** The Web API base, ending with /api/ (SLACK_API_URL). */
  url: string;
  messages: StandInMessage[];
  ephemerals: { channel: string; user: string; text: string }[];
  /** The modals opened, oldest first. */
  views: Record<string, unknown>[];
  close(): Promise<void>;
}

const BOT = { user_id: "U0BOT", bot_id: "B0BOT", team_id: "T0DEMO", team: "Demo", user: "governor" };

export async function startSlackStandIn(usergroups: Record<string, string[]>): Promise<SlackStandIn> {
  const messages: StandInMessage[] = [];
  const ephemerals: SlackStandIn["ephemerals"] = [];
  const views: Record<string, unknown>[] = [];
  let seq = 0;
  const nextTs = () => {
    seq += 1;
    return `1700000000.${String(seq).padStart(6, "0")}`;
  };

  function answer(method: string, params: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case "auth.test":
        return { ok: true, url: "https://demo.slack.invalid/", ...BOT };
      case "chat.postMessage": {
        const channel = String(params.channel ?? "");
        const message = {
          channel,
          ts: nextTs(),
          text: String(params.text ?? ""),
          blocks: (json(params.blocks) as unknown[] | null) ?? [],
        };
        messages.push(message);
        return { ok: true, channel, ts: message.ts, message: { type: "message", text: message.text } };
      }
      case "chat.update": {
        const message = messages.find((m) => m.channel === params.channel && m.ts === params.ts);
        if (message) {
          if (params.text !== undefined) message.text = String(params.text);
          if (params.blocks !== undefined) message.blocks = (json(params.blocks) as unknown[] | null) ?? [];
        }
        return { ok: true, channel: params.channel, ts: params.ts };
      }
      case "chat.postEphemeral":
        ephemerals.push({
          channel: String(params.channel ?? ""),
          user: String(params.user ?? ""),
          text: String(params.text ?? ""),
        });
        return { ok: true, message_ts: nextTs() };
      case "views.open": {
        const view = (json(params.view) as Record<string, unknown> | null) ?? {};
        views.push(view);
        return { ok: true, view: { id: `V${views.length}`, ...view } };
      }
      case "views.publish":
        return { ok: true, view: { id: "V0HOME" } };
      case "usergroups.users.list":
        return { ok: true, users: usergroups[String(params.usergroup ?? "")] ?? [] };
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  const server = createServer((req, res) => {
    void body(req).then((text) => {
      const method = /^\/api\/([A-Za-z0-9_.]+)/.exec(req.url ?? "")?.[1] ?? "";
      const params = parse(String(req.headers["content-type"] ?? ""), text);
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(answer(method, params)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    messages,
    ephemerals,
    views,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parse(contentType: string, text: string): Record<string, unknown> {
  if (!text) return {};
  if (contentType.includes("application/json")) {
    const parsed = json(text);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** Form bodies carry nested values JSON-encoded. */
function json(value: unknown): unknown {
  if (typeof value !== "string") return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}
