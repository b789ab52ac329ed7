import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/events.js";

const SRC = join(REPO_ROOT, "src");

/**
 * SQL lives in src/store/ only, behind functions with names: a file elsewhere that runs a query or
 * spells a statement is reported. Everything else passes a transaction (Sql) along, never text.
 */
function sqlViolations(file: string, source: string): string[] {
  const forbidden: [RegExp, string][] = [
    [/\.query\s*[<(]/, "runs a query (.query)"],
    [/\bSELECT\b[\s\S]{0,400}?\bFROM\b/, "spells a SELECT"],
    [/\bINSERT\s+INTO\b/, "spells an INSERT"],
    [/\bUPDATE\s+\w+\s+(AS\s+\w+\s+)?SET\b/, "spells an UPDATE"],
    [/\bDELETE\s+FROM\b/, "spells a DELETE"],
    [/\b(pg_advisory\w*|jsonb_\w+)\s*\(/, "calls a PostgreSQL function"],
    [/\bstate\s*->>?\s*'/, "reads the case's JSON state with a path"],
  ];
  return forbidden.filter(([pattern]) => pattern.test(source)).map(([, what]) => `${file} ${what}`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("SQL only in src/store", () => {
  it("finds no query, statement or JSON path outside src/store", () => {
    const outside = sourceFiles(SRC).filter((path) => !relative(SRC, path).startsWith("store/"));
    expect(outside.length).toBeGreaterThan(50);
    const problems = outside.flatMap((path) =>
      sqlViolations(relative(SRC, path), readFileSync(path, "utf8")),
    );
    expect(problems).toEqual([]);
  });

  it("catches a query call, each kind of statement, an advisory lock and a JSON path", () => {
    const bad = [
      'await db.query("SELECT 1");',
      "await tx.query<{ n: number }>(sql);",
      "const sql = `SELECT id\n  FROM cases`;",
      '"INSERT INTO outbox (key) VALUES ($1)"',
      '"UPDATE outbox AS older SET status = $1"',
      '"DELETE FROM cases"',
      '"pg_advisory_xact_lock(1)"',
      "`state->>'tracked'`",
    ];
    for (const line of bad) expect(sqlViolations("x.ts", line), line).not.toEqual([]);
    expect(
      sqlViolations(
        "x.ts",
        'import type { Sql } from "../store/database.js";\nselect the team from the list',
      ),
    ).toEqual([]);
  });
});
