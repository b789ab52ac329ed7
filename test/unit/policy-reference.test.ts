import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { formatProblem } from "../../src/policy/errors.js";
import { policyJsonSchema } from "../../src/policy/json-schema.js";
import { validatePolicyDir } from "../../src/policy/load.js";
import { REPO_ROOT } from "../support/events.js";

/**
 * Every ```yaml block of docs/policy-reference.md must load with the project's own loader, and
 * every ```yaml invalid block must be refused with exactly the problems printed in the ```text
 * block that follows it.
 *
 * A block is one policy file. When it leaves out a section every policy needs (teams, routing,
 * slas), it is loaded as a directory next to a base file that supplies just those sections, the
 * way a user would split a policy over files; a block that defines a section replaces the base's.
 * Info string attributes: `file=NAME` names the file (default policy.yaml), `group=NAME` puts
 * consecutive blocks in one directory, `invalid` marks a group that must be refused.
 */

const DOC_PATH = "docs/policy-reference.md";
const DOC = readFileSync(join(REPO_ROOT, DOC_PATH), "utf8");

/** The sections a directory must have somewhere, as the base supplies them. */
const BASE_SECTIONS: Record<string, string> = {
  teams: `teams:
  platform: { slack_channel: C0PLATFORM, slack_usergroup: S0PLATFORM, leads: [U0PLATLEAD] }
  security: { slack_channel: C0SECURITY, slack_usergroup: S0SECURITY, leads: [U0SECLEAD] }
  leadership: { slack_channel: C0LEADERS, leads: [U0CISO] }
`,
  routing: `routing:
  - { name: default, match: {}, owner: security, counterpart: platform }
`,
  slas: `slas: { CRITICAL: 7d, HIGH: 30d, MEDIUM: 90d, LOW: 180d }
`,
};
const BASE_FILE = "zz-base.yaml";
const ATTRIBUTES = new Set(["invalid", "file", "group"]);

interface Fence {
  lang: string;
  attrs: Map<string, string>;
  body: string;
  /** Line of the opening fence in the document, for failure messages. */
  line: number;
}

function fencesOf(markdown: string): Fence[] {
  const lines = markdown.split("\n");
  const fences: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const [lang = "", ...words] = (open[2] ?? "").trim().split(/\s+/);
    const attrs = new Map<string, string>();
    for (const word of words) {
      const [key = "", value = ""] = word.split("=", 2);
      attrs.set(key, value);
    }
    const body: string[] = [];
    const start = i + 1;
    for (i++; i < lines.length && lines[i]?.trimEnd() !== open[1]; i++) body.push(lines[i] ?? "");
    fences.push({ lang, attrs, body: `${body.join("\n")}\n`, line: start });
  }
  return fences;
}

interface Example {
  name: string;
  files: { name: string; text: string }[];
  invalid: boolean;
  /** The problem lines shown after an invalid example. */
  expected: string[] | null;
}

function examplesOf(fences: Fence[]): Example[] {
  const examples: Example[] = [];
  for (let i = 0; i < fences.length; i++) {
    const fence = fences[i] as Fence;
    if (fence.lang !== "yaml") continue;
    const group = fence.attrs.get("group");
    const members = [fence];
    while (group && fences[i + 1]?.lang === "yaml" && fences[i + 1]?.attrs.get("group") === group) {
      members.push(fences[++i] as Fence);
    }
    const invalid = members.some((m) => m.attrs.has("invalid"));
    const next = fences[i + 1];
    examples.push({
      name: `${DOC_PATH}:${fence.line}${group ? ` (group ${group})` : ""}${invalid ? " (invalid)" : ""}`,
      files: members.map((m) => ({ name: m.attrs.get("file") || "policy.yaml", text: m.body })),
      invalid,
      expected:
        invalid && next?.lang === "text" ? next.body.split("\n").filter((line) => line.trim() !== "") : null,
    });
  }
  return examples;
}

function topLevelKeys(text: string): string[] {
  const value: unknown = parseDocument(text).toJS();
  return value && typeof value === "object" ? Object.keys(value) : [];
}

/** Writes the example's files, and the base for the required sections none of them defines. */
function exampleDir(example: Example): string {
  const dir = mkdtempSync(join(tmpdir(), "shgov-policy-reference-"));
  const defined = new Set(example.files.flatMap((f) => topLevelKeys(f.text)));
  const missing = Object.keys(BASE_SECTIONS).filter((section) => !defined.has(section));
  if (missing.length > 0) {
    const base = `version: 1\n${missing.map((section) => BASE_SECTIONS[section]).join("")}`;
    writeFileSync(join(dir, BASE_FILE), base);
  }
  for (const file of example.files) writeFileSync(join(dir, file.name), file.text);
  return dir;
}

/** The problems as `shgov validate workflows/` prints them. */
async function problemsOf(example: Example): Promise<string[]> {
  const dir = exampleDir(example);
  try {
    const { policy, problems } = await validatePolicyDir(dir);
    const lines = problems.map((p) => formatProblem(p).replaceAll(`${dir}/`, "workflows/"));
    if (!policy && lines.length === 0) lines.push("(refused without a problem)");
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const FENCES = fencesOf(DOC);
const EXAMPLES = examplesOf(FENCES);

describe("docs/policy-reference.md", () => {
  it("has YAML examples, and only in forms this test understands", () => {
    expect(EXAMPLES.filter((e) => !e.invalid).length).toBeGreaterThanOrEqual(10);
    expect(EXAMPLES.filter((e) => e.invalid).length).toBeGreaterThanOrEqual(5);
    for (const fence of FENCES) {
      const where = `${DOC_PATH}:${fence.line}`;
      expect(fence.lang, `${where}: write yaml, not yml`).not.toBe("yml");
      if (fence.lang !== "yaml") continue;
      for (const key of fence.attrs.keys()) expect(ATTRIBUTES, `${where}: unknown attribute`).toContain(key);
    }
    for (const example of EXAMPLES.filter((e) => e.invalid)) {
      expect(
        example.expected,
        `${example.name}: an invalid example needs a text block of its problems`,
      ).not.toBe(null);
    }
  });

  for (const example of EXAMPLES) {
    if (example.invalid) {
      it(`refuses ${example.name} with the problems it shows`, async () => {
        expect(await problemsOf(example)).toEqual(example.expected);
      });
    } else {
      it(`loads ${example.name}`, async () => {
        expect(await problemsOf(example)).toEqual([]);
      });
    }
  }

  it("documents every key and every named value the schema accepts", () => {
    const names = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const item of node) walk(item);
        return;
      }
      if (!node || typeof node !== "object") return;
      const record = node as Record<string, unknown>;
      if (record.properties && typeof record.properties === "object") {
        for (const key of Object.keys(record.properties)) names.add(key);
      }
      if (Array.isArray(record.enum)) {
        for (const value of record.enum) if (typeof value === "string") names.add(value);
      }
      for (const value of Object.values(record)) walk(value);
    };
    walk(policyJsonSchema());
    const undocumented = [...names].filter((name) => !DOC.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });
});
