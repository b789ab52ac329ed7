import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SEVERITIES } from "../../src/engine/finding.js";
import { formatProblem } from "../../src/policy/errors.js";
import { validatePolicyDir } from "../../src/policy/load.js";
import { closest, editDistance } from "../../src/policy/suggest.js";
import { runCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/events.js";

/**
 * The messages of `shgov validate` for the mistakes a new user makes: one message per mistake,
 * on the line of the mistake, saying what would be right.
 */

const DESIGN_EXAMPLE = readFileSync(join(REPO_ROOT, "test/fixtures/policy/design-example.yaml"), "utf8");

function policyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shgov-policy-messages-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** What `shgov validate` prints for a path, with the temporary directory `dir` left out. */
async function validate(target: string, dir?: string): Promise<string[]> {
  const { problems } = await validatePolicyDir(target);
  return problems.map((p) => (dir ? formatProblem(p).replaceAll(`${dir}/`, "") : formatProblem(p)));
}

const problemsOf = (text: string) => {
  const dir = policyDir({ "x.yaml": text });
  return validate(dir, dir);
};

/** The design example with `from` replaced by `to`, failing the test when `from` is not in it. */
function edit(from: string, to: string, text = DESIGN_EXAMPLE): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

describe("a misspelt key", () => {
  it('given `slass:` for `slas:` at the top level, when validated, then one message suggests "slas" on that line', async () => {
    expect(await problemsOf(edit("slas:", "slass:"))).toEqual([
      'x.yaml: unknown key "slass"; did you mean "slas"? (line 15)',
    ]);
  });

  it("given `slack_chanel` in a team, when validated, then the unknown key is named and slack_channel is not also reported missing", async () => {
    const text = "version: 1\nteams:\n  platform:\n    slack_chanel: C0PLATFORM\n    leads: [U0PLATLEAD]\n";
    expect(await problemsOf(text)).toEqual([
      'x.yaml: teams.platform: unknown key "slack_chanel"; did you mean "slack_channel"? (line 4)',
    ]);
    expect(await problemsOf(edit("platform: { slack_channel", "platform: { slack_chanel"))).toEqual([
      'x.yaml: teams.platform: unknown key "slack_chanel"; did you mean "slack_channel"? (line 3)',
    ]);
  });

  it("given misspelt keys in a routing rule and in its match, when validated, then each is one message on its own line", async () => {
    const text = edit(
      "    owner: platform\n",
      "    ownr: platform\n",
      edit("{ control_ids:", "{ control_id:"),
    );
    expect(await problemsOf(text)).toEqual([
      'x.yaml: routing[0].match: unknown key "control_id"; did you mean "control_ids"? (line 8)',
      'x.yaml: routing[0]: unknown key "ownr"; did you mean "owner"? (line 9)',
    ]);
  });

  it("given misspelt keys in an upgrade date rule's match, an escalation step and the version, when validated, then each suggests the right key", async () => {
    const text = edit(
      "    match: { control_ids: [EKS.2] }\n    agree",
      "    match: { severites: [HIGH] }\n    agree",
      edit("mention_leads: true }", "mention_lead: true }", edit("version: 1", "verison: 1")),
    );
    expect(await problemsOf(text)).toEqual([
      'x.yaml: unknown key "verison"; did you mean "version"? (line 1)',
      'x.yaml: escalation[1]: unknown key "mention_lead"; did you mean "mention_leads"? (line 18)',
      'x.yaml: upgrade_dates[0].match: unknown key "severites"; did you mean "severities"? (line 26)',
    ]);
  });

  it("given a key with a word left out, when validated, then the key it is part of is suggested", async () => {
    expect(await problemsOf("version: 1\nteams:\n  platform: { channel: C0PLATFORM }\n")).toEqual([
      'x.yaml: teams.platform: unknown key "channel"; did you mean "slack_channel"? (line 3)',
    ]);
  });

  it("given an unknown key close to no valid key, when validated, then the valid keys are listed and a missing required key is still reported", async () => {
    expect(await problemsOf("version: 1\nteams:\n  platform:\n    colour: blue\n")).toEqual([
      'x.yaml: teams.platform: unknown key "colour"; valid keys: slack_channel, slack_usergroup, leads, members (line 4)',
      "x.yaml: teams.platform.slack_channel: Invalid input: expected string, received undefined (line 4)",
    ]);
  });

  it("given two unknown keys in one mapping, when validated, then each has its own message and line", async () => {
    const text = edit("  max_duration: 90d\n", "  max_duraton: 90d\n  expires: 1d\n");
    expect(await problemsOf(text)).toEqual([
      'x.yaml: suppression: unknown key "max_duraton"; did you mean "max_duration"? (line 22)',
      'x.yaml: suppression: unknown key "expires"; valid keys: approver, max_duration, revert_to (line 23)',
    ]);
  });

  it("given a team name in upper case, when validated, then the name and what a name may hold are said on its line", async () => {
    expect(await problemsOf("version: 1\nteams:\n  Platform:\n    slack_channel: C0PLATFORM\n")).toEqual([
      'x.yaml: teams.Platform: invalid team name "Platform": expected lower-case letters, digits, - or _ (line 3)',
    ]);
  });
});

describe("a value that must be one of a few names", () => {
  const ALL_SEVERITIES = "CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL";

  it("lists the severities of SEVERITIES, most severe first", () => {
    expect([...SEVERITIES].reverse().join(", ")).toBe(ALL_SEVERITIES);
  });

  it("given `slas: {HIHG: 3d}`, when validated, then HIGH is suggested and the severities are listed", async () => {
    expect(await problemsOf("version: 1\nslas: {HIHG: 3d}\n")).toEqual([
      'x.yaml: slas: unknown severity "HIHG"; did you mean "HIGH"? valid severities: CRITICAL, HIGH, MEDIUM, LOW; INFORMATIONAL is never tracked (line 2)',
    ]);
  });

  it("given an SLA for INFORMATIONAL and an unknown severity, when validated, then each is said plainly", async () => {
    expect(await problemsOf("version: 1\nslas:\n  URGENT: 3d\n  INFORMATIONAL: 1d\n")).toEqual([
      'x.yaml: slas: unknown severity "URGENT"; valid severities: CRITICAL, HIGH, MEDIUM, LOW; INFORMATIONAL is never tracked (line 3)',
      "x.yaml: slas: INFORMATIONAL findings are never tracked and cannot have an SLA; valid severities: CRITICAL, HIGH, MEDIUM, LOW (line 4)",
    ]);
  });

  it("given `severities: [HIGHH]` in a match, when validated, then HIGH is suggested and every severity is listed", async () => {
    const text = edit("{ control_ids: [EKS.2] }", "{ severities: [HIGHH, high, SEVERE, 3] }");
    expect(await problemsOf(text)).toEqual([
      `x.yaml: routing[0].match.severities[0]: unknown severity "HIGHH"; did you mean "HIGH"? valid severities: ${ALL_SEVERITIES} (line 8)`,
      `x.yaml: routing[0].match.severities[1]: unknown severity "high"; did you mean "HIGH"? valid severities: ${ALL_SEVERITIES} (line 8)`,
      `x.yaml: routing[0].match.severities[2]: unknown severity "SEVERE"; valid severities: ${ALL_SEVERITIES} (line 8)`,
      "x.yaml: routing[0].match.severities[3]: Invalid input: expected CRITICAL, HIGH, MEDIUM, LOW or INFORMATIONAL, received number (line 8)",
    ]);
  });

  it("given a misspelt notifications severity, when validated, then it is refused like any severity", async () => {
    const text = edit("per_finding_min_severity: HIGH", "per_finding_min_severity: HIGHEST");
    expect(await problemsOf(text)).toEqual([
      `x.yaml: notifications.per_finding_min_severity: unknown severity "HIGHEST"; did you mean "HIGH"? valid severities: ${ALL_SEVERITIES} (line 31)`,
    ]);
  });

  it("given a misspelt revert_to, or a status that cannot be reverted to, when validated, then the statuses are listed", async () => {
    expect(await problemsOf(edit("revert_to: NOTIFIED", "revert_to: NOTIFED"))).toEqual([
      'x.yaml: suppression.revert_to: unknown status "NOTIFED"; did you mean "NOTIFIED"? valid statuses: NEW, NOTIFIED (line 23)',
    ]);
    expect(await problemsOf(edit("revert_to: NOTIFIED", "revert_to: RESOLVED"))).toEqual([
      "x.yaml: suppression.revert_to: a blocked suppression cannot be reverted to RESOLVED; valid statuses: NEW, NOTIFIED (line 23)",
    ]);
  });

  it("given a misspelt or a non-string must_be_before, when validated, then both forms of a deadline are named", async () => {
    const deadlines =
      "expected end_of_standard_support, end_of_extended_support or a duration such as 15m, 12h, 30d or 2w";
    expect(
      await problemsOf(
        edit("must_be_before: end_of_standard_support", "must_be_before: end_of_standart_support"),
      ),
    ).toEqual([
      `x.yaml: upgrade_dates[0].must_be_before: unknown deadline "end_of_standart_support"; did you mean "end_of_standard_support"? ${deadlines} (line 28)`,
    ]);
    expect(await problemsOf(edit("must_be_before: end_of_standard_support", "must_be_before: 30"))).toEqual([
      `x.yaml: upgrade_dates[0].must_be_before: Invalid input: ${deadlines}, received number (line 28)`,
    ]);
  });
});

describe("a YAML syntax error", () => {
  it("given an unclosed double quote, when validated, then the line of the opening quote is reported, not the end of the file", async () => {
    const text =
      'version: 1\nteams:\n  platform:\n    slack_channel: "C0PLATFORM\n    leads: [U0PLATLEAD]\n  security:\n    slack_channel: C0SECURITY\nslas: { HIGH: 1d }\n';
    expect(await problemsOf(text)).toEqual(['x.yaml: YAML syntax error: Missing closing "quote (line 4)']);
  });

  it("given an unclosed single quote, when validated, then the line of the opening quote is reported", async () => {
    const text = "version: 1\nreport:\n  schedule: '0 9 * * 1\n  timezone: UTC\n  channel: C0SECURITY\n";
    expect(await problemsOf(text)).toEqual(["x.yaml: YAML syntax error: Missing closing 'quote (line 3)"]);
  });

  it("given a key indented one space less than its neighbours, when validated, then its line is reported", async () => {
    const text = "version: 1\nteams:\n  platform:\n    slack_channel: C0PLATFORM\n   leads: [U0PLATLEAD]\n";
    expect(await problemsOf(text)).toEqual([
      "x.yaml: YAML syntax error: All mapping items must start at the same column (line 5)",
    ]);
  });

  it("given a tab as indentation, when validated, then its line is reported", async () => {
    const text = "version: 1\nteams:\n  platform:\n\tslack_channel: C0PLATFORM\n";
    expect(await problemsOf(text)).toEqual([
      "x.yaml: YAML syntax error: Tabs are not allowed as indentation (line 4)",
    ]);
  });

  it("given an unclosed flow sequence `[a, b`, when validated, then the line of the [ is reported, not the line where the parser gave up", async () => {
    const unclosed = "Flow sequence in block collection must be sufficiently indented and end with a ]";
    expect(await problemsOf("version: 1\nteams: [a, b\nslas:\n  HIGH: 1d\n")).toEqual([
      `x.yaml: YAML syntax error: ${unclosed} (line 2)`,
    ]);
    // The parser takes the more indented lines that follow as items: it gave up four lines down.
    const continued = "version: 1\nteams: [a, b\n  c, d\n  e\n  f\nslas: {}\n";
    expect(await problemsOf(continued)).toEqual([`x.yaml: YAML syntax error: ${unclosed} (line 2)`]);
    const inRule =
      "version: 1\nrouting:\n  - name: eks\n    match: { control_ids: [EKS.2, EKS.3\n      , EKS.4\n      , EKS.5\n    owner: platform\n";
    expect(await problemsOf(inRule)).toEqual([`x.yaml: YAML syntax error: ${unclosed} (line 4)`]);
  });

  it("given an unclosed [ inside a { on one line, when validated, then one error is reported, for the [", async () => {
    const text =
      "version: 1\nteams:\n  platform: { slack_channel: C0PLATFORM, leads: [U0A, U0B }\n  security: { slack_channel: C0SECURITY }\n";
    expect(await problemsOf(text)).toEqual([
      "x.yaml: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ] (line 3)",
    ]);
  });

  it("given a key written twice, when validated, then the second one is reported with the mapping's path", async () => {
    expect(await problemsOf("version: 1\nslas:\n  HIGH: 1d\n  LOW: 2d\n  HIGH: 3d\n")).toEqual([
      'x.yaml: slas: YAML syntax error: key "HIGH" is written twice in this mapping (line 5)',
    ]);
    expect(await problemsOf("version: 1\nrouting:\n  - name: a\n    owner: platform\n    name: b\n")).toEqual(
      ['x.yaml: routing[0]: YAML syntax error: key "name" is written twice in this mapping (line 5)'],
    );
  });

  it("given two YAML documents in one file, when validated, then the second --- is reported", async () => {
    expect(await problemsOf("version: 1\n---\nversion: 1\n")).toEqual([
      "x.yaml: YAML syntax error: a policy file is one YAML document, and this --- starts a second one (line 2)",
    ]);
  });

  it("given an empty file, when validated, then it says so", async () => {
    expect(await problemsOf("# nothing yet\n")).toEqual([
      'x.yaml: the file is empty; a policy file starts with "version: 1" (line 1)',
    ]);
  });

  it('given a YAML alias bomb ("billion laughs"), when validated, then one line names the file instead of a crash', async () => {
    // Nine levels of nine aliases: 9^9 strings once expanded.
    const levels = "abcdefghi".split("");
    const bomb = levels
      .map((name, i) => {
        const items = i === 0 ? Array(9).fill('"lol"') : Array(9).fill(`*${levels[i - 1]}`);
        return `${name}: &${name} [${items.join(", ")}]`;
      })
      .join("\n");
    const expected = [
      'x.yaml: its aliases (*name) expand to too much data, as in a "billion laughs" attack (the yaml library stops at 100 expansions); write the values out instead',
    ];
    expect(await problemsOf(`version: 1\n${bomb}\n`)).toEqual(expected);
    const dir = policyDir({ "x.yaml": `version: 1\n${bomb}\n` });
    const cli = await runCli(["validate", dir]);
    expect(cli.code).toBe(1);
    expect(cli.stderr.replaceAll(`${dir}/`, "")).toBe(`${expected[0]}\n1 problem found\n`);
  });
});

describe("the path given to shgov validate", () => {
  it("given a policy file instead of a directory, when validated, then that file alone is the policy", async () => {
    const dir = policyDir({ "governance.yaml": DESIGN_EXAMPLE, "other.yaml": "version: 2\n" });
    const { policy, problems } = await validatePolicyDir(join(dir, "governance.yaml"));
    expect(problems).toEqual([]);
    expect(Object.keys(policy?.teams ?? {})).toEqual(["platform", "security", "leadership"]);
    expect(await validate(join(dir, "other.yaml"), dir)).toEqual([
      "other.yaml: version: Invalid input: expected 1 (line 1)",
    ]);
  });

  it("given the shipped workflows/governance.yaml by itself, when validated, then it loads", async () => {
    const { problems } = await validatePolicyDir(join(REPO_ROOT, "workflows/governance.yaml"));
    expect(problems).toEqual([]);
  });

  it("given a directory that does not exist, when validated, then it says so in one line without errno text", async () => {
    expect(await validate("workflows2")).toEqual(["workflows2/: no such directory"]);
    expect(await validate("workflows2/")).toEqual(["workflows2/: no such directory"]);
  });

  it("given a policy file that does not exist, or a file that is not a policy file, when validated, then it says so", async () => {
    const dir = policyDir({ "notes.txt": "hi" });
    expect(await validate(join(dir, "governance.yml"), dir)).toEqual(["governance.yml: no such file"]);
    expect(await validate(join(dir, "notes.txt"), dir)).toEqual([
      "notes.txt: not a .yaml or .yml policy file; give a policy file or the directory that holds them (workflows/)",
    ]);
  });

  it("given a subdirectory whose name ends in .yaml, when validated, then it is not read as a file", async () => {
    const dir = policyDir({ "governance.yaml": DESIGN_EXAMPLE });
    mkdirSync(join(dir, "old.yaml"));
    expect((await validatePolicyDir(dir)).problems).toEqual([]);
  });
});

describe("every message", () => {
  it("is one line naming the file, the YAML path and the line", async () => {
    const broken = [
      edit("slas:", "slass:"),
      edit("{ control_ids: [EKS.2] }", "{ severities: [HIGHH] }"),
      edit("CRITICAL: 7d", "CRITICAL: 7 days"),
      "version: 1\nteams: [a, b\n  c\n",
    ];
    for (const text of broken) {
      for (const line of await problemsOf(text)) expect(line).toMatch(/^x\.yaml: [^\n]+ \(line \d+\)$/);
    }
  });

  it("given a message of several lines from a library, when formatted, then it is joined into one", () => {
    expect(
      formatProblem({
        file: "x.yaml",
        path: "report.schedule",
        message: "bad cron\n  at field 2\n",
        line: 34,
      }),
    ).toBe("x.yaml: report.schedule: bad cron at field 2 (line 34)");
  });
});

describe("the closest valid name", () => {
  it("counts a swap of two letters as one edit, ignores case and suggests nothing far", () => {
    expect(editDistance("HIHG", "HIGH")).toBe(1);
    expect(closest("high", ["CRITICAL", "HIGH"])).toBe("HIGH");
    expect(closest("colour", ["slack_channel", "leads", "members"])).toBeUndefined();
  });

  it("prefers, between two equally close names, the preferred one (a missing key)", () => {
    expect(closest("lead", ["leads", "lean"])).toBe("leads");
    expect(closest("lead", ["leads", "lean"], new Set(["lean"]))).toBe("lean");
  });
});
