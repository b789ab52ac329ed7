import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCase } from "../../src/store/cases.js";
import { runCli } from "../support/cli.js";
import { REPO_ROOT, realAsffEvent } from "../support/events.js";
import { startFakeSlack } from "../support/fake-slack.js";
import { eventually, postEvent } from "../support/http.js";
import { ADMIN_DATABASE_URL, createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { CLOSED_PORT, logLines, startServe } from "../support/serve-process.js";
import { startTestService, TEST_API_KEY, uniquePrefix } from "../support/service.js";

// A new user's first mistakes, each answered with one line that names the setting or the
// service and what to do: never a stack trace, a hang, or an empty answer that looks fine.

const emptyDir = () => mkdtempSync(join(tmpdir(), "shgov-mistake-"));
const pgUrl = (database: string, port = new URL(ADMIN_DATABASE_URL).port || "5432") => {
  const url = new URL(ADMIN_DATABASE_URL);
  url.port = port;
  url.pathname = `/${database}`;
  return url.toString();
};
/** What serve needs to get as far as the mistake under test. */
const serveEnv = (extra: Record<string, string>) => ({
  INGEST_API_KEY: TEST_API_KEY,
  DATA_DIR: "memory://",
  DATABASE_URL: "",
  PORT: "0",
  SECURITYHUB_DRY_RUN: "true",
  QUEUE_PREFIX: uniquePrefix(),
  ...extra,
});

describe("shgov serve refuses what cannot work, in one line", () => {
  it("an ingest key too short to be a secret", async () => {
    const result = await runCli(["serve"], serveEnv({ INGEST_API_KEY: "abc" }));
    expect(result).toMatchObject({ code: 1 });
    expect(result.stderr).toBe(
      "shgov: invalid environment: INGEST_API_KEY: too short (3 characters): use at least 24 random characters, for example the output of `openssl rand -hex 32`\n",
    );
  });

  it("a port already in use", async () => {
    const taken: Server = createServer();
    // Listening on a port the system picks: no other test can take it first.
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const result = await runCli(["serve"], serveEnv({ PORT: String(port), HOST: "127.0.0.1" }));
      expect(result).toMatchObject({ code: 1 });
      expect(result.stderr.split("\n").filter((line) => !line.startsWith("{"))).toEqual([
        `shgov: PORT ${port} is already in use on 127.0.0.1 (HOST): another shgov serve, or another program, listens there; stop it or set PORT to a free port`,
        "",
      ]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("a role of its own on embedded PGlite, where nothing else could process the events", async () => {
    const result = await runCli(["serve", "--role", "http"], serveEnv({}));
    expect(result).toMatchObject({ code: 1 });
    expect(result.stderr).toBe(
      "shgov: --role http needs PostgreSQL (DATABASE_URL): with embedded PGlite one process holds DATA_DIR, so nothing else would process the events it accepts; run --role all, or set DATABASE_URL\n",
    );
  });

  it("Security Hub for real without a region (AWS_REGION= as .env.example has it)", async () => {
    const dataDir = emptyDir();
    const result = await runCli(
      ["serve"],
      serveEnv({
        SECURITYHUB_DRY_RUN: "false",
        AWS_REGION: "",
        AWS_CONFIG_FILE: join(dataDir, "no-config"),
        DATA_DIR: join(dataDir, "data"),
      }),
    );
    expect(result).toMatchObject({ code: 1 });
    expect(result.stderr).toBe(
      "shgov: AWS_REGION is not set, and no AWS profile names a region: set it to the region where Security Hub aggregates your findings (or SECURITYHUB_DRY_RUN=true to run without AWS)\n",
    );
    // Refused before anything was created.
    expect(existsSync(join(dataDir, "data"))).toBe(false);
  });

  it("a database that does not exist", async () => {
    const noDatabase = await runCli(["serve"], serveEnv({ DATABASE_URL: pgUrl("shgov_no_such_db") }));
    expect(noDatabase).toMatchObject({ code: 1 });
    expect(noDatabase.stderr).toBe(
      `shgov: PostgreSQL at 127.0.0.1:5432 has no database "shgov_no_such_db" (DATABASE_URL): create it (createdb shgov_no_such_db) or name another\n`,
    );
  });
});

describe("a PostgreSQL that is not there", () => {
  it("the CLI names it in one line", async () => {
    const port = CLOSED_PORT;
    const closed = await runCli(["cases"], { DATABASE_URL: pgUrl("shgov", String(port)) });
    expect(closed).toMatchObject({ code: 1, stdout: "" });
    expect(closed.stderr).toBe(
      `shgov: PostgreSQL refused the connection at 127.0.0.1:${port} (DATABASE_URL): is it running?\n`,
    );
  });

  it("serve names it in one line, and starts all the same: intake waits in Redis for it", async () => {
    const port = CLOSED_PORT;
    const serve = startServe(serveEnv({ DATABASE_URL: pgUrl("shgov", String(port)), HOST: "127.0.0.1" }));
    try {
      await serve.listening();
      const line = JSON.parse(await serve.waitForLog(/PostgreSQL refused the connection/)) as { msg: string };
      expect(line.msg).toBe(
        `PostgreSQL refused the connection at 127.0.0.1:${port} (DATABASE_URL): is it running? POST /events keeps accepting events into Redis; the worker and the dispatchers start once the database answers (retrying every 5 s)`,
      );
    } finally {
      expect((await serve.signal("SIGTERM")).code).toBe(0);
    }
  });
});

describe("shgov serve says at start what will not work", () => {
  it("missing AWS credentials: a warning naming what waits, and it starts", async () => {
    const dir = emptyDir();
    const serve = startServe({
      ...serveEnv({
        SECURITYHUB_DRY_RUN: "false",
        AWS_REGION: "eu-west-1",
        AWS_CONFIG_FILE: join(dir, "none"),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
        HOST: "127.0.0.1",
      }),
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
    });
    try {
      await serve.listening();
      const warning = await serve.waitForLog(/no AWS credentials found/);
      expect(JSON.parse(warning)).toMatchObject({
        level: 40,
        region: "eu-west-1",
        msg: "no AWS credentials found (environment, AWS_PROFILE, SSO, web identity, container or instance role): blocked suppressions cannot be reverted in Security Hub, nor their suppressor named, until there are; the updates wait in the outbox",
      });
      // It says where it listens as bound: HOST 127.0.0.1 here.
      expect(serve.stdout()).toMatch(/^shgov listening on 127\.0\.0\.1:\d+\n$/);
    } finally {
      const { code, killedBy } = await serve.signal("SIGTERM");
      // Seen once in CI (exit code null): the signal that ended it and the last log lines say why.
      expect(code, `ended by ${killedBy}; stderr:\n${serve.stderr().slice(-3000)}`).toBe(0);
    }
    expect(logLines(serve.stderr()).other).toEqual([]);
  });

  it("a bot token Slack refuses: an error line at start naming SLACK_BOT_TOKEN and Slack's reason", async () => {
    const slack = await startFakeSlack();
    slack.fail({ type: "platform_error", error: "invalid_auth", method: "auth.test" });
    const serve = startServe(
      serveEnv({
        SLACK_BOT_TOKEN: "xoxb-revoked",
        SLACK_SIGNING_SECRET: "test-signing-secret",
        SLACK_API_URL: slack.url,
        HOST: "127.0.0.1",
      }),
    );
    try {
      await serve.listening();
      const line = JSON.parse(await serve.waitForLog(/Slack refused SLACK_BOT_TOKEN/)) as Record<
        string,
        unknown
      >;
      expect(line).toMatchObject({
        level: 50,
        msg: "Slack refused SLACK_BOT_TOKEN (invalid_auth): no message can be posted until it is fixed; they wait in the outbox",
      });
      expect(serve.stderr()).not.toContain("xoxb-revoked");
    } finally {
      await serve.signal("SIGTERM");
      await slack.close();
    }
  });

  it("on 0.0.0.0 it says so, and where to reach it from this machine", async () => {
    const serve = startServe(serveEnv({ HOST: "0.0.0.0" }));
    try {
      const url = await serve.listening();
      expect(serve.stdout()).toBe(
        `shgov listening on 0.0.0.0:${new URL(url).port} (${url} from this machine)\n`,
      );
    } finally {
      await serve.signal("SIGTERM");
    }
  });

  it("reads .env from the working directory, the environment winning", async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, ".env"), "INGEST_API_KEY=short\nPORT=http\n");
    const fromFile = await runCli(["serve"], { INGEST_API_KEY: undefined, PORT: undefined }, dir);
    expect(fromFile.stderr).toBe(
      [
        "shgov: invalid environment:",
        "  INGEST_API_KEY: too short (5 characters): use at least 24 random characters, for example the output of `openssl rand -hex 32`",
        "  PORT: expected a whole number from 0 to 65535",
        "",
      ].join("\n"),
    );
    const environmentWins = await runCli(["serve"], { INGEST_API_KEY: undefined, PORT: "0" }, dir);
    expect(environmentWins.stderr).toBe(
      "shgov: invalid environment: INGEST_API_KEY: too short (5 characters): use at least 24 random characters, for example the output of `openssl rand -hex 32`\n",
    );
    const missing = await runCli(["--dotenv", join(dir, "nope.env"), "cases"], {}, dir);
    expect(missing.stderr).toBe(`shgov: --dotenv ${join(dir, "nope.env")}: no such file\n`);
  });

  it(".env.example, copied to .env as it is, names the one setting it leaves to fill in", async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, ".env"), readFileSync(join(REPO_ROOT, ".env.example")));
    const result = await runCli(["serve"], { INGEST_API_KEY: undefined, DATA_DIR: join(dir, "data") }, dir);
    expect(result.stderr).toBe(
      "shgov: INGEST_API_KEY is required to accept events: set it to a long random string\n",
    );
  });
});

describe("commands that read create nothing, and name what they cannot find", () => {
  it.each([
    [["cases"]],
    [["cases", "show", "arn:aws:securityhub:x"]],
    [["audit", "verify"]],
    [["report"]],
    [["claim", "arn:aws:securityhub:x", "--as", "U0ALICE", "--team", "platform"]],
  ])("shgov %j in a DATA_DIR that holds nothing", async (args) => {
    const dir = emptyDir();
    const dataDir = join(dir, "data");
    const result = await runCli(args, { DATA_DIR: dataDir, DATABASE_URL: "" });
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe(
      `shgov: no data in ${dataDir} (DATA_DIR): nothing has been stored there; run shgov serve with this DATA_DIR first, or point DATA_DIR (or DATABASE_URL) at where the data is\n`,
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  describe("on PostgreSQL", () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => database.drop());

    it("a database without the service's tables is named, and left without them", async () => {
      const result = await runCli(["cases"], { DATABASE_URL: database.url });
      expect(result).toMatchObject({ code: 1 });
      expect(result.stderr).toBe(
        "shgov: the database of DATABASE_URL has no securityhub-governor tables: run shgov serve against it first (it creates them), or point at where the data is\n",
      );
      const again = await runCli(["audit", "verify"], { DATABASE_URL: database.url });
      expect(again.stderr).toBe(result.stderr);
    });
  });

  it("an unknown team is named, with the policy's teams", async () => {
    const t = await startTestService({ store: "postgres" });
    try {
      const result = await runCli(["cases", "--owner", "platfrom"], {
        DATABASE_URL: t.env.DATABASE_URL,
        WORKFLOWS_DIR: join(REPO_ROOT, "workflows"),
      });
      expect(result).toMatchObject({ code: 1, stdout: "" });
      expect(result.stderr).toBe(
        `shgov: unknown team "platfrom": the policy in ${join(REPO_ROOT, "workflows")} defines platform, security, leadership\n`,
      );
      const known = await runCli(["cases", "--owner", "platform"], { DATABASE_URL: t.env.DATABASE_URL });
      expect(known).toMatchObject({ code: 0, stdout: "no cases\n" });
    } finally {
      await t.stop();
    }
  });
});

describe("through a running service (embedded PGlite)", () => {
  it("a refusal prints the rules' reason, as the direct path does", async () => {
    const dataDir = emptyDir();
    const t = await startTestService({ store: "pglite", env: { DATA_DIR: dataDir } });
    try {
      const event = realAsffEvent() as { detail: { findings: { Id: string }[] } };
      const id = event.detail.findings[0]?.Id ?? "";
      expect((await postEvent(t.url, event, { apiKey: TEST_API_KEY })).status).toBe(202);
      await eventually(async () => (await getCase(t.service.db, id)) ?? undefined);
      const result = await runCli(["exception", "approve", id, "--as", "U0SECLEAD", "--team", "security"], {
        DATA_DIR: dataDir,
        DATABASE_URL: "",
      });
      expect(result.code).toBe(1);
      const refusal = (await getCase(t.service.db, id))?.events.find((e) => e.type === "action.refused");
      expect(refusal?.reason).toBeTruthy();
      expect(result.stderr).toBe(`shgov: refused: ${refusal?.reason}\n`);
    } finally {
      await t.stop();
    }
  });
});

describe("the command line itself", () => {
  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(await runCli(["--version"])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("an unknown command is named, with --help too, and exits 1", async () => {
    for (const args of [["install", "--help"], ["install"]]) {
      const result = await runCli(args);
      expect(result).toMatchObject({ code: 1, stdout: "" });
      expect(result.stderr).toBe("error: unknown command 'install'\n(shgov --help lists the commands)\n");
    }
    const typo = await runCli(["serv"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("(Did you mean serve?)");
  });
});
