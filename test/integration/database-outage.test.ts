import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { asffEvent, REPO_ROOT, readJson } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { type PrivatePostgres, startPrivatePostgres } from "../support/private-postgres.js";
import { logLines, type ServeProcess, startServe } from "../support/serve-process.js";
import { SHARED_REDIS_URL, TEST_API_KEY, uniquePrefix } from "../support/service.js";

// This test stops PostgreSQL and ends its sessions, so it runs a throwaway cluster of its own.
let postgres: PrivatePostgres;
let serve: ServeProcess | null = null;

beforeAll(async () => {
  postgres = await startPrivatePostgres();
});
afterEach(() => serve?.kill());
afterAll(async () => postgres.destroy());

async function sql<Row>(text: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return (await client.query(text)).rows as Row[];
  } finally {
    await client.end();
  }
}

const caseExists = (id: string) => async () => {
  const rows = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE id = '${id}'`).catch(
    () => [],
  );
  return rows[0]?.n === 1 ? true : undefined;
};

async function readiness(url: string): Promise<Record<string, boolean>> {
  const body = (await (await fetch(`${url}/readyz`)).json()) as { checks: { name: string; ok: boolean }[] };
  return Object.fromEntries(body.checks.map((check) => [check.name, check.ok]));
}

describe("PostgreSQL away at start, restarted, and its sessions ended", () => {
  it("serve starts without it, keeps accepting events, applies them once it is back, and never exits", async () => {
    await postgres.stop();
    serve = startServe({
      DATABASE_URL: postgres.url,
      REDIS_URL: SHARED_REDIS_URL,
      INGEST_API_KEY: TEST_API_KEY,
      HOST: "127.0.0.1",
      PORT: "0",
      QUEUE_PREFIX: uniquePrefix(),
      SECURITYHUB_DRY_RUN: "true",
      SLACK_BOT_TOKEN: "",
    });
    const url = await serve.listening();
    expect(await readiness(url)).toMatchObject({ redis: true, database: false });
    const during = await postEvent(url, asffEvent({ id: "arn:test:db-away-at-start" }, "db-0001"), {
      apiKey: TEST_API_KEY,
    });
    expect(during.status).toBe(202);
    // A CloudTrail event of a Security Hub update is stored at once, not queued: 503, and
    // EventBridge sends it again.
    const call = readJson(
      join(REPO_ROOT, "examples/cloudtrail/01-batch-update-findings-v2-suppress.synthetic.json"),
    );
    const callWhileAway = await postEvent(url, call, { apiKey: TEST_API_KEY });
    expect(callWhileAway).toMatchObject({ status: 503, body: { error: "store_unavailable" } });

    await postgres.start();
    await eventually(caseExists("arn:test:db-away-at-start"), 40_000, "the event accepted while away");
    await eventually(async () => ((await readiness(url)).database ? true : undefined));
    expect((await postEvent(url, call, { apiKey: TEST_API_KEY })).status).toBe(202);
    const kept = await sql<{ n: number }>("SELECT count(*)::int AS n FROM api_calls");
    expect(kept[0]?.n).toBe(1);

    // Sessions ended by the administrator, three times: the process rides it out.
    for (let round = 0; round < 3; round++) {
      await sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname IS NOT NULL",
      );
      const id = `arn:test:after-terminate-${round}`;
      expect(
        (await postEvent(url, asffEvent({ id }, `db-010${round}`), { apiKey: TEST_API_KEY })).status,
      ).toBe(202);
      await eventually(caseExists(id), 40_000, `the event after terminate ${round}`);
    }

    // A restart while running.
    await postgres.stop();
    const whileDown = await postEvent(url, asffEvent({ id: "arn:test:during-restart" }, "db-0200"), {
      apiKey: TEST_API_KEY,
    });
    expect(whileDown.status).toBe(202);
    await postgres.start();
    await eventually(caseExists("arn:test:during-restart"), 60_000, "the event accepted during the restart");

    expect(serve.child.exitCode).toBeNull();
    const { code } = await serve.signal("SIGTERM");
    expect(code).toBe(0);
    const { json, other } = logLines(serve.stderr());
    expect(other).toEqual([]);
    expect(json.map((line) => String(line.msg))).toContainEqual(
      expect.stringMatching(
        /^PostgreSQL refused the connection at 127\.0\.0\.1:\d+ \(DATABASE_URL\): is it running\? POST \/events keeps accepting events into Redis/,
      ),
    );
  }, 240_000);
});
