import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../src/policy/errors.js";
import { policyJsonSchemaText } from "../../src/policy/json-schema.js";
import { loadPolicyDir, validatePolicyDir } from "../../src/policy/load.js";
import { REPO_ROOT } from "../support/events.js";

/** The example policy of the tests (test/fixtures/policy/design-example.yaml), verbatim. */
const DESIGN_EXAMPLE = readFileSync(join(REPO_ROOT, "test/fixtures/policy/design-example.yaml"), "utf8");

function policyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shgov-policy-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function problemsOf(files: Record<string, string>): Promise<string[]> {
  const dir = policyDir(files);
  const { problems } = await validatePolicyDir(dir);
  // Paths relative to the temporary directory, so assertions read like the user's output.
  return problems.map((p) => formatProblem(p).replaceAll(`${dir}/`, ""));
}

describe("policy files", () => {
  it("loads the example policy with every section", async () => {
    const policy = await loadPolicyDir(policyDir({ "governance.yaml": DESIGN_EXAMPLE }));
    expect(Object.keys(policy.teams)).toEqual(["platform", "security", "leadership"]);
    expect(policy.teams.platform).toMatchObject({
      reach: { slack: { address: "C0PLATFORM", group: "S0PLATFORM" } },
      leads: ["U0PLATLEAD"],
    });
    expect(policy.routing.map((r) => [r.name, r.owner, r.counterpart])).toEqual([
      ["eks", "platform", "security"],
      ["default", "security", "platform"],
    ]);
    expect(policy.slaMs).toEqual({
      CRITICAL: 7 * 86_400_000,
      HIGH: 30 * 86_400_000,
      MEDIUM: 90 * 86_400_000,
      LOW: 180 * 86_400_000,
    });
    expect(policy.escalation.map((s) => [s.at, s.breach, s.mentionLeads])).toEqual([
      [0.5, false, false],
      [0.75, false, true],
      [1, true, true],
    ]);
    expect(policy.suppression).toEqual({
      approver: "counterpart",
      maxDurationMs: 90 * 86_400_000,
      revertTo: "NOTIFIED",
    });
    expect(policy.upgradeDates[0]).toMatchObject({
      name: "eks-version",
      agree: ["owner", "counterpart"],
      mustBeBefore: { kind: "eks_calendar", milestone: "end_of_standard_support" },
      remindBeforeMs: [14 * 86_400_000, 7 * 86_400_000, 86_400_000],
    });
    expect(policy.notifications).toEqual({ perFindingMinSeverity: "HIGH", digestIntervalMs: 15 * 60_000 });
    expect(policy.report).toEqual({
      schedule: "0 9 * * 1",
      timezone: "America/Sao_Paulo",
      channel: "C0SECURITY",
    });
  });

  it("ships workflows/governance.yaml as a working default", async () => {
    const { policy, problems } = await validatePolicyDir(join(REPO_ROOT, "workflows"));
    expect(problems).toEqual([]);
    expect(policy?.routing.at(-1)?.match).toEqual({});
  });

  it("names the file, the YAML path and the problem for an unknown team", async () => {
    const text = DESIGN_EXAMPLE.replace(
      "owner: security\n    counterpart: platform",
      "owner: security\n    counterpart: platfrom",
    ).replace("    owner: platform\n", "    owner: platfrom\n");
    expect(await problemsOf({ "x.yaml": text })).toEqual([
      'x.yaml: routing[0].owner: unknown team "platfrom" (line 9)',
      'x.yaml: routing[1].counterpart: unknown team "platfrom" (line 14)',
    ]);
  });

  it("reports schema errors with the line they are on", async () => {
    const text = DESIGN_EXAMPLE.replace("CRITICAL: 7d", "CRITICAL: 7 days").replace("at: 75%", "at: 75");
    const problems = await problemsOf({ "x.yaml": text });
    expect(problems).toContain(
      "x.yaml: slas.CRITICAL: expected a duration such as 15m, 12h, 30d or 2w (line 15)",
    );
    expect(problems).toContain(
      "x.yaml: escalation[1].at: Invalid input: expected string, received number (line 18)",
    );
  });

  it("reports unknown keys, a wrong version and a YAML syntax error", async () => {
    expect(await problemsOf({ "x.yaml": DESIGN_EXAMPLE.replace("version: 1", "version: 2") })).toEqual([
      "x.yaml: version: Invalid input: expected 1 (line 1)",
    ]);
    const typo = await problemsOf({
      "x.yaml": DESIGN_EXAMPLE.replace("max_duration: 90d", "max_duraton: 90d"),
    });
    expect(typo).toEqual([
      'x.yaml: suppression: unknown key "max_duraton"; did you mean "max_duration"? (line 22)',
    ]);
    const broken = await problemsOf({ "x.yaml": "version: 1\nteams: [\n" });
    expect(broken[0]).toMatch(/^x\.yaml: YAML syntax error: .* \(line \d+\)$/);
  });

  it("checks cross-references: ladder order, approver, duplicate names, catch-all route, cron and time zone", async () => {
    const text = DESIGN_EXAMPLE.replace("at: 75%", "at: 40%")
      .replace("approver: counterpart", "approver: owner")
      .replace("name: default", "name: eks")
      .replace("match: {}\n", "match: { severities: [LOW] }\n")
      .replace('"0 9 * * 1"', '"0 9 * *"')
      .replace("America/Sao_Paulo", "Mars/Olympus")
      .replace("notify: [owner, counterpart, leadership]", "notify: [owner, counterpart, leaders]");
    expect(await problemsOf({ "x.yaml": text })).toEqual([
      'x.yaml: routing[1].name: routing rule "eks" is defined twice (line 11)',
      "x.yaml: routing: the last routing rule must match every finding (match: {}) so that every finding gets an owner (line 7)",
      "x.yaml: escalation[1].at: steps must be in increasing order of at (line 18)",
      'x.yaml: escalation[2].notify[2]: unknown team "leaders" (line 19)',
      "x.yaml: suppression.approver: the owner cannot approve its own exceptions; use counterpart or another team (line 21)",
      expect.stringMatching(/^x\.yaml: report\.schedule: invalid cron expression "0 9 \* \*"/),
      'x.yaml: report.timezone: unknown time zone "Mars/Olympus" (line 35)',
    ]);
  });

  it("merges a directory: teams and routing across files, a single section defined twice is an error", async () => {
    const teams = `version: 1
teams:
  platform: { slack_channel: C0PLATFORM }
  security: { slack_channel: C0SECURITY }
`;
    const rest = DESIGN_EXAMPLE.replace(/teams:\n( {2}.*\n){3}/, "");
    const dir = policyDir({ "00-teams.yaml": teams, "10-rules.yaml": rest.replace(", leadership]", "]") });
    const policy = await loadPolicyDir(dir);
    expect(Object.keys(policy.teams)).toEqual(["platform", "security"]);
    expect(policy.routing).toHaveLength(2);

    const twice = await problemsOf({
      "a.yaml": DESIGN_EXAMPLE,
      "b.yaml": "version: 1\nslas: { HIGH: 1d }\nteams:\n  platform: { slack_channel: C0OTHER }\n",
    });
    expect(twice).toEqual([
      'b.yaml: teams.platform: team "platform" is already defined in a.yaml (line 4)',
      "b.yaml: slas: slas is already defined in a.yaml (line 2)",
    ]);
  });

  it("says so when a directory has no policy files or does not exist", async () => {
    expect(await problemsOf({ "notes.txt": "hi" })).toEqual([
      expect.stringMatching(/no \.yaml or \.yml policy files$/),
    ]);
    const { problems } = await validatePolicyDir("/nonexistent/shgov");
    expect(problems.map(formatProblem)).toEqual(["/nonexistent/shgov/: no such directory"]);
  });

  it("keeps docs/workflow.schema.json in step with the zod schema (run `npm run schema` to update)", () => {
    const committed = readFileSync(join(REPO_ROOT, "docs/workflow.schema.json"), "utf8");
    expect(committed).toBe(policyJsonSchemaText());
  });
});
