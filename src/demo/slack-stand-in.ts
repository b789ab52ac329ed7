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

/** A file shared with files.uploadV2 (URL asked, bytes posted, upload completed into a channel). */
export interface StandInFile {
  id: string;
  filename: string;
  bytes: number;
  channel: string | null;
  threadTs: string | null;
}

export interface SlackStandIn {
  /** The Web API base, ending with /api/ (SLACK_API_URL). */
  url: string;
  messages: StandInMessage[];
  ephemerals: { channel: string; user: string; text: string }[];
  /** The modals opened, oldest first. */
  views: Record<string, unknown>[];
  files: StandInFile[];
  close(): Promise<void>;
}

const BOT = { user_id: "U0BOT", bot_id: "B0BOT", team_id: "T0DEMO", team: "Demo", user: "governor" };

export async function startSlackStandIn(usergroups: Record<string, string[]>): Promise<SlackStandIn> {
  const messages: StandInMessage[] = [];
  const ephemerals: SlackStandIn["ephemerals"] = [];
  const views: Record<string, unknown>[] = [];
  const files: StandInFile[] = [];
  let base = "";
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
      case "files.getUploadURLExternal": {
        const id = `F${files.length + 1}`;
        files.push({ id, filename: String(params.filename ?? ""), bytes: 0, channel: null, threadTs: null });
        return { ok: true, upload_url: `${base}upload/${id}`, file_id: id };
      }
      case "files.completeUploadExternal": {
        const listed = (json(params.files) as { id: string }[] | null) ?? [];
        for (const { id } of listed) {
          const file = files.find((f) => f.id === id);
          if (!file) continue;
          file.channel = String(params.channel_id ?? "");
          file.threadTs = params.thread_ts ? String(params.thread_ts) : null;
        }
        return { ok: true, files: listed.map(({ id }) => ({ id })) };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  const server = createServer((req, res) => {
    const upload = /^\/api\/upload\/(F\d+)$/.exec(req.url ?? "")?.[1];
    if (upload) {
      void raw(req).then((bytes) => {
        const file = files.find((f) => f.id === upload);
        if (file) file.bytes = bytes.length;
        res.writeHead(file ? 200 : 404).end();
      });
      return;
    }
    void body(req).then((text) => {
      const method = /^\/api\/([A-Za-z0-9_.]+)/.exec(req.url ?? "")?.[1] ?? "";
      const params = parse(String(req.headers["content-type"] ?? ""), text);
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(answer(method, params)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}/api/`;
  return {
    url: base,
    messages,
    ephemerals,
    views,
    files,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function raw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function body(req: IncomingMessage): Promise<string> {
  return (await raw(req)).toString("utf8");
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
