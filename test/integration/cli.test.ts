import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { eksAsffEvent, realAsffEvent } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { startTestService, TEST_API_KEY, type TestService } from "../support/service.js";

const EKS_ID =
  "arn:aws:securityhub:us-east-1:111111111111:security-control/EKS.2/finding/5b1e6c52-8a0e-4d3e-9f0e-0c2a7e3b9d41";

describe("shgov validate", () => {
  it("prints OK and exits 0 for the shipped policy", async () => {
    const result = await runCli(["validate", "workflows"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(
      "workflows: OK (3 teams, 2 routing rules, 3 escalation steps, 1 upgrade date rule)",
    );
  });

  it("prints every problem with file, path and line, and exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shgov-validate-"));
    writeFileSync(
      join(dir, "x.yaml"),
      "version: 1\nteams:\n  platform: { slack_channel: C0PLAT }\nrouting:\n  - name: all\n    match: {}\n    owner: platfrom\n    counterpart: platform\nslas: { HIGH: 30d }\n",
    );
    const result = await runCli(["validate", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `${join(dir, "x.yaml")}: routing[0].owner: unknown team "platfrom" (line 7)\n1 problem found\n`,
    );
  });

  it("--help lists the commands", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["serve", "demo", "validate", "cases", "report", "setup"])
      expect(result.stdout).toContain(command);
  });
});

describe("shgov cases on PostgreSQL", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ store: "postgres" });
    for (const event of [eksAsffEvent(), realAsffEvent()]) {
      expect((await postEvent(t.url, event, { apiKey: TEST_API_KEY })).status).toBe(202);
    }
    await eventually(async () =>
      (await t.service.db.query("SELECT id FROM cases")).length === 2 ? true : undefined,
    );
  });
  afterAll(async () => t.stop());

  it("lists cases as a table and as JSON, filtered by owner", async () => {
    const env = { DATABASE_URL: t.env.DATABASE_URL };
    const table = await runCli(["cases"], env);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^CASE\s+FINDING\s+CONTROL\s+SEVERITY\s+OWNER\s+STATUS\s+SLA DUE\s+TITLE$/);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/EKS\.2\s+HIGH\s+platform\s+awaiting_date\s+2026-10-01/);
    expect(lines[3]).toMatch(/EC2\.7\s+INFORMATIONAL\s+security\s+open\s+not tracked/);

    const json = await runCli(["cases", "--json", "--owner", "platform"], env);
    const cases = JSON.parse(json.stdout) as { id: string; owner: string }[];
    expect(cases.map((c) => [c.id, c.owner])).toEqual([[EKS_ID, "platform"]]);
    expect(cases[0]).toHaveProperty("ref", expect.stringMatching(/^SHG-\d+$/));
  });

  it("names each case by its human id: the table's first column, and cases show in any form", async () => {
    const env = { DATABASE_URL: t.env.DATABASE_URL };
    const refs = await t.service.db.query<{ id: string; number: number }>("SELECT id, number FROM cases");
    const number = refs.find((row) => row.id === EKS_ID)?.number;
    const ref = `SHG-${number}`;
    const table = (await runCli(["cases"], env)).stdout.trim().split("\n");
    expect(table[2]).toMatch(new RegExp(`^${ref}\\s+arn:aws:securityhub:\\S+\\s+EKS\\.2\\s+HIGH`));
    expect(
      table
        .slice(2)
        .map((line) => line.split(/\s+/)[0])
        .sort(),
    ).toEqual(refs.map((row) => `SHG-${row.number}`).sort());
    const shown = await runCli(["cases", "show", ref.toLowerCase()], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split("\n").slice(0, 2)).toEqual([
      expect.stringMatching(new RegExp(`^case\\s+${ref}$`)),
      expect.stringMatching(new RegExp(`^finding\\s+${EKS_ID}$`)),
    ]);
    const json = JSON.parse((await runCli(["cases", "show", String(number), "--json"], env)).stdout) as {
      ref: string;
      case: { id: string };
    };
    expect([json.ref, json.case.id]).toEqual([ref, EKS_ID]);
    const missing = await runCli(["cases", "show", "SHG-999"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no case .*SHG-999/);
  }, 120_000);

  it("shows one case with its audit events, and says so for an unknown id", async () => {
    const env = { DATABASE_URL: t.env.DATABASE_URL };
    const shown = await runCli(["cases", "show", EKS_ID], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/owner\s+platform \(counterpart: security, rule "eks"\)/);
    // The audit events' times as people read them (the JSON keeps ISO 8601).
    expect(shown.stdout).toMatch(
      /1\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\s+case\.opened\s+aws:securityhub\s+routed by rule "eks"/,
    );
    expect(shown.stdout).toMatch(/2\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\s+finding\.observed/);
    expect(shown.stdout).toMatch(/^SLA due\s+2026-10-01 \d{2}:\d{2} UTC$/m);
    const missing = await runCli(["cases", "show", "nope"], env);
    expect(missing).toMatchObject({ code: 1, stderr: "shgov: no case nope\n" });
  });

  it("rejects a bad --status with the allowed values", async () => {
    const result = await runCli(["cases", "--status", "closed"], { DATABASE_URL: t.env.DATABASE_URL });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "Allowed choices are open, excepted, awaiting_date, date_agreed, resolved, breached",
    );
  });
});

describe("shgov cases on embedded PGlite", () => {
  it("asks the running service when it holds the data directory, and opens it itself when nothing does", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "shgov-pglite-"));
    const t = await startTestService({ store: "pglite", env: { DATA_DIR: dataDir } });
    try {
      expect((await postEvent(t.url, eksAsffEvent(), { apiKey: TEST_API_KEY })).status).toBe(202);
      await eventually(async () =>
        (await t.service.db.query("SELECT id FROM cases")).length === 1 ? true : undefined,
      );
      const viaService = await runCli(["cases", "--json"], { DATA_DIR: dataDir, DATABASE_URL: "" });
      expect(viaService.code).toBe(0);
      expect((JSON.parse(viaService.stdout) as { id: string }[]).map((c) => c.id)).toEqual([EKS_ID]);
      const shown = await runCli(["cases", "show", EKS_ID, "--json"], {
        DATA_DIR: dataDir,
        DATABASE_URL: "",
      });
      expect(JSON.parse(shown.stdout).case.owner).toBe("platform");
    } finally {
      await t.stop();
    }
    const direct = await runCli(["cases", "--json"], { DATA_DIR: dataDir, DATABASE_URL: "" });
    expect(direct.code).toBe(0);
    expect((JSON.parse(direct.stdout) as { id: string }[]).map((c) => c.id)).toEqual([EKS_ID]);
  });

  it("takes the human id through the running service's admin API too", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "shgov-pglite-"));
    const t = await startTestService({ store: "pglite", env: { DATA_DIR: dataDir } });
    try {
      expect((await postEvent(t.url, eksAsffEvent(), { apiKey: TEST_API_KEY })).status).toBe(202);
      await eventually(async () =>
        (await t.service.db.query("SELECT id FROM cases")).length === 1 ? true : undefined,
      );
      const env = { DATA_DIR: dataDir, DATABASE_URL: "", WORKFLOWS_DIR: t.env.WORKFLOWS_DIR };
      const shown = await runCli(["cases", "show", "shg-1", "--json"], env);
      expect(JSON.parse(shown.stdout)).toMatchObject({ ref: "SHG-1", case: { id: EKS_ID } });
      const claimed = await runCli(["claim", "1", "--as", "U0PLAT", "--team", "platform"], env);
      expect(claimed.stderr).toBe("");
      expect(claimed.stdout).toContain("case.claimed");
      const events = await t.service.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM audit_events WHERE type = 'case.claimed'",
      );
      expect(events[0]?.n).toBe(1);
    } finally {
      await t.stop();
    }
  }, 120_000);

  it("refuses a second service on the same data directory with a clear message", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "shgov-pglite-"));
    const t = await startTestService({ store: "pglite", env: { DATA_DIR: dataDir } });
    try {
      const second = await runCli(["serve"], {
        DATA_DIR: dataDir,
        DATABASE_URL: "",
        INGEST_API_KEY: "k".repeat(24),
        SECURITYHUB_DRY_RUN: "true",
        PORT: "0",
      });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        /is in use by process \d+ \(shgov serve on port \d+\); embedded PGlite allows one process per data directory/,
      );
    } finally {
      await t.stop();
    }
  });
});

describe("shgov serve", () => {
  it("refuses to start without INGEST_API_KEY, and names a bad variable", async () => {
    const noKey = await runCli(["serve"], { INGEST_API_KEY: "", DATA_DIR: "memory://", PORT: "0" });
    expect(noKey).toMatchObject({ code: 1 });
    expect(noKey.stderr).toBe(
      "shgov: INGEST_API_KEY is required to accept events: set it to a long random string\n",
    );
    const badPort = await runCli(["serve"], { PORT: "http" });
    expect(badPort.stderr).toBe(
      "shgov: invalid environment: PORT: expected a whole number from 0 to 65535\n",
    );
  });
});
