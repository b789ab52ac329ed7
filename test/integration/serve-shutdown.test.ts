import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { asffEvent } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { type PrivatePostgres, startPrivatePostgres } from "../support/private-postgres.js";
import { CLOSED_PORT, logLines, type ServeProcess, startServe } from "../support/serve-process.js";
import { SHARED_REDIS_URL, TEST_API_KEY, uniquePrefix } from "../support/service.js";

// SIGTERM ends `serve` within SHUTDOWN_TIMEOUT_MS whatever Redis, PostgreSQL or Slack do. The
// bound checked is the setting plus the time a process needs to exit and be seen exiting.
const SHUTDOWN_TIMEOUT_MS = 3_000;
const EXIT_SLACK_MS = 2_500;

const base = (databaseUrl: string, redisUrl = SHARED_REDIS_URL) => ({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  INGEST_API_KEY: TEST_API_KEY,
  HOST: "127.0.0.1",
  PORT: "0",
  QUEUE_PREFIX: uniquePrefix(),
  SECURITYHUB_DRY_RUN: "true",
  SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  SLACK_BOT_TOKEN: "",
  SLACK_SIGNING_SECRET: "",
});

let serve: ServeProcess | null = null;
afterEach(() => {
  serve?.kill();
  serve = null;
});

describe("serve with Redis unreachable", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.drop());

  it("says once per connection that Redis refused, names it in /readyz, never prints the password, and SIGTERM ends it at once", async () => {
    const port = CLOSED_PORT; // nothing listens there
    serve = startServe(base(database.url, `redis://:s3cret-redis-password@127.0.0.1:${port}`));
    const url = await serve.listening();
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: unknown[] }).checks).toContainEqual({
      name: "redis",
      ok: false,
      error: `Redis refused the connection at 127.0.0.1:${port} (REDIS_URL): is it running?`,
    });
    // EventBridge retrying: each gets a 503, and the refusal is said once, not once per request.
    for (let attempt = 0; attempt < 5; attempt++) {
      const event = asffEvent({ id: "arn:test:redis-away" }, `redis-away-${attempt}`);
      expect((await postEvent(url, event, { apiKey: TEST_API_KEY })).status).toBe(503);
    }
    // A few seconds of reconnecting: still one line per connection, not one per attempt.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const { code, ms } = await serve.signal("SIGTERM");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS);

    const { json, other } = logLines(serve.stderr());
    expect(other).toEqual([]);
    expect(serve.stderr()).not.toContain("s3cret-redis-password");
    expect(serve.stderr()).not.toMatch(/at TCPConnectWrap|\n\s+at /);
    const refused = json.filter((line) => String(line.msg).startsWith("Redis refused the connection"));
    const connections = new Set(refused.map((line) => `${line.name}/${line.connection}`));
    expect(refused.length).toBe(connections.size);
    expect([...connections].sort()).toEqual(["shgov-worker/timers", "shgov-worker/worker", "shgov/intake"]);
    expect(json.filter((line) => Number(line.level) >= 50).map((line) => line.msg)).toEqual([
      "queueing events (POST /events answers 503) failed; retrying",
    ]);
    expect(json.map((line) => line.msg)).toContain(`shutting down (at most ${SHUTDOWN_TIMEOUT_MS / 1000} s)`);
  });
});

describe("serve when PostgreSQL goes away", () => {
  let postgres: PrivatePostgres;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
  });
  afterAll(async () => postgres.destroy());

  it("SIGTERM ends it within the bound while the database is down", async () => {
    serve = startServe(base(postgres.url));
    const url = await serve.listening();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    await postgres.stop();
    await eventually(async () => ((await fetch(`${url}/readyz`)).status === 503 ? true : undefined));
    const { code, ms } = await serve.signal("SIGTERM");
    expect([0, 1]).toContain(code);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS);
    expect(logLines(serve.stderr()).json.map((line) => line.msg)).toContain(
      `shutting down (at most ${SHUTDOWN_TIMEOUT_MS / 1000} s)`,
    );
  });
});

describe("serve while Slack hangs", () => {
  let database: TestDatabase;
  let slack: Server;
  const asked: string[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    // Answers auth.test, then takes every other call and never answers it.
    slack = createServer((request, response) => {
      const method = request.url?.split("/").pop() ?? "";
      asked.push(method);
      if (method === "auth.test") {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ ok: true, team: "Fake", user: "governor", user_id: "U0BOT" }));
      }
    });
    await new Promise<void>((resolve) => slack.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    slack.closeAllConnections();
    await new Promise((resolve) => slack.close(resolve));
    await database.drop();
  });

  it("SIGTERM during a post that never returns ends it within the bound, naming what was still closing", async () => {
    const { port } = slack.address() as AddressInfo;
    serve = startServe({
      ...base(database.url),
      SLACK_BOT_TOKEN: "xoxb-test",
      SLACK_SIGNING_SECRET: "test-signing-secret",
      SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
    });
    const url = await serve.listening();
    const event = asffEvent({ id: "arn:test:slack-hangs", severity: "CRITICAL" });
    expect((await postEvent(url, event, { apiKey: TEST_API_KEY })).status).toBe(202);
    await eventually(async () => (asked.includes("chat.postMessage") ? true : undefined), 30_000, "a post");

    const { code, ms } = await serve.signal("SIGTERM");
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS);
    expect(code).toBe(1);
    const unfinished = logLines(serve.stderr()).json.find((line) =>
      String(line.msg).startsWith("shutdown took longer than SHUTDOWN_TIMEOUT_MS"),
    );
    expect(unfinished?.unfinished).toContain("Slack dispatcher");
  });
});
