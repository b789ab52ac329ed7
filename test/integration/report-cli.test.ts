import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/report/model.js";
import { openStore } from "../../src/store/open.js";
import { runCli } from "../support/cli.js";
import { examplePolicy } from "../support/engine.js";
import { eksAsffEvent } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { generateHistory, storeHistory } from "../support/report-dataset.js";
import { startTestService, TEST_API_KEY } from "../support/service.js";

/** `shgov report` as a user runs it: every format, to stdout or a file, and its errors. */
const UNTIL = "2026-11-30T12:00:00.000Z";
const policy = examplePolicy();
const history = generateHistory(policy, {
  seed: 11,
  cases: 120,
  until: UNTIL,
  weeksBack: 10,
  afterUntilMs: 0,
});
const WORKFLOWS_DIR = "test/fixtures/policy";
const EKS_ID =
  "arn:aws:securityhub:us-east-1:111111111111:security-control/EKS.2/finding/5b1e6c52-8a0e-4d3e-9f0e-0c2a7e3b9d41";

let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  const db = await openStore({ databaseUrl: database.url, dataDir: "unused" });
  await storeHistory(db, history);
  await db.close();
  env = { DATABASE_URL: database.url, WORKFLOWS_DIR };
}, 60_000);
afterAll(async () => database?.drop());

const closedInPeriod = history
  .flatMap((c) => c.events)
  .filter(
    (e) =>
      e.type === "case.resolved" &&
      Date.parse(e.at) >= Date.parse(UNTIL) - 7 * 86_400_000 &&
      Date.parse(e.at) < Date.parse(UNTIL),
  ).length;

describe("shgov report", () => {
  it("--format json prints the report of the 7 days before --until; --team keeps that team's cases", async () => {
    const all = await runCli(["report", "--until", UNTIL, "--format", "json"], env);
    expect(all.stderr).toBe("");
    expect(all.code).toBe(0);
    const report = JSON.parse(all.stdout) as Report;
    expect(report.period).toEqual({ since: "2026-11-23T12:00:00.000Z", until: UNTIL });
    expect(report.overall.closed).toBe(closedInPeriod);
    expect(report.overall.open.total).toBe(history.filter((c) => c.state.status !== "resolved").length);

    const platform = JSON.parse(
      (
        await runCli(
          ["report", "--until", UNTIL, "--since", "2w", "--team", "platform", "--format", "json"],
          env,
        )
      ).stdout,
    ) as Report;
    expect(platform.period.since).toBe("2026-11-16T12:00:00.000Z");
    expect(platform.team).toBe("platform");
    expect(platform.overall.open.total).toBe(
      history.filter((c) => c.state.owner === "platform" && c.state.status !== "resolved").length,
    );
  });

  it("--format md, csv and html; --out writes the file and says where", async () => {
    const md = await runCli(["report", "--until", UNTIL], env);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# /);
    const csv = await runCli(["report", "--until", UNTIL, "--format", "csv"], env);
    expect(csv.stdout.split("\r\n")[0]).toBe("section,team,metric,key,value");
    const out = join(mkdtempSync(join(tmpdir(), "shgov-report-")), "report.html");
    const html = await runCli(["report", "--until", UNTIL, "--format", "html", "--out", out], env);
    expect(html).toMatchObject({ code: 0, stdout: "" });
    expect(html.stderr).toBe(`shgov: wrote the html report to ${out}\n`);
    const page = readFileSync(out, "utf8");
    expect(page).toMatch(/^<!DOCTYPE html>/i);
    expect(page).toContain("data:image/png;base64,");
  });

  it("names the bad option: a period that is neither a duration nor a date, an unknown team, a format", async () => {
    const since = await runCli(["report", "--since", "last week"], env);
    expect(since).toMatchObject({ code: 1 });
    expect(since.stderr).toBe(
      'shgov: since: "last week" is neither a duration (7d, 12h, 2w) nor a date (2026-11-01) or instant (2026-11-01T09:00Z)\n',
    );
    const team = await runCli(["report", "--team", "marketing"], env);
    expect(team.stderr).toBe(
      'shgov: team: no team "marketing" in the policy (teams: leadership, platform, security)\n',
    );
    const backwards = await runCli(["report", "--since", "2026-11-05", "--until", "2026-11-01"], env);
    expect(backwards.stderr).toMatch(/^shgov: since: the period must start before it ends/);
    const out = await runCli(["report", "--out", "/nonexistent-dir/report.md"], env);
    expect(out).toMatchObject({
      code: 1,
      stderr: "shgov: cannot write /nonexistent-dir/report.md: ENOENT\n",
    });
    const format = await runCli(["report", "--format", "pdf"], env);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain("Allowed choices are md, csv, json, html");
  });

  it("on embedded PGlite held by a running service, asks the service", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "shgov-pglite-"));
    const t = await startTestService({
      store: "pglite",
      env: { DATA_DIR: dataDir, ADMIN_TOKEN: "report-admin" },
    });
    try {
      expect((await postEvent(t.url, eksAsffEvent(), { apiKey: TEST_API_KEY })).status).toBe(202);
      await eventually(async () =>
        (await t.service.db.query("SELECT id FROM cases")).length === 1 ? true : undefined,
      );
      const viaService = await runCli(["report", "--format", "json", "--since", "365d"], {
        DATA_DIR: dataDir,
        DATABASE_URL: "",
      });
      expect(viaService.stderr).toBe("");
      const report = JSON.parse(viaService.stdout) as Report;
      expect(report.overall.open.total).toBe(1);
      expect(report.upgradeDatesMissing.items.map((item) => item.caseId)).toEqual([EKS_ID]);
      expect(report.upgradeDatesMissing.items.map((item) => item.caseRef)).toEqual(["SHG-1"]);

      // The service's read API names what is wrong, and wants its token.
      const bad = await fetch(`${t.url}/api/report?since=last%20week`, {
        headers: { authorization: "Bearer report-admin" },
      });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: "invalid_query", field: "since" });
      expect((await fetch(`${t.url}/api/report`)).status).toBe(401);
    } finally {
      await t.stop();
    }
  });
});
