import { type ChildProcess, spawn } from "node:child_process";
import { builtCli } from "./build-for-tests.js";
import { REPO_ROOT } from "./events.js";

/** `shgov serve --role worker` (or another role) as a child process, so a test can kill it for real. */
export function spawnWorker(
  env: Record<string, string>,
  role: "worker" | "dispatcher" = "worker",
): ChildProcess {
  const child = spawn(process.execPath, [builtCli(), "serve", "--role", role], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    if (process.env.SHGOV_TEST_VERBOSE) process.stderr.write(chunk);
  });
  return child;
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}
