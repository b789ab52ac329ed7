import { type ChildProcess, spawn } from "node:child_process";
import { builtCli } from "./build-for-tests.js";
import { REPO_ROOT } from "./events.js";

/** `shgov serve` as its own process, as a user or an orchestrator runs it. */
export interface ServeProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the URL once it prints "shgov listening on …"; rejects if it exits first. */
  listening(timeoutMs?: number): Promise<string>;
  /** Resolves once stderr holds a line matching the pattern. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Sends the signal and resolves with the exit code (null when a signal ended it: then
   * `killedBy` names that signal) and the milliseconds it took to exit.
   */
  signal(name: NodeJS.Signals): Promise<{ code: number | null; killedBy: NodeJS.Signals | null; ms: number }>;
  /** Ends it (SIGKILL) if it still runs. */
  kill(): void;
}

export function startServe(env: Record<string, string | undefined>, cwd = REPO_ROOT): ServeProcess {
  const child = spawn(process.execPath, [builtCli(), "serve"], {
    cwd,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; killedBy: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, killedBy) => resolve({ code, killedBy })),
  );
  const waitFor = <T>(read: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = () => {
        const value = read();
        if (value !== undefined) return resolve(value);
        if (child.exitCode !== null)
          return reject(new Error(`serve exited (${child.exitCode}) before ${what}:\n${err}`));
        if (Date.now() > deadline) return reject(new Error(`no ${what} within ${timeoutMs} ms:\n${err}`));
        setTimeout(poll, 50);
      };
      poll();
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    listening: (timeoutMs = 60_000) =>
      waitFor(
        () => {
          const port = /shgov listening on \S+:(\d+)/.exec(out)?.[1];
          return port ? `http://127.0.0.1:${port}` : undefined;
        },
        timeoutMs,
        "listening line",
      ),
    waitForLog: (pattern, timeoutMs = 30_000) =>
      waitFor(() => err.split("\n").find((line) => pattern.test(line)), timeoutMs, `log ${pattern}`),
    async signal(name) {
      const started = Date.now();
      child.kill(name);
      const { code, killedBy } = await exited;
      return { code, killedBy, ms: Date.now() - started };
    },
    kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** The JSON log lines of stderr, and the lines that are not JSON (there should be none). */
export function logLines(stderr: string): { json: Record<string, unknown>[]; other: string[] } {
  const json: Record<string, unknown>[] = [];
  const other: string[] = [];
  for (const line of stderr.split("\n")) {
    if (!line.trim()) continue;
    try {
      json.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      other.push(line);
    }
  }
  return { json, other };
}

/**
 * A port where nothing listens, for "is it running?" tests: a port from freePort() may be taken
 * by another test file's private server before the connection is tried. Port 1 (tcpmux) has no
 * listener on these machines, and the project never binds it.
 */
export const CLOSED_PORT = 1;
