import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseEnvelope } from "../../src/intake/envelope.js";
import { createSecurityHubClient } from "../../src/securityhub/client.js";
import { SecurityHubDispatcher } from "../../src/securityhub/dispatcher.js";
import { createRateLimiter } from "../../src/securityhub/rate-limiter.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { getCase } from "../../src/store/cases.js";
import type { Database } from "../../src/store/database.js";
import { listOutbox } from "../../src/store/outbox.js";
import { actAs } from "../support/act.js";
import { examplePolicy } from "../support/engine.js";
import { asffEvent, eksOcsfEvent } from "../support/events.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";
import { storePerFile } from "../support/stores.js";

/** The outbox delivered to the fake Security Hub through the real SDK. */
const policy = examplePolicy();
const now = () => new Date("2026-11-21T12:00:00.000Z");
const PRODUCT = "arn:aws:securityhub:us-east-1::product/aws/securityhub";

let db: Database;
const stores = storePerFile("pglite");
let fake: FakeSecurityHub;

beforeAll(async () => {
  fake = await startFakeSecurityHub();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  db = await stores.fresh();
  fake.requests.length = 0;
});
afterAll(async () => stores.close());

function dispatcher(options: { dryRun?: boolean; onCall?: (call: { operation: string }) => void } = {}) {
  return new SecurityHubDispatcher({
    db,
    policy,
    client: options.dryRun
      ? null
      : createSecurityHubClient({
          endpoint: fake.url,
          region: "us-east-1",
          maxAttempts: 1,
          credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
        }),
    logger: pino({ level: "silent" }),
    now,
    limiter: createRateLimiter({ ratePerSecond: 1_000, burst: 1_000 }),
    ...(options.onCall ? { onCall: options.onCall } : {}),
  });
}

/** Findings first seen SUPPRESSED: each one's case is blocked at once (a revert and a lookup each). */
async function suppressedFindings(count: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, index) => `arn:test:${prefix}:${index}`);
  const observations = ids.map((id, index) => {
    const parsed = parseEnvelope(asffEvent({ id, workflowStatus: "SUPPRESSED" }, `${prefix}-${index}`));
    if (!parsed.ok || !parsed.observations[0]) throw new Error("fixture did not parse");
    return parsed.observations[0];
  });
  await observeFindings(db, policy, observations, now);
  return ids;
}

describe("Security Hub dispatcher", () => {
  it("batches 250 reverts that share a note into 3 BatchUpdateFindings calls of at most 100, then names the suppressors", async () => {
    const ids = await suppressedFindings(250, "batch");
    fake.seed(ids.map((id) => ({ id, productArn: PRODUCT })));
    fake.recordConsoleUpdate(ids[7] as string, "arn:aws:iam::111111111111:user/carol", "SUPPRESSED");
    await dispatcher().drain();
    const calls = fake.calls("BatchUpdateFindings");
    expect(calls.map((call) => call.body.FindingIdentifiers.length)).toEqual([100, 100, 50]);
    expect(ids.every((id) => fake.finding(id)?.workflowStatus === "NOTIFIED")).toBe(true);
    const rows = await listOutbox(db, { kind: "securityhub.update" });
    expect(rows.every((row) => row.status === "done")).toBe(true);
    expect(fake.calls("GetFindingHistory")).toHaveLength(250);
    expect((await getCase(db, ids[7] as string))?.case.suppression?.suppressedBy).toBe(
      "arn:aws:iam::111111111111:user/carol",
    );
  });

  it("retries throttling and UnprocessedFindings until every revert is made", async () => {
    const ids = await suppressedFindings(3, "retry");
    fake.seed(ids.map((id) => ({ id, productArn: PRODUCT, workflowStatus: "SUPPRESSED" as const })));
    fake.fail({
      kind: "throttle",
      times: 2,
      operation: "BatchUpdateFindings",
      errorType: "LimitExceededException",
    });
    fake.fail({
      kind: "unprocessed",
      findingIds: [ids[1] as string],
      errorCode: "ConcurrentUpdateError",
      times: 1,
    });
    await dispatcher().drain();
    expect(ids.map((id) => fake.finding(id)?.workflowStatus)).toEqual(["NOTIFIED", "NOTIFIED", "NOTIFIED"]);
    expect(fake.calls("BatchUpdateFindings").length).toBeGreaterThanOrEqual(4);
    expect((await listOutbox(db, { kind: "securityhub.update" })).map((row) => row.status)).toEqual([
      "done",
      "done",
      "done",
    ]);
  });

  it("records a permanent failure as an audit event on the case and tells the owner", async () => {
    const [id] = await suppressedFindings(1, "gone"); // not seeded: Security Hub answers FindingNotFound
    await dispatcher().drain();
    const [row] = await listOutbox(db, { kind: "securityhub.update" });
    expect(row?.status).toBe("failed");
    expect(row?.lastError).toContain("FindingNotFound");
    const detail = await getCase(db, id as string);
    const failed = detail?.events.find((event) => event.type === "effect.failed");
    expect(failed?.data).toMatchObject({ effect: "securityhub.update:revert_suppression" });
    const told = (await listOutbox(db, { kind: "notify" })).map((r) => r.payload);
    expect(told).toContainEqual(expect.objectContaining({ topic: "effect.failed", teams: ["security"] }));
  });

  it("uses BatchUpdateFindingsV2 for OCSF findings", async () => {
    const event = eksOcsfEvent() as { detail: { findings: Record<string, unknown>[] } };
    const finding = event.detail.findings[0] as Record<string, unknown>;
    finding.status_id = 3;
    finding.status = "Suppressed";
    const parsed = parseEnvelope(event);
    if (!parsed.ok || !parsed.observations[0]) throw new Error("fixture did not parse");
    const ocsf = parsed.observations[0].finding;
    await observeFindings(db, policy, parsed.observations, now);
    fake.seed([{ id: ocsf.id, productArn: ocsf.productArn, accountId: ocsf.accountId, format: "ocsf" }]);
    await dispatcher().drain();
    const [call] = fake.calls("BatchUpdateFindingsV2");
    expect(call?.body).toMatchObject({
      FindingIdentifiers: [
        { FindingInfoUid: ocsf.id, MetadataProductUid: ocsf.productArn, CloudAccountUid: ocsf.accountId },
      ],
      StatusId: 2,
    });
    expect(call?.body.Comment).toContain("suppression blocked");
    expect(fake.calls("BatchUpdateFindings")).toHaveLength(0);
  });

  it("in dry-run mode logs the calls it would make, sends nothing, and still closes the loop", async () => {
    const [id] = await suppressedFindings(1, "dry");
    const seen: string[] = [];
    await dispatcher({ dryRun: true, onCall: (call) => seen.push(call.operation) }).drain();
    expect(seen).toEqual(["BatchUpdateFindings", "GetFindingHistory"]);
    expect(fake.requests).toHaveLength(0);
    expect((await listOutbox(db)).filter((r) => r.kind !== "notify").map((r) => r.status)).toEqual([
      "dry_run",
      "dry_run",
    ]);
    const detail = await getCase(db, id as string);
    expect(detail?.events.at(-1)).toMatchObject({
      type: "suppression.attributed",
      data: { suppressedBy: null },
    });
  });
});

describe("Security Hub dispatcher: who suppressed it, in a dry run", () => {
  it("names whom the suppressing version's note names, marked as the note's word, in the audit log and the message", async () => {
    const id = "arn:test:dry-note:0";
    const person = "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/alice";
    const event = asffEvent({ id, workflowStatus: "SUPPRESSED" }, "dry-note-0") as unknown as {
      detail: { findings: Record<string, unknown>[] };
    };
    const first = event.detail.findings[0];
    if (first)
      first.Note = {
        Text: "Will upgrade next quarter",
        UpdatedBy: person,
        UpdatedAt: "2026-11-20T10:00:00Z",
      };
    const parsed = parseEnvelope(event);
    if (!parsed.ok || !parsed.observations[0]) throw new Error("fixture did not parse");
    await observeFindings(db, policy, [parsed.observations[0]], now);
    await dispatcher({ dryRun: true }).drain();
    expect(fake.requests).toHaveLength(0);
    const detail = await getCase(db, id);
    expect(detail?.events.at(-1)).toMatchObject({
      type: "suppression.attributed",
      reason: `dry run: GetFindingHistory was not called; the finding's note names ${person}`,
      data: { suppressedBy: person, suppressedByType: "FINDING_NOTE" },
    });
    const notify = (await listOutbox(db, { caseId: id, kind: "notify" })).map((row) => row.payload);
    expect(notify.at(-1)).toMatchObject({
      topic: "suppression.blocked",
      text: expect.stringMatching(
        /^Suppression blocked: arn:aws:sts::111111111111:assumed-role\/PlatformAdmin\/alice \(named by the finding's note, not confirmed by GetFindingHistory\) set /,
      ),
    });
  });
});

describe("Security Hub dispatcher: order of updates", () => {
  it("an older update still waiting to retry is superseded by a newer one for the same finding, so the newer status stands", async () => {
    const [id] = await suppressedFindings(1, "order");
    const findingId = id as string;
    fake.seed([{ id: findingId, productArn: PRODUCT }]);
    // The revert is waiting for a retry (as after a ConcurrentUpdateError) ...
    await db.query("UPDATE outbox SET available_at = $1, attempts = 1 WHERE kind = 'securityhub.update'", [
      "2026-11-21T13:00:00.000Z",
    ]);
    // ... when an exception is requested and approved: the bot is to set SUPPRESSED.
    await actAs(
      db,
      policy,
      findingId,
      {
        type: "human",
        action: "exception_request",
        user: "U0SAM",
        team: "security",
        justification: "x",
        expiresAt: "2026-12-10T00:00:00.000Z",
      },
      now,
    );
    const approved = await actAs(
      db,
      policy,
      findingId,
      { type: "human", action: "exception_approve", user: "U0PAT", team: "platform", reason: null },
      now,
    );
    expect(approved.rejection).toBeNull();
    await db.query("UPDATE outbox SET available_at = $1", ["2026-11-21T11:00:00.000Z"]);
    await dispatcher().drain();
    const calls = fake.calls("BatchUpdateFindings");
    expect(calls.map((call) => call.body.Workflow.Status)).toEqual(["SUPPRESSED"]);
    expect(fake.finding(findingId)?.workflowStatus).toBe("SUPPRESSED");
    const updates = await listOutbox(db, { kind: "securityhub.update" });
    expect(
      updates.map((row) => [row.payload.kind === "securityhub.update" && row.payload.purpose, row.status]),
    ).toEqual([
      ["revert_suppression", "superseded"],
      ["apply_exception", "done"],
    ]);
  });
});
