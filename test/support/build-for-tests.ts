import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT } from "./events.js";

/**
 * The folder the tests run `shgov` from: src/ compiled once per test run (vitest globalSetup), as
 * the image runs dist/. A process per CLI call on the compiled JavaScript starts in a third of the
 * time tsx needs to compile the sources again in every process. Types are checked by `npm run
 * typecheck`, so the emit here skips the check.
 */
export const TEST_BUILD_DIR = join(REPO_ROOT, ".test-build");

export default function buildForTests(): void {
  const started = performance.now();
  rmSync(TEST_BUILD_DIR, { recursive: true, force: true }); // no file of a source since removed
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(
    process.execPath,
    [tsc, "-p", "tsconfig.json", "--noCheck", "--sourceMap", "false", "--outDir", TEST_BUILD_DIR],
    { cwd: REPO_ROOT, stdio: ["ignore", "inherit", "inherit"] },
  );
  process.stderr.write(
    `built src/ into .test-build/ for the CLI tests in ${Math.round(performance.now() - started)} ms\n`,
  );
}
