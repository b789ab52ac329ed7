import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/events.js";

/** Every file or folder the docs name in backticks exists: a moved file cannot leave the docs behind. */
function namedPaths(text: string): string[] {
  return [...text.matchAll(/`((?:src|test|scripts|docs|workflows|examples|deploy)\/[A-Za-z0-9_./-]*)`/g)].map(
    (match) => (match[1] ?? "").replace(/[.,:]$/, ""),
  );
}

describe("paths named in the docs", () => {
  const files = [
    "README.md",
    ...readdirSync(join(REPO_ROOT, "docs"))
      .filter((name) => name.endsWith(".md"))
      .map((name) => `docs/${name}`),
  ];

  it("exist in the repository", () => {
    const missing = files.flatMap((file) =>
      namedPaths(readFileSync(join(REPO_ROOT, file), "utf8"))
        .filter((path) => !existsSync(join(REPO_ROOT, path)))
        .map((path) => `${file}: ${path}`),
    );
    expect(missing).toEqual([]);
  });

  it("are found by the check, and a wrong one is reported", () => {
    expect(namedPaths("see `src/engine/decide.ts` and `src/nowhere.ts`.")).toEqual([
      "src/engine/decide.ts",
      "src/nowhere.ts",
    ]);
    expect(existsSync(join(REPO_ROOT, "src/nowhere.ts"))).toBe(false);
  });
});
