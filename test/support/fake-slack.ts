import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A Slack Web API of our own over HTTP, speaking its wire format as @slack/web-api expects it:
 * `POST /api/<method>` with a form-urlencoded body (nested values JSON-encoded) or a JSON body, the
 * token as `Authorization: Bearer` (or a `token` field), and JSON answers `{ ok: true, ... }` or
 * `{ ok: false, error }` with HTTP 200. Rate limits answer HTTP 429 with `Retry-After` in seconds.
 *
 * chat.postMessage is limited per channel like Slack's (about one message per second, short bursts
 * allowed): a token bucket of `burst` tokens refilled one per `perChannelIntervalMs`.
 */

export interface FakeSlackOptions {
  /** Refill interval of each channel's bucket; 1000 (Slack's ~1 message/s per channel) by default. */
  perChannelIntervalMs?: number;
  /** Bucket size; 3 by default. */
  burst?: number;
  /** When set, only this bearer token is accepted; otherwise any non-empty token. */
  token?: string;
  /** The bot token's scopes, sent in the x-oauth-scopes header as Slack does; unset sends none. */
  scopes?: string[];
  /** The channels the bot is a member of; history elsewhere answers not_in_channel. Unset: all. */
  memberOf?: string[];
}

/** Why the fake answered as it did: "ok", a Slack error, or which kind of HTTP failure. */
export type FakeOutcome = "ok" | "error" | "injected_429" | "rate_limit_429" | "injected_http";

export interface FakeSlackRequest {
  method: string;
  params: Record<string, unknown>;
  token: string | null;
  contentType: string;
  status: number;
  outcome: FakeOutcome;
  /** The JSON answered (or the HTTP body). */
  response: unknown;
  at: number;
}

/** A file uploaded the files.uploadV2 way: URL asked, bytes posted to it, upload completed into a channel. */
export interface FakeSlackFile {
  id: string;
  filename: string;
  length: number;
  altText: string | null;
  bytes: Buffer | null;
  title: string | null;
  channel: string | null;
  threadTs: string | null;
  initialComment: string | null;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[] | null;
  threadTs: string | null;
  edits: number;
  /** The message's metadata (chat.postMessage `metadata`), answered by conversations.history with include_all_metadata. */
  metadata: { event_type: string; event_payload: Record<string, unknown> } | null;
}

/**
 * Failure injection. `calls` counts the calls (of `method`, or of any method) that get the failure;
 * a platform error without `calls` lasts until `clearFailures()`.
 */
export type FakeSlackFailure =
  | { type: "rate_limited"; calls: number; retryAfterSeconds: number; method?: string }
  | { type: "http"; calls: number; status: number; method?: string }
  | { type: "platform_error"; error: string; channel?: string; method?: string; calls?: number };

export interface FakeSlack {
  /** The Web API base, ending with /api/ (SLACK_API_URL, WebClient's slackApiUrl). */
  url: string;
  requests: FakeSlackRequest[];
  calls(method: string): FakeSlackRequest[];
  /** Messages stored per channel, in posting order. */
  messages(channel?: string): FakeSlackMessage[];
  ephemerals: { channel: string; user: string; text: string }[];
  views: { kind: "open" | "publish"; view: unknown; triggerId?: string; userId?: string }[];
  /** Files completed into a channel (files.completeUploadExternal), in order. */
  files(channel?: string): FakeSlackFile[];
  fail(plan: FakeSlackFailure): void;
  clearFailures(): void;
  setUsergroup(id: string, users: string[]): void;
  /** The 429s sent by the per-channel limit itself (not injected). */
  rateLimited(): number;
  /** Forgets the calls and messages (failures and user groups stay). */
  reset(): void;
  close(): Promise<void>;
}

const BOT = { user_id: "U0BOT", bot_id: "B0BOT", team_id: "T0FAKE", team: "Fake", user: "governor" };

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const interval = options.perChannelIntervalMs ?? 1_000;
  const burst = options.burst ?? 3;
  const requests: FakeSlackRequest[] = [];
  const messages: FakeSlackMessage[] = [];
  const ephemerals: FakeSlack["ephemerals"] = [];
  const views: FakeSlack["views"] = [];
  const usergroups = new Map<string, string[]>();
  const uploads = new Map<string, FakeSlackFile>();
  let baseUrl = "";
  const buckets = new Map<string, { tokens: number; at: number }>();
  let failures: (FakeSlackFailure & { left: number })[] = [];
  let clock = 0;

  /** Slack's ts: seconds.microseconds, unique and increasing. */
  function nextTs(): string {
    const now = Date.now() * 1_000;
    clock = Math.max(clock + 1, now);
    return `${Math.floor(clock / 1_000_000)}.${String(clock % 1_000_000).padStart(6, "0")}`;
  }

  /** Takes a token of the channel's bucket, or answers how many seconds until one is back. */
  function take(channel: string): number | null {
    const now = performance.now();
    const bucket = buckets.get(channel) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) / interval);
    bucket.at = now;
    buckets.set(channel, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * interval) / 1_000));
  }

  function injected(method: string, params: Record<string, unknown>) {
    for (const failure of failures) {
      if (failure.method && failure.method !== method) continue;
      if (failure.type === "platform_error" && failure.channel && failure.channel !== params.channel)
        continue;
      if (failure.left <= 0) continue;
      failure.left -= 1;
      return failure;
    }
    return null;
  }

  function handle(method: string, params: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case "api.test":
        return { ok: true, args: params };
      case "auth.test":
        return { ok: true, url: "https://fake.slack.com/", ...BOT };
      case "chat.postMessage": {
        const channel = String(params.channel ?? "");
        if (!channel) return { ok: false, error: "channel_not_found" };
        const text = params.text === undefined ? "" : String(params.text);
        const blocks = parseJson(params.blocks) as unknown[] | null;
        if (!text && !blocks) return { ok: false, error: "no_text" };
        const message: FakeSlackMessage = {
          channel,
          ts: nextTs(),
          text,
          blocks: blocks ?? null,
          threadTs: params.thread_ts ? String(params.thread_ts) : null,
          edits: 0,
          metadata: parseJson(params.metadata) as FakeSlackMessage["metadata"],
        };
        messages.push(message);
        return {
          ok: true,
          channel,
          ts: message.ts,
          message: { type: "message", text, ts: message.ts, ...BOT },
        };
      }
      case "conversations.history": {
        // Newest first, from `oldest` (exclusive) to `latest` (inclusive), a page of `limit` at a
        // time; the cursor is the offset here (opaque to the client, as Slack's is).
        const channel = String(params.channel ?? "");
        if (!channel) return { ok: false, error: "channel_not_found" };
        if (options.memberOf && !options.memberOf.includes(channel))
          return { ok: false, error: "not_in_channel" };
        const oldest = Number(params.oldest ?? 0);
        const latest = params.latest === undefined ? Number.POSITIVE_INFINITY : Number(params.latest);
        const limit = Math.min(999, Number(params.limit ?? 100) || 100);
        const offset = params.cursor ? Number(Buffer.from(String(params.cursor), "base64").toString()) : 0;
        const withMetadata = params.include_all_metadata === true || params.include_all_metadata === "true";
        const matching = messages
          .filter((m) => m.channel === channel && Number(m.ts) > oldest && Number(m.ts) <= latest)
          .reverse();
        const page = matching.slice(offset, offset + limit);
        const more = offset + limit < matching.length;
        return {
          ok: true,
          messages: page.map((m) => ({
            type: "message",
            ts: m.ts,
            text: m.text,
            ...BOT,
            ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
          })),
          has_more: more,
          ...(more
            ? { response_metadata: { next_cursor: Buffer.from(String(offset + limit)).toString("base64") } }
            : {}),
        };
      }
      case "chat.update": {
        const message = messages.find((m) => m.channel === params.channel && m.ts === params.ts);
        if (!message) return { ok: false, error: "message_not_found" };
        if (params.text !== undefined) message.text = String(params.text);
        if (params.blocks !== undefined) message.blocks = parseJson(params.blocks) as unknown[] | null;
        message.edits += 1;
        return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
      }
      case "chat.postEphemeral": {
        if (!params.channel) return { ok: false, error: "channel_not_found" };
        if (!params.user) return { ok: false, error: "user_not_found" };
        ephemerals.push({
          channel: String(params.channel),
          user: String(params.user),
          text: String(params.text ?? ""),
        });
        return { ok: true, message_ts: nextTs() };
      }
      case "views.open":
      case "views.publish": {
        const view = parseJson(params.view);
        if (!view) return { ok: false, error: "invalid_arguments" };
        if (method === "views.open" && !params.trigger_id) return { ok: false, error: "invalid_trigger_id" };
        if (method === "views.publish" && !params.user_id) return { ok: false, error: "invalid_arguments" };
        views.push(
          method === "views.open"
            ? { kind: "open", view, triggerId: String(params.trigger_id) }
            : { kind: "publish", view, userId: String(params.user_id) },
        );
        return { ok: true, view: { id: `V${String(views.length).padStart(8, "0")}`, ...(view as object) } };
      }
      case "files.getUploadURLExternal": {
        const length = Number(params.length);
        if (!params.filename || !Number.isInteger(length) || length <= 0)
          return { ok: false, error: "invalid_arguments" };
        const id = `F${String(uploads.size + 1).padStart(8, "0")}`;
        uploads.set(id, {
          id,
          filename: String(params.filename),
          length,
          altText: params.alt_text ? String(params.alt_text) : null,
          bytes: null,
          title: null,
          channel: null,
          threadTs: null,
          initialComment: null,
        });
        return { ok: true, upload_url: `${baseUrl}upload/${id}`, file_id: id };
      }
      case "files.completeUploadExternal": {
        const list = parseJson(params.files) as { id: string; title?: string }[] | null;
        if (!Array.isArray(list) || list.length === 0) return { ok: false, error: "invalid_arguments" };
        const files = list.map((entry) => uploads.get(entry.id));
        if (files.some((file) => !file || file.bytes === null)) return { ok: false, error: "file_not_found" };
        for (const [index, file] of files.entries()) {
          if (!file) continue;
          file.title = list[index]?.title ?? file.filename;
          file.channel = params.channel_id ? String(params.channel_id) : null;
          file.threadTs = params.thread_ts ? String(params.thread_ts) : null;
          file.initialComment = params.initial_comment ? String(params.initial_comment) : null;
        }
        return {
          ok: true,
          files: files.map((file) => ({ id: file?.id, name: file?.filename, title: file?.title })),
        };
      }
      case "usergroups.users.list": {
        const users = usergroups.get(String(params.usergroup ?? ""));
        return users ? { ok: true, users } : { ok: false, error: "no_such_subteam" };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const body = raw.toString("utf8");
    const contentType = String(req.headers["content-type"] ?? "");
    const upload = /^\/api\/upload\/(F\d+)$/.exec(req.url ?? "");
    if (upload) return receiveUpload(upload[1] ?? "", raw, contentType, res);
    const match = /^\/api\/([A-Za-z0-9_.]+)$/.exec((req.url ?? "").split("?")[0] ?? "");
    const method = match?.[1] ?? "";
    const params = parseBody(contentType, body);
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    const token = bearer ?? (typeof params.token === "string" ? params.token : null);
    const record = (status: number, outcome: FakeOutcome, response: unknown) => {
      requests.push({ method, params, token, contentType, status, outcome, response, at: Date.now() });
    };
    const json = (
      status: number,
      outcome: FakeOutcome,
      payload: unknown,
      headers: Record<string, string> = {},
    ) => {
      record(status, outcome, payload);
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        ...(options.scopes ? { "x-oauth-scopes": options.scopes.join(",") } : {}),
        ...headers,
      });
      res.end(JSON.stringify(payload));
    };
    if (req.method !== "POST" || !match) {
      record(404, "error", "not found");
      res.writeHead(404).end("not found");
      return;
    }
    const failure = injected(method, params);
    if (failure?.type === "rate_limited") {
      json(
        429,
        "injected_429",
        { ok: false, error: "ratelimited" },
        { "retry-after": String(failure.retryAfterSeconds) },
      );
      return;
    }
    if (failure?.type === "http") {
      record(failure.status, "injected_http", "Service Unavailable");
      res.writeHead(failure.status, { "content-type": "text/plain" }).end("upstream connect error");
      return;
    }
    if (!token) return json(200, "error", { ok: false, error: "not_authed" });
    if (options.token !== undefined && token !== options.token)
      return json(200, "error", { ok: false, error: "invalid_auth" });
    if (failure?.type === "platform_error") return json(200, "error", { ok: false, error: failure.error });
    if (method === "chat.postMessage" && params.channel) {
      const wait = take(String(params.channel));
      if (wait !== null) {
        json(429, "rate_limit_429", { ok: false, error: "ratelimited" }, { "retry-after": String(wait) });
        return;
      }
    }
    const answer = handle(method, params);
    json(200, answer.ok ? "ok" : "error", answer);
  }

  /** The upload URL takes the bytes as a multipart form (the SDK's way) or as the raw body. */
  async function receiveUpload(id: string, raw: Buffer, contentType: string, res: ServerResponse) {
    const file = uploads.get(id);
    requests.push({
      method: "upload",
      params: { id, bytes: raw.length },
      token: null,
      contentType,
      status: file ? 200 : 404,
      outcome: file ? "ok" : "error",
      response: null,
      at: Date.now(),
    });
    if (!file) {
      res.writeHead(404).end("no such upload");
      return;
    }
    let bytes = raw;
    if (contentType.startsWith("multipart/form-data")) {
      const form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
      const part = [...form.values()].find((value) => typeof value !== "string");
      if (part && typeof part !== "string") bytes = Buffer.from(await part.arrayBuffer());
    }
    file.bytes = bytes;
    res.writeHead(200, { "content-type": "text/plain" }).end(`OK - ${bytes.length}`);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error) => {
      res.writeHead(500).end(String(error));
    });
  });
  // Idle keep-alive connections are closed by the client only. Closed by the server too (Node's
  // default after 5 s idle), one can close while the client's pool, which outlives a test, sends
  // the next request on it: ECONNRESET, a post that never reached the fake, a row retried.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}/api/`;

  return {
    url: `http://127.0.0.1:${port}/api/`,
    requests,
    calls: (method) => requests.filter((request) => request.method === method),
    messages: (channel) => messages.filter((message) => channel === undefined || message.channel === channel),
    ephemerals,
    views,
    files: (channel) =>
      [...uploads.values()].filter(
        (file) => file.channel !== null && (channel === undefined || file.channel === channel),
      ),
    fail(plan) {
      const left = plan.type === "platform_error" ? (plan.calls ?? Number.POSITIVE_INFINITY) : plan.calls;
      failures.push({ ...plan, left });
    },
    clearFailures() {
      failures = [];
    },
    setUsergroup(id, users) {
      usergroups.set(id, [...users]);
    },
    rateLimited: () => requests.filter((request) => request.outcome === "rate_limit_429").length,
    reset() {
      requests.length = 0;
      messages.length = 0;
      ephemerals.length = 0;
      views.length = 0;
      uploads.clear();
      buckets.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function parseBody(contentType: string, body: string): Record<string, unknown> {
  if (!body) return {};
  if (contentType.includes("application/json")) {
    try {
      const parsed = JSON.parse(body) as unknown;
      return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

/** Form bodies carry nested values JSON-encoded; JSON bodies carry them as they are. */
function parseJson(value: unknown): unknown {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}
