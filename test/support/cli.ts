import { spawn } from "node:child_process";
import { join } from "node:path";
import { TEST_BUILD_DIR } from "./build-for-tests.js";
import { REPO_ROOT } from "./events.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `shgov` as the tests run it: node and the compiled entry point (see build-for-tests.ts). */
export const SHGOV = [join(TEST_BUILD_DIR, "cli/main.js")];

/** Runs `shgov ARGS` as a process, as a user runs the built CLI. */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = REPO_ROOT,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...SHGOV, ...args], {
      cwd,
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
