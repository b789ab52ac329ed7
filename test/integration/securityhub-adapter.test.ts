import type { SecurityHubClient } from "@aws-sdk/client-securityhub";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  classifyError,
  NOTE_MAX_LENGTH,
  type SecurityHubCall,
  sendWorkflowUpdates,
  type WorkflowUpdate,
} from "../../src/securityhub/batch-update.js";
import { createSecurityHubClient } from "../../src/securityhub/client.js";
import { findSuppressor } from "../../src/securityhub/history.js";
import { createRateLimiter, type RateLimiter, TokenBucket } from "../../src/securityhub/rate-limiter.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";

const PRODUCT = "arn:aws:securityhub:us-east-1::product/aws/securityhub";
const ACCOUNT = "111111111111";
const BOT = "arn:aws:sts::111111111111:assumed-role/shgov/bot";
const ALICE = "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/alice";
const CREDENTIALS = { accessKeyId: "AKIDFAKEFAKEFAKE", secretAccessKey: "fake-secret" };

const findingId = (n: number) =>
  `arn:aws:securityhub:us-east-1:${ACCOUNT}:security-control/EKS.2/finding/f-${n}`;

function update(n: number, overrides: Partial<WorkflowUpdate> = {}): WorkflowUpdate {
  return {
    id: `outbox-${n}`,
    findingId: findingId(n),
    productArn: PRODUCT,
    format: "asff",
    accountId: ACCOUNT,
    workflowStatus: "NOTIFIED",
    note: "Suppression blocked: no approved exception. Request one in Slack.",
    ...overrides,
  };
}

/** Counts takes without waiting, so tests run at full speed and can check every request went through it. */
function countingLimiter(): RateLimiter & { takes: number } {
  const limiter = {
    takes: 0,
    take: async () => {
      limiter.takes += 1;
    },
  };
  return limiter;
}

describe("Security Hub adapter, through the AWS SDK against the fake", () => {
  let fake: FakeSecurityHub;
  let client: SecurityHubClient;
  let limiter: ReturnType<typeof countingLimiter>;
  let slept: number[];
  let calls: SecurityHubCall[];

  const options = (extra: Partial<Parameters<typeof sendWorkflowUpdates>[2]> = {}) => ({
    limiter,
    noteAuthor: "shgov",
    backoffMs: (retry: number) => retry * 100,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
    onCall: (call: SecurityHubCall) => {
      calls.push(call);
    },
    ...extra,
  });

  beforeEach(async () => {
    fake = await startFakeSecurityHub({ callerIdentity: BOT });
    // One attempt per SDK call, so every HTTP request here is one of ours and counts are exact.
    client = createSecurityHubClient({
      endpoint: fake.url,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: CREDENTIALS,
    });
    limiter = countingLimiter();
    slept = [];
    calls = [];
  });

  afterEach(async () => {
    client.destroy();
    await fake.close();
  });

  it("reverts a suppression with the right identifiers, workflow status and note", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT, workflowStatus: "SUPPRESSED" }]);

    const outcomes = await sendWorkflowUpdates(client, [update(1)], options());

    expect(outcomes).toEqual([{ id: "outbox-1", ok: true }]);
    const [request] = fake.calls("BatchUpdateFindings");
    expect(request?.method).toBe("PATCH");
    expect(request?.path).toBe("/findings/batchupdate");
    expect(request?.body).toEqual({
      FindingIdentifiers: [{ Id: findingId(1), ProductArn: PRODUCT }],
      Workflow: { Status: "NOTIFIED" },
      Note: { Text: "Suppression blocked: no approved exception. Request one in Slack.", UpdatedBy: "shgov" },
    });
    expect(calls).toEqual([{ operation: "BatchUpdateFindings", input: request?.body }]);
    expect(limiter.takes).toBe(1);
    expect(fake.finding(findingId(1))?.workflowStatus).toBe("NOTIFIED");
  });

  it("sends 250 updates sharing status and note as 3 requests of at most 100", async () => {
    const updates = Array.from({ length: 250 }, (_, i) => update(i));
    fake.seed(updates.map((u) => ({ id: u.findingId, productArn: PRODUCT })));

    const outcomes = await sendWorkflowUpdates(client, updates, options());

    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(outcomes.map((o) => o.id)).toEqual(updates.map((u) => u.id));
    const sizes = fake.calls("BatchUpdateFindings").map((r) => r.body.FindingIdentifiers.length);
    expect(sizes).toEqual([100, 100, 50]);
    expect(limiter.takes).toBe(3);
  });

  it("splits requests by status and note, and merges repeated rows for one finding", async () => {
    fake.seed([1, 2, 3].map((n) => ({ id: findingId(n), productArn: PRODUCT })));
    const updates = [
      update(1),
      update(2, { workflowStatus: "RESOLVED", note: "Resolved after upgrade." }),
      update(3),
      { ...update(1), id: "outbox-1-again" },
    ];

    const outcomes = await sendWorkflowUpdates(client, updates, options());

    expect(outcomes).toEqual(updates.map((u) => ({ id: u.id, ok: true })));
    const bodies = fake.calls("BatchUpdateFindings").map((r) => r.body);
    expect(bodies.map((b) => [b.Workflow.Status, b.FindingIdentifiers.length])).toEqual([
      ["NOTIFIED", 2],
      ["RESOLVED", 1],
    ]);
  });

  it("retries a throttled request after backoff and completes", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);
    fake.fail({ kind: "throttle", times: 2, operation: "BatchUpdateFindings" });

    const outcomes = await sendWorkflowUpdates(client, [update(1)], options());

    expect(outcomes).toEqual([{ id: "outbox-1", ok: true }]);
    expect(fake.calls("BatchUpdateFindings")).toHaveLength(3);
    expect(slept).toEqual([100, 200]);
    expect(limiter.takes).toBe(3);
  });

  it("treats LimitExceededException (how BatchUpdateFindings throttles) and 5xx as retryable", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);
    fake.fail({ kind: "throttle", times: 1, errorType: "LimitExceededException" });
    fake.fail({ kind: "server-error", times: 1, status: 503, errorType: "ServiceUnavailableException" });

    const outcomes = await sendWorkflowUpdates(client, [update(1)], options());

    expect(outcomes).toEqual([{ id: "outbox-1", ok: true }]);
    expect(fake.calls("BatchUpdateFindings")).toHaveLength(3);
  });

  it("reports still-throttled updates as retryable after maxRounds", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);
    fake.fail({ kind: "throttle", times: 10 });

    const [outcome] = await sendWorkflowUpdates(client, [update(1)], options({ maxRounds: 3 }));

    expect(outcome).toMatchObject({ id: "outbox-1", ok: false, retryable: true });
    expect(outcome?.ok === false && outcome.error).toMatch(
      /ThrottlingException \(HTTP 429\).*after 3 rounds/,
    );
    expect(fake.calls("BatchUpdateFindings")).toHaveLength(3);
  });

  it("lets the SDK's own retry absorb a single throttle within one call", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);
    fake.fail({ kind: "throttle", times: 1 });
    const retrying = createSecurityHubClient({ endpoint: fake.url, credentials: CREDENTIALS });
    try {
      const outcomes = await sendWorkflowUpdates(retrying, [update(1)], options());
      expect(outcomes).toEqual([{ id: "outbox-1", ok: true }]);
      expect(calls).toHaveLength(1);
      expect(fake.calls("BatchUpdateFindings").map((r) => r.attempt)).toEqual([
        "attempt=1; max=3",
        "attempt=2; max=3",
      ]);
    } finally {
      retrying.destroy();
    }
  });

  it("retries only the findings reported as ConcurrentUpdateError, to completion", async () => {
    fake.seed([1, 2, 3].map((n) => ({ id: findingId(n), productArn: PRODUCT })));
    fake.fail({
      kind: "unprocessed",
      findingIds: [findingId(2), findingId(3)],
      errorCode: "ConcurrentUpdateError",
      times: 2,
    });

    const outcomes = await sendWorkflowUpdates(client, [update(1), update(2), update(3)], options());

    expect(outcomes.every((o) => o.ok)).toBe(true);
    const sent = fake
      .calls("BatchUpdateFindings")
      .map((r) => r.body.FindingIdentifiers.map((i: { Id: string }) => i.Id));
    expect(sent).toEqual([
      [findingId(1), findingId(2), findingId(3)],
      [findingId(2), findingId(3)],
      [findingId(2), findingId(3)],
    ]);
    expect(slept).toEqual([100, 200]);
  });

  it("reports FindingNotFound as permanent and does not retry it", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);

    const outcomes = await sendWorkflowUpdates(client, [update(1), update(404)], options());

    expect(outcomes[0]).toEqual({ id: "outbox-1", ok: true });
    expect(outcomes[1]).toMatchObject({ id: "outbox-404", ok: false, retryable: false });
    expect(outcomes[1]?.ok === false && outcomes[1].error).toMatch(/^FindingNotFound/);
    expect(fake.calls("BatchUpdateFindings")).toHaveLength(1);
    expect(slept).toEqual([]);
  });

  it("reports AccessDenied for the whole request as permanent", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);
    fake.fail({
      kind: "error",
      times: 1,
      status: 403,
      errorType: "AccessDeniedException",
      message: "not allowed",
    });

    const [outcome] = await sendWorkflowUpdates(client, [update(1)], options());

    expect(outcome).toEqual({
      id: "outbox-1",
      ok: false,
      retryable: false,
      error: "AccessDeniedException (HTTP 403): not allowed",
    });
    expect(fake.calls("BatchUpdateFindings")).toHaveLength(1);
  });

  it("updates OCSF findings with BatchUpdateFindingsV2: OCSF identifiers, StatusId and Comment", async () => {
    fake.seed([
      {
        id: "ocsf-uid-1",
        productArn: PRODUCT,
        accountId: ACCOUNT,
        format: "ocsf",
        workflowStatus: "SUPPRESSED",
      },
      { id: findingId(2), productArn: PRODUCT },
    ]);
    const updates = [update(1, { format: "ocsf", findingId: "ocsf-uid-1" }), update(2)];

    const outcomes = await sendWorkflowUpdates(client, updates, options());

    expect(outcomes).toEqual([
      { id: "outbox-1", ok: true },
      { id: "outbox-2", ok: true },
    ]);
    const [v2] = fake.calls("BatchUpdateFindingsV2");
    expect(v2?.method).toBe("PATCH");
    expect(v2?.path).toBe("/findingsv2/batchupdatev2");
    expect(v2?.body).toEqual({
      FindingIdentifiers: [
        { CloudAccountUid: ACCOUNT, FindingInfoUid: "ocsf-uid-1", MetadataProductUid: PRODUCT },
      ],
      StatusId: 2,
      Comment: "Suppression blocked: no approved exception. Request one in Slack.",
    });
    expect(fake.calls("BatchUpdateFindings")).toHaveLength(1);
    expect(fake.finding("ocsf-uid-1")?.workflowStatus).toBe("NOTIFIED");
  });

  it("retries V2 ConflictException per finding and treats ResourceNotFoundException as permanent", async () => {
    fake.seed([{ id: "ocsf-uid-1", productArn: PRODUCT, format: "ocsf" }]);
    fake.fail({ kind: "unprocessed", findingIds: ["ocsf-uid-1"], errorCode: "ConflictException", times: 1 });
    const updates = [
      update(1, { format: "ocsf", findingId: "ocsf-uid-1" }),
      update(2, { format: "ocsf", findingId: "ocsf-missing" }),
    ];

    const outcomes = await sendWorkflowUpdates(client, updates, options());

    expect(outcomes[0]).toEqual({ id: "outbox-1", ok: true });
    expect(outcomes[1]).toMatchObject({ ok: false, retryable: false });
    expect(fake.calls("BatchUpdateFindingsV2")).toHaveLength(2);
  });

  it("cuts a note longer than 512 characters with an ellipsis instead of sending it invalid", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);

    const outcomes = await sendWorkflowUpdates(client, [update(1, { note: "x".repeat(600) })], options());

    expect(outcomes).toEqual([{ id: "outbox-1", ok: true }]);
    const text: string = fake.calls("BatchUpdateFindings")[0]?.body.Note.Text;
    expect(text).toHaveLength(NOTE_MAX_LENGTH);
    expect(text.endsWith("…")).toBe(true);
  });

  it("finds who suppressed in the console from GetFindingHistory, across 2 pages", async () => {
    await fake.close();
    fake = await startFakeSecurityHub({ callerIdentity: BOT, historyPageSize: 2 });
    client.destroy();
    client = createSecurityHubClient({ endpoint: fake.url, maxAttempts: 1, credentials: CREDENTIALS });
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);
    fake.recordConsoleUpdate(findingId(1), ALICE, "SUPPRESSED");
    await sendWorkflowUpdates(client, [update(1)], options());
    await sendWorkflowUpdates(
      client,
      [update(1, { note: "Reminder: request an exception in Slack." })],
      options(),
    );
    // Newest first: [note change, revert] then [alice's suppression, creation].

    const suppressor = await findSuppressor(
      client,
      { findingId: findingId(1), productArn: PRODUCT },
      limiter,
    );

    expect(suppressor).toEqual({
      identity: ALICE,
      identityType: "BATCH_UPDATE_FINDINGS",
      at: fake.finding(findingId(1))?.history[1]?.UpdateTime,
    });
    const pages = fake.calls("GetFindingHistory");
    expect(pages).toHaveLength(2);
    expect(pages[0]?.method).toBe("POST");
    expect(pages[0]?.path).toBe("/findingHistory/get");
    expect(pages[0]?.body.FindingIdentifier).toEqual({ Id: findingId(1), ProductArn: PRODUCT });
    expect(pages[1]?.body.NextToken).toEqual(expect.any(String));
  });

  it("picks the most recent suppression and honours the time window", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);
    fake.recordConsoleUpdate(findingId(1), "arn:aws:iam::111111111111:user/bob", "SUPPRESSED");
    await sendWorkflowUpdates(client, [update(1)], options());
    fake.recordConsoleUpdate(findingId(1), ALICE, "SUPPRESSED");
    const history = fake.finding(findingId(1))?.history ?? [];
    const aliceAt = history.at(-1)?.UpdateTime;

    const latest = await findSuppressor(client, { findingId: findingId(1), productArn: PRODUCT }, limiter);
    expect(latest.identity).toBe(ALICE);

    const before = await findSuppressor(
      client,
      { findingId: findingId(1), productArn: PRODUCT, until: history[2]?.UpdateTime },
      limiter,
    );
    expect(before.identity).toBe("arn:aws:iam::111111111111:user/bob");
    expect(Date.parse(fake.calls("GetFindingHistory").at(-1)?.body.EndTime)).toBe(
      Date.parse(history[2]?.UpdateTime ?? ""),
    );
    expect(aliceAt).toEqual(latest.at);
  });

  it("answers nulls when nobody suppressed the finding", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);
    await sendWorkflowUpdates(client, [update(1)], options());

    const suppressor = await findSuppressor(
      client,
      { findingId: findingId(1), productArn: PRODUCT },
      limiter,
    );

    expect(suppressor).toEqual({ identity: null, identityType: null, at: null });
  });

  it("reaches the fake through AWS_ENDPOINT_URL_SECURITYHUB when no endpoint is given", async () => {
    fake.seed([{ id: findingId(1), productArn: PRODUCT }]);
    vi.stubEnv("AWS_ENDPOINT_URL_SECURITYHUB", fake.url);
    const fromEnv = createSecurityHubClient({ maxAttempts: 1, credentials: CREDENTIALS });
    try {
      const outcomes = await sendWorkflowUpdates(fromEnv, [update(1)], options());
      expect(outcomes).toEqual([{ id: "outbox-1", ok: true }]);
    } finally {
      fromEnv.destroy();
      vi.unstubAllEnvs();
    }
  });
});

describe("token bucket rate limiter", () => {
  function fakeClock() {
    const clock = {
      now: 0,
      sleeps: [] as number[],
      sleep: async (ms: number) => {
        clock.sleeps.push(ms);
      },
    };
    return clock;
  }

  it("lets a burst through, then spaces requests at the rate", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({
      ratePerSecond: 10,
      burst: 10,
      now: () => clock.now,
      sleep: clock.sleep,
    });

    for (let i = 0; i < 10; i++) await bucket.take();
    expect(clock.sleeps).toEqual([]);

    // Three callers at once on an empty bucket queue up one interval apart.
    await Promise.all([bucket.take(), bucket.take(), bucket.take()]);
    expect(clock.sleeps.map((ms) => Math.round(ms))).toEqual([100, 200, 300]);
  });

  it("refills with time, never beyond the burst", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5, now: () => clock.now, sleep: clock.sleep });
    for (let i = 0; i < 5; i++) await bucket.take();

    clock.now += 250; // earns 2.5 tokens
    await bucket.take();
    await bucket.take();
    expect(clock.sleeps).toEqual([]);
    await bucket.take();
    expect(clock.sleeps.map((ms) => Math.round(ms))).toEqual([50]);

    clock.now += 60_000; // a long quiet spell still only refills the burst
    for (let i = 0; i < 5; i++) await bucket.take();
    await bucket.take();
    expect(clock.sleeps.map((ms) => Math.round(ms))).toEqual([50, 100]);
  });

  it("rejects a rate or burst that could never let a request through", () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ burst: 0.5 })).toThrow(RangeError);
  });
});

describe("a Security Hub that never answers", () => {
  it("times the call out instead of waiting for ever, and the error is retryable", async () => {
    const { createServer } = await import("node:http");
    const silent = createServer(() => {}).listen(0, "127.0.0.1");
    await new Promise((resolve) => silent.once("listening", resolve));
    const port = (silent.address() as { port: number }).port;
    const client = createSecurityHubClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      maxAttempts: 1,
      requestTimeoutMs: 300,
      credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
    });
    try {
      const error = await findSuppressor(
        client,
        { findingId: "f", productArn: "p" },
        createRateLimiter(),
      ).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe("TimeoutError");
      expect(classifyError(error).retryable).toBe(true);
    } finally {
      client.destroy();
      silent.closeAllConnections();
      silent.close();
    }
  });
});
