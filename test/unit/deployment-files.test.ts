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

/**
 * Variables of envSchema that docker-compose.yml does not pass, and why: the image fixes them
 * (Dockerfile). docker-compose.yml's comment names each of them.
 */
const NOT_IN_COMPOSE: Record<string, string> = {
  DATA_DIR: "the image's /data, for PGlite; compose runs PostgreSQL",
  WORKFLOWS_DIR: "the image's /app/workflows, where compose mounts ./workflows",
  HOST: "0.0.0.0 in the image, so that the port mapping reaches the service",
  PORT: "3000 in the image, which the port mapping and both health checks use",
};

/** Not the service's settings but the AWS SDK's credential chain, passed through from the host. */
const AWS_SDK_CREDENTIALS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

describe("deployment files", () => {
  const composeText = read("docker-compose.yml");
  const compose = parse(composeText) as {
    services: Record<
      string,
      {
        command?: string[];
        healthcheck?: unknown;
        depends_on?: Record<string, unknown>;
        environment?: Record<string, string>;
        restart?: string;
        stop_grace_period?: string;
      }
    >;
  };

  it("docker-compose.yml passes the app every variable the service reads, except those the image fixes", () => {
    const passed = Object.keys(compose.services.app?.environment ?? {});
    const expected = Object.keys(envSchema.shape).filter((name) => !(name in NOT_IN_COMPOSE));
    expect(expected.filter((name) => !passed.includes(name))).toEqual([]);
    // Nothing else but the SDK's credentials: no stale or misspelt name.
    expect(passed.filter((name) => !expected.includes(name)).sort()).toEqual([...AWS_SDK_CREDENTIALS].sort());
    // Each exclusion is one the schema has, and the compose file says why it is left out.
    const comment = composeText.replace(/\s+/g, " ");
    for (const name of Object.keys(NOT_IN_COMPOSE)) {
      expect(Object.keys(envSchema.shape)).toContain(name);
      expect(comment).toContain(name);
      expect(passed).not.toContain(name);
    }
  });

  it("docker-compose.yml takes each optional setting from the host's environment, never an empty AWS_REGION", () => {
    const environment = compose.services.app?.environment ?? {};
    const fixed = ["REDIS_URL", "DATABASE_URL"];
    for (const [name, value] of Object.entries(environment)) {
      if (fixed.includes(name)) expect(value).not.toContain("${");
      else expect(value).toMatch(new RegExp(`^\\$\\{${name}(:-|:\\?)`));
    }
    expect(environment.INGEST_API_KEY).toMatch(/^\$\{INGEST_API_KEY:\?/);
    // The SDK takes AWS_REGION="" for a region (and the client's ?? keeps it): a default, not "".
    expect(environment.AWS_REGION).toMatch(/^\$\{AWS_REGION:-us-east-1\}$/);
  });

  it("docker-compose.yml restarts the app unless stopped, and gives it longer than SHUTDOWN_TIMEOUT_MS to stop", () => {
    const app = compose.services.app;
    expect(app?.restart).toBe("unless-stopped");
    const grace = /^(\d+)s$/.exec(app?.stop_grace_period ?? "");
    const shutdown = envSchema.shape.SHUTDOWN_TIMEOUT_MS.parse(undefined) as number;
    expect(Number(grace?.[1]) * 1000).toBeGreaterThan(shutdown);
  });

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

  it("one Node.js everywhere: 24 in engines, the Dockerfile's base images, @types/node and .ci/run", () => {
    const pkg = JSON.parse(read("package.json")) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(pkg.engines.node).toBe(">=24");
    expect(pkg.devDependencies["@types/node"]).toMatch(/^24\./);
    const bases = [...read("Dockerfile").matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(bases).toEqual(["node:24-bookworm-slim", "node:24-bookworm-slim"]);
    expect(read(".ci/run")).toMatch(/^NODE_VERSION=24\.\d+\.\d+$/m);
    // The suite itself runs on it (.ci/run puts it first on PATH).
    expect(process.versions.node.split(".")[0]).toBe("24");
  });

  it(".env.example lists every variable the service reads, and nothing else", () => {
    const listed = [...read(".env.example").matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(envSchema.shape).sort());
  });
});
