import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SWEEP_SCHEDULER_ID, TIMERS_QUEUE } from "../../src/queue/timers.js";
import { getCase } from "../../src/store/cases.js";
import { asffEvent } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import {
  deleteQueueKeys,
  SHARED_REDIS_URL,
  startTestService,
  TEST_API_KEY,
  type TestService,
  uniquePrefix,
} from "../support/service.js";

/**
 * Durable timers: due times live in cases.next_due_at; a BullMQ job scheduler runs the sweep.
 * Across restarts nothing is lost and nothing fires twice.
 */
let database: TestDatabase;
const prefix = uniquePrefix();
let clock = Date.parse("2026-11-20T10:00:00.000Z");
const FINDING = "arn:test:timers:1";

function start(): Promise<TestService> {
  return startTestService({
    databaseUrl: database.url,
    queuePrefix: prefix,
    roles: { http: true, worker: true },
    env: { WORKER_THREAD: false },
    options: { now: () => new Date(clock) },
  });
}

async function escalations(t: TestService): Promise<number[]> {
  const detail = await getCase(t.service.db, FINDING);
  return (detail?.events ?? []).filter((e) => e.type === "escalated").map((e) => Number(e.data.level));
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await deleteQueueKeys(SHARED_REDIS_URL, prefix);
  await database.drop();
});

describe("timers", () => {
  it("a job scheduler runs the sweep, and the sweep job fires what is due", async () => {
    const t = await start();
    try {
      // HIGH: 30-day SLA from 2026-11-01; 50% was used on 2026-11-16.
      const event = asffEvent({ id: FINDING, severity: "HIGH", controlId: "S3.1" }, "timer-1");
      expect((await postEvent(t.url, event, { apiKey: TEST_API_KEY })).status).toBe(202);
      await eventually(async () => (await getCase(t.service.db, FINDING)) ?? undefined);
      const rows = await t.service.db.query<{ next_due_at: Date }>(
        "SELECT next_due_at FROM cases WHERE id = $1",
        [FINDING],
      );
      expect(rows[0]?.next_due_at.toISOString()).toBe("2026-11-16T00:00:00.000Z");

      const connection = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: null });
      const queue = new Queue(TIMERS_QUEUE, { connection, prefix });
      const events = new QueueEvents(TIMERS_QUEUE, { connection: connection.duplicate(), prefix });
      try {
        const schedulers = await eventually(async () => {
          const list = await queue.getJobSchedulers();
          return list.length > 0 ? list : undefined;
        });
        expect(schedulers).toMatchObject([{ key: SWEEP_SCHEDULER_ID, every: 60_000 }]);
        // What the scheduler adds every minute, added now so the test need not wait for it. The
        // scheduler's own first job may run first; either way the step fires exactly once.
        const job = await queue.add("sweep", {});
        await job.waitUntilFinished(events, 20_000);
        expect(await escalations(t)).toEqual([1]);
        const again = await queue.add("sweep", {});
        expect(((await again.waitUntilFinished(events, 20_000)) as { fired: number }).fired).toBe(0);
      } finally {
        await events.close();
        await queue.close();
        connection.disconnect();
      }
    } finally {
      await t.stop();
    }
  });

  it("after a restart, a due step fires once, and later sweeps (and restarts) fire nothing more", async () => {
    clock = Date.parse("2026-11-23T13:00:00.000Z"); // 75% of the SLA used; the service was down meanwhile
    let t = await start();
    try {
      expect((await t.service.sweep()).fired).toBe(1);
      expect((await t.service.sweep()).fired).toBe(0);
    } finally {
      await t.stop();
    }
    t = await start();
    try {
      expect((await t.service.sweep()).fired).toBe(0);
      expect(await escalations(t)).toEqual([1, 2]);
      clock = Date.parse("2026-12-02T00:00:00.000Z"); // past the deadline: the breach step
      expect((await t.service.sweep()).fired).toBe(1);
      expect((await getCase(t.service.db, FINDING))?.case.status).toBe("breached");
      const next = await t.service.db.query("SELECT next_due_at FROM cases WHERE id = $1", [FINDING]);
      expect(next[0]?.next_due_at).toBeNull(); // the ladder is done: nothing left to wake up for
    } finally {
      await t.stop();
    }
  });
});
