import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { NotifyEffect } from "../../src/engine/effects.js";
import { latestSuppressingCall } from "../../src/store/api-calls.js";
import { getCase } from "../../src/store/cases.js";
import { listOutbox } from "../../src/store/outbox.js";
import { eksOcsfEvent, REPO_ROOT, readJson } from "../support/events.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";
import { eventually, postEvent } from "../support/http.js";
import { startTestService, TEST_API_KEY, type TestService } from "../support/service.js";

/**
 * Who suppressed an OCSF finding, for which Security Hub keeps no history: the CloudTrail event of
 * the console's BatchUpdateFindingsV2 names the caller, whichever of it and the finding's event
 * arrives first. Real intake, queue, worker, store and Security Hub dispatcher, against the fake.
 */
const ALICE = "arn:aws:sts::222222222222:assumed-role/PlatformAdmin/alice";
const PRODUCT = "arn:aws:securityhub:eu-west-1::productv2/aws/securityhub";
const cloudTrailSample = () =>
  readJson(join(REPO_ROOT, "examples/cloudtrail/01-batch-update-findings-v2-suppress.synthetic.json"));

// biome-ignore lint/suspicious/noExplicitAny: events are edited freely
type Json = any;

/** The OCSF example with its own finding id, optionally Suppressed later on. */
function ocsfEvent(findingId: string, suppressed: boolean, eventId: string): Json {
  const event: Json = eksOcsfEvent();
  event.id = eventId;
  const finding = event.detail.findings[0];
  finding.finding_info.uid = findingId;
  if (suppressed) {
    finding.status = "Suppressed";
    finding.status_id = 3;
    event.time = "2026-11-18T10:31:30Z";
  }
  return event;
}

/** The console's suppression of `findingId`, as CloudTrail delivers it through EventBridge. */
function consoleSuppression(findingId: string, eventId: string): Json {
  const event: Json = cloudTrailSample();
  event.detail.eventID = eventId;
  event.detail.requestParameters.FindingIdentifiers[0].FindingInfoUid = findingId;
  event.detail.responseElements.ProcessedFindings[0].FindingInfoUid = findingId;
  return event;
}

let fake: FakeSecurityHub;
let service: TestService;

async function post(event: unknown): Promise<void> {
  const result = await postEvent(service.url, event, { apiKey: TEST_API_KEY });
  expect(result.status, JSON.stringify(result.body)).toBe(202);
}

async function attributions(id: string) {
  const events = (await getCase(service.service.db, id))?.events ?? [];
  // Audit rows: the actor beside the event's own fields.
  return events
    .filter((event) => event.type === "suppression.attributed")
    .map((event: Json) => ({ actor: event.actor, ...event.data })) as Json[];
}

async function blockedNotices(id: string): Promise<string[]> {
  const rows = await listOutbox(service.service.db, { caseId: id, kind: "notify" });
  return rows
    .map((row) => row.payload as NotifyEffect)
    .filter((n) => n.topic === "suppression.blocked")
    .map((n) => n.text);
}

beforeAll(async () => {
  fake = await startFakeSecurityHub({ callerIdentity: "arn:aws:sts::222222222222:assumed-role/shgov/bot" });
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDFAKE");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "fake-secret");
  service = await startTestService({
    store: "pglite",
    roles: { http: true, worker: true, dispatcher: true },
    env: { AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_SECURITYHUB: fake.url, WORKER_THREAD: false },
  });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await service?.stop();
  await fake?.close();
});

const findingId = (n: number) =>
  `arn:aws:securityhub:eu-west-1:222222222222:security-control/EKS.2/finding/cloudtrail-${n}`;

describe("who suppressed an OCSF finding, from CloudTrail", () => {
  it("finding event first: the block is announced, then CloudTrail names the caller, with the comment they wrote", async () => {
    const id = findingId(1);
    fake.seed([
      { id, productArn: PRODUCT, accountId: "222222222222", format: "ocsf", workflowStatus: "SUPPRESSED" },
    ]);
    await post(ocsfEvent(id, false, "ct-1-new"));
    await eventually(async () => (await getCase(service.service.db, id)) ?? undefined);
    await post(ocsfEvent(id, true, "ct-1-suppressed"));
    // Without history for OCSF, the first attribution names nobody.
    const first = await eventually(async () => (await attributions(id))[0], 20_000, "the first attribution");
    expect(first.suppressedBy).toBeNull();

    await post(consoleSuppression(id, "trail-1"));
    const named = await eventually(
      async () => (await attributions(id))[1],
      20_000,
      "CloudTrail's attribution",
    );
    expect(named).toMatchObject({
      actor: "aws:cloudtrail",
      suppressedBy: ALICE,
      suppressedByType: "CLOUDTRAIL",
      suppressedAt: "2026-11-18T10:31:02.000Z",
      caller: {
        arn: ALICE,
        type: "AssumedRole",
        sessionIssuer: "arn:aws:iam::222222222222:role/PlatformAdmin",
        sourceIp: "203.0.113.24",
      },
      note: "upgrade planned next quarter",
    });
    const notices = await blockedNotices(id);
    expect(notices).toHaveLength(2);
    expect(notices[1]).toContain(
      `CloudTrail names who did it: Suppression blocked: ${ALICE} (AssumedRole of arn:aws:iam::222222222222:role/PlatformAdmin, from 203.0.113.24) set`,
    );
    expect(notices[1]).toContain('with the note "upgrade planned next quarter"');
    expect((await getCase(service.service.db, id))?.case.suppression?.suppressedBy).toBe(ALICE);

    // The same CloudTrail event delivered again changes nothing.
    await post(consoleSuppression(id, "trail-1"));
    expect(await attributions(id)).toHaveLength(2);
  });

  it("CloudTrail first: the block is announced once, naming the caller, without asking the history", async () => {
    const id = findingId(2);
    fake.seed([
      { id, productArn: PRODUCT, accountId: "222222222222", format: "ocsf", workflowStatus: "SUPPRESSED" },
    ]);
    await post(ocsfEvent(id, false, "ct-2-new"));
    await eventually(async () => (await getCase(service.service.db, id)) ?? undefined);
    const historyCalls = fake.calls("GetFindingHistory").length;

    await post(consoleSuppression(id, "trail-2"));
    // Kept, and nothing to say yet: the case has not seen the suppression.
    expect(await attributions(id)).toEqual([]);
    await post(ocsfEvent(id, true, "ct-2-suppressed"));

    const named = await eventually(async () => (await attributions(id))[0], 20_000, "the attribution");
    expect(named).toMatchObject({ suppressedBy: ALICE, suppressedByType: "CLOUDTRAIL" });
    const notices = await blockedNotices(id);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      new RegExp(`^Suppression blocked: ${ALICE.replace(/[/.]/g, "\\$&")} \\(AssumedRole`),
    );
    expect(fake.calls("GetFindingHistory").length).toBe(historyCalls);
  });

  it("the bot's own revert, back through CloudTrail, triggers nothing", async () => {
    const id = findingId(1);
    const revert = await eventually(
      async () =>
        fake
          .calls("BatchUpdateFindingsV2")
          .find((call) => call.body.FindingIdentifiers?.[0]?.FindingInfoUid === id),
      20_000,
      "the bot's revert",
    );
    const before = (await getCase(service.service.db, id))?.events.length;
    const echo: Json = consoleSuppression(id, "trail-bot");
    echo.detail.userIdentity.arn = "arn:aws:sts::222222222222:assumed-role/shgov/bot";
    echo.detail.requestParameters.StatusId = revert.body.StatusId;
    echo.detail.requestParameters.Comment = revert.body.Comment;
    await post(echo);
    expect((await getCase(service.service.db, id))?.events.length).toBe(before);

    // Its note on a call that sets SUPPRESSED (how it applies an approved exception) is not kept
    // as anyone's suppression either.
    const own: Json = consoleSuppression(id, "trail-bot-2");
    own.detail.userIdentity.arn = "arn:aws:sts::222222222222:assumed-role/shgov/bot";
    own.detail.eventTime = "2026-11-18T10:40:00Z";
    own.detail.requestParameters.Comment = revert.body.Comment;
    await post(own);
    expect((await getCase(service.service.db, id))?.events.length).toBe(before);
    expect((await latestSuppressingCall(service.service.db, id, null))?.at).toBe("2026-11-18T10:31:02.000Z");
  });

  it("refuses a CloudTrail event it cannot read, naming the field", async () => {
    const broken: Json = consoleSuppression(findingId(3), "trail-3");
    delete broken.detail.eventID;
    const result = await postEvent(service.url, broken, { apiKey: TEST_API_KEY });
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body)).toContain("detail.eventID");
  });
});
