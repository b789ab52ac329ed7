import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { envSchema } from "../../src/config/env.js";
import { REPO_ROOT } from "../support/events.js";

const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");

/** `docker compose` (v2) or `docker-compose` (v1), whichever this machine has. */
function composeCli(): string[] | null {
  if (spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status === 0)
    return ["docker", "compose"];
  if (spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status === 0) return ["docker-compose"];
  return null;
}

describe("deployment files", () => {
  const compose = parse(read("docker-compose.yml")) as {
    services: Record<
      string,
      { command?: string[]; healthcheck?: unknown; depends_on?: Record<string, unknown> }
    >;
  };

  it("docker-compose.yml has redis (AOF, noeviction), postgres and the app, each with a health check", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["app", "postgres", "redis"]);
    const redis = compose.services.redis?.command?.join(" ") ?? "";
    expect(redis).toContain("--appendonly yes");
    expect(redis).toContain("--maxmemory-policy noeviction");
    for (const service of Object.values(compose.services)) expect(service.healthcheck).toBeDefined();
    expect(Object.keys(compose.services.app?.depends_on ?? {}).sort()).toEqual(["postgres", "redis"]);
  });

  it("docker-compose.yml parses with the compose CLI where one is installed", () => {
    const cli = composeCli();
    if (!cli) return; // structure is checked above; no compose CLI on this machine
    const [command, ...args] = cli;
    const result = spawnSync(command as string, [...args, "config", "-q"], {
      cwd: REPO_ROOT,
      env: { ...process.env, INGEST_API_KEY: "x" },
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("the Dockerfile builds the CLI and serves by default", () => {
    const dockerfile = read("Dockerfile");
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "dist\/cli\/main.js"\]/);
    expect(dockerfile).toMatch(/CMD \["serve"\]/);
  });

  it(".env.example lists every variable the service reads, and nothing else", () => {
    const listed = [...read(".env.example").matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(envSchema.shape).sort());
  });
});
