import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/demo/demo.js";
import { freePort } from "../../src/demo/redis-server.js";
import { runCli } from "../support/cli.js";
import { SHARED_REDIS_URL } from "../support/service.js";

async function demoOutput(env: NodeJS.ProcessEnv): Promise<string[]> {
  const lines: string[] = [];
  await runDemo({ out: (line) => lines.push(line), logger: pino({ level: "silent" }), baseEnv: env });
  return lines;
}

describe("shgov demo", () => {
  it("posts the bundled events through the HTTP intake and prints the resulting cases", async () => {
    const lines = await demoOutput({ REDIS_URL: SHARED_REDIS_URL });
    const text = lines.join("\n");
    expect(lines.filter((l) => l.startsWith("POST /events"))).toHaveLength(6);
    expect(lines.filter((l) => / 202 /.test(l))).toHaveLength(6);
    expect(text).toContain("6 cases, by SLA due date:");
    // The EKS 1.31 cluster's EKS.2 finding is owned by platform.
    expect(text).toMatch(
      /arn:aws:securityhub:us-east-1:111111111111:security-control…\s+EKS\.2\s+HIGH\s+platform\s+open\s+2026-10-01/,
    );
    expect(text).toMatch(/EC2\.7\s+INFORMATIONAL\s+security\s+open\s+not tracked/);
  });

  it("starts a private redis-server when none answers", async () => {
    const lines = await demoOutput({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(lines[0]).toMatch(
      /^Redis: started a private redis-server on port \d+ \(none answered at redis:\/\/127\.0\.0\.1:\d+\)$/,
    );
    expect(lines.join("\n")).toContain("6 cases, by SLA due date:");
  });

  it("says in one line how to get Redis when there is none and no redis-server on PATH", async () => {
    // A PATH with node alone (node often sits in /usr/bin beside redis-server).
    const bin = mkdtempSync(join(tmpdir(), "shgov-path-"));
    symlinkSync(process.execPath, join(bin, "node"));
    const result = await runCli(["demo"], { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, PATH: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^shgov: no Redis at redis:\/\/127\.0\.0\.1:\d+ and no redis-server on PATH: start one with `docker compose up -d redis` or install your OS package \(apt install redis-server, brew install redis\)\n$/,
    );
  });
});
