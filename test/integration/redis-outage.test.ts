import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "../../src/demo/redis-server.js";
import { SWEEP_SCHEDULER_ID, TIMERS_QUEUE } from "../../src/queue/timers.js";
import { getCase } from "../../src/store/cases.js";
import { asffEvent } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { startTestService, TEST_API_KEY, type TestService } from "../support/service.js";

// This test stops Redis, so it runs its own redis-server and never touches the shared one.
let redis: PrivateRedis;
let t: TestService;

beforeAll(async () => {
  redis = await startPrivateRedis();
  t = await startTestService({ store: "postgres", redisUrl: redis.url });
});
afterAll(async () => {
  await t.stop();
  await redis.stop();
});

describe("Redis outage", () => {
  it("answers 503 while Redis is down, fails /readyz, and accepts and processes the same event once it is back", async () => {
    const id = "arn:test:during-outage";
    const event = asffEvent({ id }, "bbbbbbbb-0000-0000-0000-000000000001");
    const port = redis.port;
    await redis.stop();

    const during = await postEvent(t.url, event, { apiKey: TEST_API_KEY });
    expect(during.status).toBe(503);
    expect(during.body).toEqual({
      error: "queue_unavailable",
      message: "the queue is unavailable; retry later",
    });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(503);
    const readiness = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
    expect(readiness.checks.find((c) => c.name === "redis")?.ok).toBe(false);
    expect(readiness.checks.find((c) => c.name === "database")?.ok).toBe(true);

    redis = await startPrivateRedis(port);
    // EventBridge retries the same event; once Redis reconnects it is accepted.
    const after = await eventually(
      async () => {
        const response = await postEvent(t.url, event, { apiKey: TEST_API_KEY });
        return response.status === 202 ? response : undefined;
      },
      20_000,
      "202 after Redis came back",
    );
    expect(after.body.accepted).toBe(1);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    const detail = await eventually(
      async () => (await getCase(t.service.db, id)) ?? undefined,
      20_000,
      "the case",
    );
    expect(detail.events.filter((e) => e.type === "finding.observed")).toHaveLength(1);
  });

  it("a Redis that comes back without its data gets the timer schedule back, without a restart", async () => {
    const port = redis.port;
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    connection.on("error", () => {}); // this test stops Redis under it
    const schedulers = async () => {
      const queue = new Queue(TIMERS_QUEUE, { connection, prefix: t.env.QUEUE_PREFIX });
      try {
        return await queue.getJobSchedulers();
      } finally {
        await queue.close();
      }
    };
    await eventually(
      async () => ((await schedulers()).length === 1 ? true : undefined),
      20_000,
      "the schedule",
    );
    connection.disconnect();
    await redis.stop();
    redis = await startPrivateRedis(port); // an empty Redis: no persistence
    const back = new Redis(redis.url, { maxRetriesPerRequest: null });
    back.on("error", () => {});
    try {
      const list = await eventually(
        async () => {
          const queue = new Queue(TIMERS_QUEUE, { connection: back, prefix: t.env.QUEUE_PREFIX });
          try {
            const found = await queue.getJobSchedulers();
            return found.length === 1 ? found : undefined;
          } finally {
            await queue.close();
          }
        },
        20_000,
        "the schedule registered again",
      );
      expect(list[0]).toMatchObject({ key: SWEEP_SCHEDULER_ID });
    } finally {
      back.disconnect();
    }
  });
});
