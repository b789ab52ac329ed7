import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./events.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** tsx by its path, so that the CLI also runs from a working directory outside the repository. */
export const TSX_LOADER = import.meta.resolve("tsx");

/** Runs `shgov ARGS` from the sources, as a user would run the built CLI. */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = REPO_ROOT,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", TSX_LOADER, join(REPO_ROOT, "src/cli/main.ts"), ...args],
      {
        cwd,
        env: { ...process.env, LOG_LEVEL: "warn", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
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
