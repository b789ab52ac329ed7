import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/events.js";

const ENGINE_DIR = join(REPO_ROOT, "src/engine");

/** The engine is the pure core: no I/O, no clock, no randomness, no adapters, no libraries. */
function engineViolations(file: string, source: string): string[] {
  const problems: string[] = [];
  for (const match of source.matchAll(
    /(?:import|export)[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
  )) {
    const target = match[1] ?? match[2] ?? "";
    if (!target.startsWith("./"))
      problems.push(`${file} imports "${target}": only files of src/engine may be imported`);
  }
  const forbidden: [RegExp, string][] = [
    [/\bDate\.now\s*\(/, "reads the clock (Date.now)"],
    [/new\s+Date\s*\(\s*\)/, "reads the clock (new Date())"],
    [/\bperformance\.now\b/, "reads the clock (performance.now)"],
    [/\bMath\.random\b/, "uses randomness"],
    [/\bprocess\./, "touches the process"],
    [/\brequire\s*\(/, "uses require"],
    [/\b(fetch|setTimeout|setInterval|setImmediate)\s*\(/, "does I/O or schedules work"],
    // Notification texts are plain text: the Slack adapter escapes them and adds its own mentions.
    [/<[@!#]/, "writes Slack markup (<@…>, <!…>, <#…>): the Slack adapter formats and escapes texts"],
  ];
  for (const [pattern, what] of forbidden) if (pattern.test(source)) problems.push(`${file} ${what}`);
  return problems;
}

describe("the engine's purity check", () => {
  it("finds no violation in src/engine", () => {
    const files = readdirSync(ENGINE_DIR).filter((name) => name.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(3);
    const problems = files.flatMap((name) =>
      engineViolations(name, readFileSync(join(ENGINE_DIR, name), "utf8")),
    );
    expect(problems).toEqual([]);
  });

  it("catches an adapter import, a Node I/O module, a client library and a clock read", () => {
    const bad = [
      'import { insertDeadLetter } from "../store/dead-letters.js";',
      'import { readFile } from "node:fs/promises";',
      'import { Queue } from "bullmq";',
      "const at = new Date();",
      "const t = Date.now();",
      'const text = "<@U0ALICE> approved";',
    ];
    for (const line of bad) expect(engineViolations("x.ts", line)).not.toEqual([]);
    expect(
      engineViolations("x.ts", 'import type { Finding } from "./finding.js";\nnew Date(Date.parse(x));'),
    ).toEqual([]);
  });
});
