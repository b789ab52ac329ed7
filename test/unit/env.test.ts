import { describe, expect, it } from "vitest";
import { loadEnv } from "../../src/config/env.js";

describe("environment", () => {
  it("has the documented defaults", () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      REDIS_URL: "redis://127.0.0.1:6379",
      DATA_DIR: "./data",
      WORKFLOWS_DIR: "./workflows",
      PORT: 3000,
      QUEUE_PREFIX: "shgov",
      SLACK_POST_INTERVAL_MS: 1000,
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("names every bad variable", () => {
    expect(() => loadEnv({ PORT: "eighty", REDIS_URL: "localhost:6379", QUEUE_PREFIX: "a:b" })).toThrow(
      [
        "invalid environment:",
        "  REDIS_URL: expected a redis:// or rediss:// URL",
        "  PORT: expected a whole number from 0 to 65535",
        "  QUEUE_PREFIX: letters, digits, - and _ only (BullMQ forbids ':')",
      ].join("\n"),
    );
  });

  it("refuses a Slack pace that is not a whole number of milliseconds up to a minute, naming it", () => {
    expect(() => loadEnv({ SLACK_POST_INTERVAL_MS: "-5" })).toThrow(
      "invalid environment: SLACK_POST_INTERVAL_MS: expected a whole number from 0 to 60000",
    );
    expect(loadEnv({ SLACK_POST_INTERVAL_MS: "20" }).SLACK_POST_INTERVAL_MS).toBe(20);
  });

  it("treats empty values as unset", () => {
    const env = loadEnv({ DATABASE_URL: "", PORT: "" });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(3000);
  });
});
