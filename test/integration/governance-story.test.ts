import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Case } from "../../src/engine/case.js";
import type { NotifyEffect } from "../../src/engine/effects.js";
import { verifyAudit } from "../../src/store/audit-verify.js";
import { getCase } from "../../src/store/cases.js";
import { listOutbox } from "../../src/store/outbox.js";
import { eksEvent, eksFindingOf, REPO_ROOT } from "../support/events.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";
import { eventually, postEvent } from "../support/http.js";
import { startTestService, TEST_API_KEY, type TestService } from "../support/service.js";

/**
 * The story of docs/architecture.md as one test through the real HTTP intake, queue, worker, store, timers and
 * Security Hub dispatcher (against the fake Security Hub, through the real SDK). The clock is the
 * test's: it moves from November 2026 to March 2027.
 */
const ADMIN_TOKEN = "story-admin-token";
const CONSOLE_USER = "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/alice";

let clock = Date.parse("2026-11-20T10:00:00.000Z");
let fake: FakeSecurityHub;
let test: TestService;

async function act(caseId: string, action: Record<string, unknown>) {
  const response = await fetch(`${test.url}/api/cases/${encodeURIComponent(caseId)}/actions`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(action),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function caseOf(id: string): Promise<Case> {
  const detail = await getCase(test.service.db, id);
  if (!detail) throw new Error(`no case ${id}`);
  return detail.case;
}

async function eventTypes(id: string): Promise<string[]> {
  return ((await getCase(test.service.db, id))?.events ?? []).map((event) => event.type);
}

async function notifications(id: string): Promise<NotifyEffect[]> {
  const rows = await listOutbox(test.service.db, { caseId: id, kind: "notify" });
  return rows.map((row) => row.payload as NotifyEffect);
}

async function post(event: unknown): Promise<void> {
  const result = await postEvent(test.url, event, { apiKey: TEST_API_KEY });
  expect(result.status).toBe(202);
}

beforeAll(async () => {
  fake = await startFakeSecurityHub({ callerIdentity: "arn:aws:sts::111111111111:assumed-role/shgov/bot" });
  // Stubbed for this file only: test files share a worker process.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDFAKE");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "fake-secret");
  test = await startTestService({
    store: "pglite",
    roles: { http: true, worker: true, dispatcher: true },
    workflowsDir: join(REPO_ROOT, "test/fixtures/policy"),
    env: {
      ADMIN_TOKEN,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_SECURITYHUB: fake.url,
      WORKER_THREAD: false,
    },
    options: { now: () => new Date(clock) },
  });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await test?.stop();
  await fake?.close();
});

describe("the story of docs/architecture.md", () => {
  const first = eksEvent({ kubernetes: "1.35" }, "story-0001");
  const finding = eksFindingOf(first);
  const id = finding.Id;

  it("an EKS.2 finding arrives and is owned by platform, waiting for an agreed upgrade date", async () => {
    fake.seed([{ id, productArn: finding.ProductArn, workflowStatus: "NEW" }]);
    await post(first);
    const opened = await eventually(async () => (await getCase(test.service.db, id)) ?? undefined);
    expect(opened.case).toMatchObject({
      owner: "platform",
      counterpart: "security",
      status: "awaiting_date",
    });
    expect(opened.case.upgrade).toMatchObject({
      eksVersion: "1.35",
      deadline: "2027-03-27T00:00:00.000Z",
      teams: ["platform", "security"],
    });
  });

  it("while no date is agreed the ladder escalates (50% of the 30-day SLA was used on 2026-11-16)", async () => {
    const swept = await test.service.sweep();
    expect(swept.fired).toBe(1);
    expect((await caseOf(id)).escalationLevel).toBe(1);
    expect((await notifications(id)).at(-1)).toMatchObject({ topic: "escalated", teams: ["platform"] });
    expect((await test.service.sweep()).fired).toBe(0); // a level never fires twice
  });

  it("platform suppresses it in the console: the bot reverts it and names who did it", async () => {
    clock += 60 * 60_000;
    fake.recordConsoleUpdate(id, CONSOLE_USER, "SUPPRESSED");
    await post(
      eksEvent(
        { kubernetes: "1.35", workflowStatus: "SUPPRESSED", processedAt: "2026-11-20T11:00:00.000Z" },
        "story-0002",
      ),
    );
    const revert = await eventually(async () => fake.calls("BatchUpdateFindings")[0], 20_000, "the revert");
    expect(revert.body).toMatchObject({
      FindingIdentifiers: [{ Id: id, ProductArn: finding.ProductArn }],
      Workflow: { Status: "NOTIFIED" },
      Note: { UpdatedBy: "securityhub-governor" },
    });
    expect(revert.body.Note.Text).toContain("suppression blocked");
    expect(revert.body.Note.Text.length).toBeLessThanOrEqual(512);
    const attributed = await eventually(async () => {
      const c = await caseOf(id);
      return c.suppression?.suppressedBy ? c : undefined;
    });
    expect(attributed.suppression).toMatchObject({
      suppressedBy: CONSOLE_USER,
      suppressedByType: "BATCH_UPDATE_FINDINGS",
    });
    const told = (await notifications(id)).find((n) => n.topic === "suppression.blocked");
    expect(told?.teams).toEqual(["platform", "security"]);
    expect(told?.text).toContain(CONSOLE_USER);
    expect(fake.finding(id)?.workflowStatus).toBe("NOTIFIED");
  });

  it("the bot's own update coming back triggers nothing (loop guard)", async () => {
    const stored = fake.finding(id);
    const before = (await listOutbox(test.service.db, { caseId: id })).length;
    await post(
      eksEvent(
        {
          kubernetes: "1.35",
          workflowStatus: "NOTIFIED",
          processedAt: "2026-11-20T11:00:05.000Z",
          note: stored?.note ?? null,
        },
        "story-0003",
      ),
    );
    const types = await eventually(async () => {
      const all = await eventTypes(id);
      return all.filter((type) => type === "finding.observed").length === 3 ? all : undefined;
    });
    const detail = await getCase(test.service.db, id);
    expect(detail?.events.at(-1)).toMatchObject({ type: "finding.observed", data: { ownUpdate: true } });
    expect(types.filter((type) => type === "suppression.blocked")).toHaveLength(1);
    expect(await listOutbox(test.service.db, { caseId: id })).toHaveLength(before);
  });

  it("platform proposes a date after the end of standard support: refused", async () => {
    const refused = await act(id, {
      action: "date_propose",
      user: "U0ALICE",
      team: "platform",
      date: "2027-04-15",
    });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain("not before the deadline 2027-03-27");
  });

  it("platform proposes a valid date and security agrees", async () => {
    expect(
      (await act(id, { action: "date_propose", user: "U0ALICE", team: "platform", date: "2027-03-01" }))
        .status,
    ).toBe(200);
    const ownAgreement = await act(id, { action: "date_agree", user: "U0BOB", team: "platform" });
    expect(ownAgreement.status).toBe(409);
    const agreed = await act(id, {
      action: "date_agree",
      user: "U0SEC",
      team: "security",
      date: "2027-03-01",
    });
    expect(agreed.status).toBe(200);
    expect(await caseOf(id)).toMatchObject({ status: "date_agreed", slaDueAt: "2027-03-02T00:00:00.000Z" });
    const twice = await act(id, {
      action: "date_agree",
      user: "U0SEC",
      team: "security",
      date: "2027-03-01",
    });
    expect(twice.status).toBe(409);
  });

  it("once agreed the ladder stops; reminders fire 14, 7 and 1 day before the date", async () => {
    clock = Date.parse("2026-11-25T00:00:00.000Z"); // past 75% of the SLA
    expect((await test.service.sweep()).fired).toBe(0);
    for (const [day, sent] of [
      ["2027-02-15", 1],
      ["2027-02-22", 2],
      ["2027-02-28", 3],
    ] as const) {
      clock = Date.parse(`${day}T00:00:01.000Z`);
      expect((await test.service.sweep()).fired).toBe(1);
      expect((await caseOf(id)).upgrade?.remindersSent).toBe(sent);
    }
    const reminders = (await notifications(id)).filter((n) => n.topic === "date.reminder");
    expect(reminders).toHaveLength(3);
    expect(reminders[2]?.teams).toEqual(["platform", "security"]);
  });

  it("the date passes unresolved: a breach escalated to leadership", async () => {
    clock = Date.parse("2027-03-02T00:00:01.000Z");
    expect((await test.service.sweep()).fired).toBe(1);
    const c = await caseOf(id);
    expect(c.status).toBe("breached");
    expect(c.upgrade?.missed).toBe(true);
    const breach = (await notifications(id)).find((n) => n.topic === "date.missed");
    expect(breach?.teams).toEqual(expect.arrayContaining(["platform", "security", "leadership"]));
    expect(breach?.mentionLeads).toBe(true);
    expect((await eventTypes(id)).slice(-2)).toEqual(["date.missed", "sla.breached"]);
    expect((await test.service.sweep()).fired).toBe(0);
  });

  it("the audit log of the whole story verifies", async () => {
    const report = await verifyAudit(test.service.db, { caseId: id });
    expect(report.problems).toEqual([]);
    expect(report.rowsChecked).toBe((await eventTypes(id)).length);
    expect(await eventTypes(id)).toEqual([
      "case.opened",
      "finding.observed",
      "escalated",
      "finding.observed",
      "suppression.blocked",
      "suppression.attributed",
      "finding.observed",
      "action.refused", // the date after the end of standard support
      "date.proposed",
      "action.refused", // platform agreeing to its own proposal
      "date.agreed",
      "action.refused", // security agreeing twice
      "date.reminded",
      "date.reminded",
      "date.reminded",
      "date.missed",
      "sla.breached",
    ]);
  });
});

describe("the good ending", () => {
  /** Another EKS.2 finding (its own id), first seen 2027-03-05. */
  function goodEvent(version: Parameters<typeof eksEvent>[0], eventId: string) {
    const event = eksEvent(
      { kubernetes: "1.35", firstObservedAt: "2027-03-05T00:00:00.000Z", ...version },
      eventId,
    );
    const finding = eksFindingOf(event);
    finding.Id = `${finding.Id}-good`;
    return { event, id: finding.Id };
  }

  it("the check passes before the agreed date: the case closes and no timer fires after", async () => {
    clock = Date.parse("2027-03-10T10:00:00.000Z");
    const { event, id } = goodEvent({ updatedAt: "2027-03-10T10:00:00.000Z" }, "good-0001");
    await post(event);
    await eventually(async () => (await getCase(test.service.db, id)) ?? undefined);
    expect(
      (await act(id, { action: "date_propose", user: "U0SEC", team: "security", date: "2027-03-20" })).status,
    ).toBe(200);
    expect((await act(id, { action: "date_agree", user: "U0ALICE", team: "platform" })).status).toBe(200);

    clock = Date.parse("2027-03-15T09:00:00.000Z");
    await post(
      goodEvent({ complianceStatus: "PASSED", updatedAt: "2027-03-15T09:00:00.000Z" }, "good-0002").event,
    );
    const closed = await eventually(async () => {
      const c = await caseOf(id);
      return c.status === "resolved" ? c : undefined;
    });
    expect(closed.timeToRemediateMs).toBe(
      Date.parse("2027-03-15T09:00:00.000Z") - Date.parse("2027-03-05T00:00:00.000Z"),
    );
    const rows = await test.service.db.query<{ next_due_at: unknown }>(
      "SELECT next_due_at FROM cases WHERE id = $1",
      [id],
    );
    expect(rows[0]?.next_due_at).toBeNull();
    clock = Date.parse("2027-03-25T00:00:00.000Z");
    await test.service.sweep();
    expect((await eventTypes(id)).at(-1)).toBe("case.resolved");
  });
});
