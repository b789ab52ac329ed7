import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Case } from "../../src/engine/case.js";
import { ACTION_IDS, MODAL_BLOCKS } from "../../src/slack/interaction-codecs.js";
import { getCase } from "../../src/store/cases.js";
import { eksEvent, eksFindingOf, REPO_ROOT } from "../support/events.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";
import { eventually, postEvent } from "../support/http.js";
import { startTestService, TEST_API_KEY, type TestService } from "../support/service.js";
import { click, postToSlackEvents, submitView } from "../support/slack-interactions.js";

/**
 * The story of docs/architecture.md again, driven by Slack: messages go out through the Slack dispatcher to a fake
 * Slack Web API, and people act by signed clicks on POST /slack/events.
 */
const SECRET = "story-signing-secret";
const CONSOLE_USER = "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/alice";
let clock = Date.parse("2026-11-20T10:00:00.000Z");
let slack: FakeSlack;
let securityHub: FakeSecurityHub;
let test: TestService;

const first = eksEvent({ kubernetes: "1.35" }, "slack-story-1");
const finding = eksFindingOf(first);
const id = finding.Id;

const post = (body: string) => postToSlackEvents(test.url, SECRET, body);
const texts = (channel: string) => slack.messages(channel).map((message) => message.text);
const caseNow = async (): Promise<Case> => {
  const detail = await getCase(test.service.db, id);
  if (!detail) throw new Error("no case");
  return detail.case;
};
/** The buttons (action ids) of the last message in a channel whose text matches. */
function buttonsOf(channel: string, pattern: RegExp): string[] {
  const message = slack
    .messages(channel)
    .filter((m) => pattern.test(m.text))
    .at(-1);
  return (
    JSON.stringify(message?.blocks ?? [])
      .match(/"action_id":"(shgov_[a-z_]+)"/g)
      ?.map((found) => found.slice(13, -1)) ?? []
  );
}
const lastView = () => slack.views.at(-1)?.view as Record<string, unknown>;
const dateValues = (date: string) => ({
  [MODAL_BLOCKS.date]: { value: { type: "datepicker", selected_date: date } },
});

beforeAll(async () => {
  slack = await startFakeSlack({ perChannelIntervalMs: 100 });
  slack.setUsergroup("S0PLATFORM", ["U0ALICE", "U0BOB"]);
  slack.setUsergroup("S0SECURITY", ["U0SAM"]);
  securityHub = await startFakeSecurityHub();
  // Stubbed for this file only: test files share a worker process.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDFAKE");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "fake-secret");
  test = await startTestService({
    store: "pglite",
    roles: { http: true, worker: true, dispatcher: true },
    workflowsDir: join(REPO_ROOT, "test/fixtures/policy"),
    env: {
      SLACK_BOT_TOKEN: "xoxb-test",
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_SECURITYHUB: securityHub.url,
      WORKER_THREAD: false,
    },
    options: { now: () => new Date(clock) },
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await test?.stop();
  await slack?.close();
  await securityHub?.close();
});

describe("the story of docs/architecture.md, in Slack", () => {
  it("a HIGH EKS.2 finding is announced in the owner's channel with the buttons that move it", async () => {
    securityHub.seed([{ id, productArn: finding.ProductArn }]);
    expect((await postEvent(test.url, first, { apiKey: TEST_API_KEY })).status).toBe(202);
    await eventually(async () =>
      texts("C0PLATFORM").some((t) => /New HIGH finding/.test(t)) ? true : undefined,
    );
    expect(buttonsOf("C0PLATFORM", /New HIGH finding/)).toEqual(
      expect.arrayContaining([ACTION_IDS.claim, ACTION_IDS.exceptionRequest, ACTION_IDS.datePropose]),
    );
  });

  it("a console suppression is reverted and both teams are told who did it, with Request exception", async () => {
    securityHub.recordConsoleUpdate(id, CONSOLE_USER, "SUPPRESSED");
    const suppressed = eksEvent(
      { kubernetes: "1.35", workflowStatus: "SUPPRESSED", processedAt: "2026-11-20T11:00:00.000Z" },
      "slack-story-2",
    );
    expect((await postEvent(test.url, suppressed, { apiKey: TEST_API_KEY })).status).toBe(202);
    for (const channel of ["C0PLATFORM", "C0SECURITY"]) {
      await eventually(
        async () => (texts(channel).some((t) => t.includes(CONSOLE_USER)) ? true : undefined),
        20_000,
        `the block message in ${channel}`,
      );
      expect(buttonsOf(channel, new RegExp(CONSOLE_USER.replaceAll("/", "\\/")))).toContain(
        ACTION_IDS.exceptionRequest,
      );
    }
    expect(securityHub.finding(id)?.workflowStatus).toBe("NOTIFIED");
  });

  it("platform proposes a date in the modal: after the deadline it is refused in the modal, a valid one goes to security", async () => {
    expect((await post(click("U0ALICE", ACTION_IDS.datePropose, id, undefined, "C0PLATFORM"))).status).toBe(
      200,
    );
    await eventually(async () => (slack.views.length > 0 ? true : undefined));
    const late = await post(submitView("U0ALICE", lastView(), dateValues("2027-04-15")));
    expect(late.text).toContain("response_action");
    expect(late.text).toContain("not before the deadline 2027-03-27");
    const valid = await post(submitView("U0ALICE", lastView(), dateValues("2027-03-01")));
    expect(valid.status).toBe(200);
    expect(valid.text).not.toContain("errors");
    await eventually(async () =>
      texts("C0SECURITY").some((t) => /proposes upgrade date 2027-03-01/.test(t)) ? true : undefined,
    );
    expect(buttonsOf("C0SECURITY", /proposes upgrade date 2027-03-01/)).toContain(ACTION_IDS.dateAgree);
  });

  it("security agrees with one click; a second click is refused in an ephemeral reply and audited", async () => {
    await post(click("U0SAM", ACTION_IDS.dateAgree, id, "2027-03-01"));
    await eventually(async () => ((await caseNow()).status === "date_agreed" ? true : undefined));
    await post(click("U0SAM", ACTION_IDS.dateAgree, id, "2027-03-01"));
    await eventually(async () =>
      slack.ephemerals.some((e) => e.user === "U0SAM" && /already agreed/.test(e.text)) ? true : undefined,
    );
    const events = (await getCase(test.service.db, id))?.events ?? [];
    expect(events.at(-1)).toMatchObject({ type: "action.refused", actor: "U0SAM" });
    // The proposal's message is updated once the agreement is announced: the outcome, no Agree.
    await eventually(
      async () => {
        const proposal = slack
          .messages("C0SECURITY")
          .find((m) => /proposes upgrade date 2027-03-01/.test(m.text));
        return proposal && proposal.edits > 0 ? proposal : undefined;
      },
      20_000,
      "the proposal updated",
    );
    expect(buttonsOf("C0SECURITY", /proposes upgrade date 2027-03-01/)).not.toContain(ACTION_IDS.dateAgree);
    expect(texts("C0SECURITY").find((t) => /proposes upgrade date 2027-03-01/.test(t))).toMatch(
      /Upgrade date 2027-03-01 agreed by <@U0ALICE> \(platform\) and <@U0SAM> \(security\)/,
    );
  });

  it("reminders reach both channels, and the missed date is a breach in leadership's channel with the leads mentioned", async () => {
    clock = Date.parse("2027-02-28T00:00:01.000Z");
    await test.service.sweep();
    for (const channel of ["C0PLATFORM", "C0SECURITY"]) {
      await eventually(
        async () => (texts(channel).some((t) => /Reminder/.test(t)) ? true : undefined),
        20_000,
      );
    }
    clock = Date.parse("2027-03-02T00:00:01.000Z");
    await test.service.sweep();
    await eventually(
      async () => (texts("C0LEADERS").some((t) => /upgrade date 2027-03-01/.test(t)) ? true : undefined),
      20_000,
      "the breach in leadership's channel",
    );
    const breach = slack.messages("C0LEADERS").at(-1);
    expect(`${breach?.text} ${JSON.stringify(breach?.blocks)}`).toContain("<@U0CISO>");
    expect((await caseNow()).status).toBe("breached");
    expect(slack.rateLimited()).toBe(0);
  });
});
