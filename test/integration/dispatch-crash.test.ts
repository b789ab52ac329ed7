import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCase } from "../../src/store/cases.js";
import { listOutbox } from "../../src/store/outbox.js";
import { eksEvent, eksFindingOf } from "../support/events.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";
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
import { exited, spawnWorker } from "../support/worker-process.js";

/**
 * The outbox promise: a worker killed with SIGKILL after it committed a blocked suppression (the
 * revert is in the outbox) and before any Security Hub call, makes the revert exactly once after
 * the restart, and the redelivered observation adds nothing.
 */
let database: TestDatabase;
let intake: TestService;
let fake: FakeSecurityHub;
const prefix = uniquePrefix();
const children: ReturnType<typeof spawnWorker>[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeSecurityHub();
  intake = await startTestService({
    databaseUrl: database.url,
    queuePrefix: prefix,
    roles: { http: true, worker: false },
  });
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(children.map(exited));
  await intake.stop();
  await deleteQueueKeys(SHARED_REDIS_URL, prefix);
  await database.drop();
  await fake.close();
});

describe("crash between the database commit and the Security Hub call", () => {
  it("the revert is made exactly once after the restart", async () => {
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      WORKFLOWS_DIR: intake.env.WORKFLOWS_DIR,
      WORKER_LOCK_DURATION_MS: "3000",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_SECURITYHUB: fake.url,
      AWS_ACCESS_KEY_ID: "AKIDFAKE",
      AWS_SECRET_ACCESS_KEY: "fake-secret",
    };
    const opened = eksEvent({ kubernetes: "1.35" }, "crash-open");
    const { Id: id, ProductArn } = eksFindingOf(opened);
    fake.seed([{ id, productArn: ProductArn }]);
    fake.recordConsoleUpdate(id, "arn:aws:iam::111111111111:user/bob", "SUPPRESSED");

    // Only the worker runs: it commits the decision and its outbox row; nothing calls Security Hub.
    const worker = spawnWorker(env, "worker");
    children.push(worker);
    expect((await postEvent(intake.url, opened, { apiKey: TEST_API_KEY })).status).toBe(202);
    const suppressed = eksEvent(
      { kubernetes: "1.35", workflowStatus: "SUPPRESSED", processedAt: "2026-11-20T11:00:00.000Z" },
      "crash-suppressed",
    );
    expect((await postEvent(intake.url, suppressed, { apiKey: TEST_API_KEY })).status).toBe(202);
    const pending = await eventually(
      async () => {
        const rows = await listOutbox(intake.service.db, { caseId: id, kind: "securityhub.update" });
        return rows.length > 0 ? rows : undefined;
      },
      30_000,
      "the revert in the outbox",
    );
    worker.kill("SIGKILL");
    await exited(worker);
    expect(pending).toHaveLength(1);
    expect(pending[0]?.status).toBe("pending");
    expect(fake.calls("BatchUpdateFindings")).toHaveLength(0);

    // Restart: the worker again (the killed one's jobs are redelivered) and the dispatcher.
    children.push(spawnWorker(env, "worker"), spawnWorker(env, "dispatcher"));
    await eventually(
      async () => {
        // Security Hub rows only: notifications wait for the Slack dispatcher.
        const rows = (await listOutbox(intake.service.db, { caseId: id })).filter(
          (row) => row.kind !== "notify",
        );
        return rows.length === 2 && rows.every((row) => row.status === "done") ? rows : undefined;
      },
      30_000,
      "the outbox delivered",
    );
    // Give a redelivered job or a second dispatcher round the time to do harm, then count.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const reverts = fake.calls("BatchUpdateFindings");
    expect(reverts).toHaveLength(1);
    expect(reverts[0]?.body).toMatchObject({
      FindingIdentifiers: [{ Id: id, ProductArn }],
      Workflow: { Status: "NOTIFIED" },
    });
    const detail = await getCase(intake.service.db, id);
    expect(detail?.events.filter((event) => event.type === "suppression.blocked")).toHaveLength(1);
    expect(detail?.case.suppression?.suppressedBy).toBe("arn:aws:iam::111111111111:user/bob");
  }, 90_000);
});
