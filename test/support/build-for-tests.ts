import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { isAlive } from "../../src/store/data-dir-lock.js";
import { REPO_ROOT } from "./events.js";

/**
 * The tests run `shgov` from src/ compiled once per test run (vitest globalSetup), as the image
 * runs dist/: a process per CLI call on the compiled JavaScript starts in a third of the time tsx
 * needs to compile the sources again in every process. Types are checked by `npm run typecheck`,
 * so the emit here skips the check. Each run builds into a folder of its own at the top of the
 * repository (relative paths such as ../../package.json stay true), named after its process, so
 * two runs side by side never delete each other's build; the path reaches the test workers and
 * the processes they start through SHGOV_TEST_BUILD.
 */
const PREFIX = ".test-build-";

export default function buildForTests(): () => void {
  const started = performance.now();
  removeAbandonedBuilds();
  const dir = join(REPO_ROOT, `${PREFIX}${process.pid}`);
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(
    process.execPath,
    [tsc, "-p", "tsconfig.json", "--noCheck", "--sourceMap", "false", "--outDir", dir],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  process.env.SHGOV_TEST_BUILD = dir;
  process.stderr.write(`built src/ for the CLI tests in ${Math.round(performance.now() - started)} ms\n`);
  return () => rmSync(dir, { recursive: true, force: true });
}

/** The compiled entry point of this run's build. */
export function builtCli(): string {
  const dir = process.env.SHGOV_TEST_BUILD;
  if (!dir)
    throw new Error("SHGOV_TEST_BUILD is not set: run the tests with vitest (its globalSetup builds src/)");
  return join(dir, "cli/main.js");
}

/** Builds left by runs that were killed (their process is gone). */
function removeAbandonedBuilds(): void {
  for (const name of readdirSync(REPO_ROOT)) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid))
      rmSync(join(REPO_ROOT, name), { recursive: true, force: true });
  }
}
