import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOTIFY_TOPICS } from "../../src/engine/effects.js";
import { createSlackClient } from "../../src/slack/client.js";
import { postDigests } from "../../src/slack/digest.js";
import { ACTION_IDS, MODAL_BLOCKS } from "../../src/slack/interaction-codecs.js";
import { deliverScheduledReport } from "../../src/slack/report-delivery.js";
import { getCase } from "../../src/store/cases.js";
import { asffEvent, eksAsffEvent, eksOcsfEvent } from "../support/events.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";
import { eventually, postEvent } from "../support/http.js";
import { startTestService, TEST_API_KEY, type TestService } from "../support/service.js";
import { click, postToSlackEvents, slashCommand, submitView } from "../support/slack-interactions.js";

/**
 * Text from outside never reaches Slack as markup. Every outside field of three findings (ASFF and
 * OCSF, through POST /events), a suppressor's identity from GetFindingHistory, a note's author, an
 * AWS error message, and what people type (justifications, compensating controls, a rejection's
 * reason, a case id) hold `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>`, `<!subteam^…>` and a
 * lying link. The story then goes through every message the bot sends (each notify topic, the
 * digest, App Home, `/shgov`, modals, refusals and late clicks, the weekly report) and every
 * string Slack received or was answered is read: in mrkdwn, nothing but the bot's own mentions and
 * links is markup, and the values are shown escaped; in plain_text they are shown as they are.
 */
const SECRET = "hostile-signing-secret";
const PUBLIC_URL = "https://governor.example.com";
const MARKUP = "<!here><!everyone><@U0EVIL><!subteam^S0EVIL><https://evil.example|AWS-console>&x";
/** A hostile value naming its field, so that each field can be found where it is shown. */
const hostile = (field: string) => `<!channel>${field}${MARKUP}`;
/** How the start of a hostile value reads once escaped (it survives any cut the builders make). */
const shown = (field: string) => `&lt;!channel&gt;${field}&lt;!here&gt;`;

const T0 = Date.parse("2026-11-20T10:00:00.000Z");
const DAY = 86_400_000;
let clock = T0;
const at = (iso: string) => {
  clock = Date.parse(iso);
};

let slack: FakeSlack;
let securityHub: FakeSecurityHub;
let test: TestService;
let workflowsDir: string;
/** What the service answered on POST /slack/events (slash commands, modal submissions). */
const answers: { what: string; body: unknown }[] = [];

const POLICY = `version: 1
teams:
  platform: { slack_channel: C0PLATFORM, slack_usergroup: S0PLATFORM, leads: [U0PLATLEAD] }
  security: { slack_channel: C0SECURITY, slack_usergroup: S0SECURITY, leads: [U0SECLEAD] }
  leadership: { slack_channel: C0LEADERS, leads: [U0CISO] }
routing:
  # By a tag, so that the control id, resource type, account and region can all be hostile.
  - name: eks
    match: { tags: { shgov-route: eks } }
    owner: platform
    counterpart: security
  - name: default
    match: {}
    owner: security
    counterpart: platform
slas: { CRITICAL: 7d, HIGH: 30d, MEDIUM: 90d, LOW: 180d }
escalation:
  - { at: 50%, notify: [owner] }
  - { at: 75%, notify: [owner, counterpart], mention_leads: true }
  - { at: 100%, notify: [owner, counterpart, leadership], mention_leads: true, breach: true }
suppression:
  approver: counterpart
  max_duration: 90d
  revert_to: NOTIFIED
upgrade_dates:
  - name: eks-version
    match: { tags: { shgov-route: eks } }
    agree: [owner, counterpart]
    must_be_before: end_of_standard_support
    remind_before: [14d, 7d, 1d]
notifications:
  per_finding_min_severity: HIGH
  digest_interval: 15m
report:
  schedule: "0 9 * * 1"
  timezone: UTC
  channel: C0SECURITY
`;

type Json = Record<string, unknown>;

/** Every outside field of an ASFF finding made hostile; `tag` tells the findings apart. */
function hostileAsff(event: Json, tag: string, options: { eks?: boolean; severity?: string } = {}): Json {
  const detail = event.detail as { findings: Json[] };
  const finding = detail.findings[0] as Json;
  const resource = (finding.Resources as Json[])[0] as Json;
  finding.Id = `arn:aws:securityhub:us-east-1:111111111111:security-control/finding/${hostile(`${tag}-id`)}`;
  finding.ProductArn = `arn:aws:securityhub:us-east-1::product/${hostile(`${tag}-product-arn`)}`;
  finding.ProductName = hostile(`${tag}-product-name`);
  finding.AwsAccountId = hostile(`${tag}-account`);
  finding.Region = hostile(`${tag}-region`);
  finding.GeneratorId = hostile(`${tag}-generator`);
  finding.Title = hostile(`${tag}-title`);
  finding.Description = hostile(`${tag}-description`);
  finding.Remediation = {
    Recommendation: { Text: hostile(`${tag}-remediation`), Url: `https://docs.example/${hostile("url")}` },
  };
  finding.ProductFields = {
    ControlId: hostile(`${tag}-control`),
    "aws/securityhub/ProductName": hostile(`${tag}-product-field`),
  };
  finding.Compliance = { Status: "FAILED", SecurityControlId: hostile(`${tag}-control`) };
  finding.Severity = { Label: options.severity ?? "HIGH" };
  finding.Workflow = { Status: "NEW" };
  // First seen now: the SLA clock starts with the case, so the escalation ladder is walked step by step.
  finding.FirstObservedAt = new Date(clock).toISOString();
  finding.CreatedAt = new Date(clock).toISOString();
  finding.UpdatedAt = new Date(clock).toISOString();
  finding.ProcessedAt = new Date(clock).toISOString();
  resource.Type = hostile(`${tag}-resource-type`);
  resource.Id = hostile(`${tag}-resource-id`);
  resource.Region = hostile(`${tag}-resource-region`);
  resource.Tags = { ...(options.eks ? { "shgov-route": "eks" } : {}), owner: hostile(`${tag}-tag`) };
  resource.Details = options.eks
    ? { AwsEksCluster: { Name: hostile(`${tag}-cluster`), Version: `1.32${hostile("eks-version")}` } }
    : { Other: { Name: hostile(`${tag}-details`) } };
  return event;
}

/** Every outside field of an OCSF finding made hostile. */
function hostileOcsf(event: Json): Json {
  const finding = (event.detail as { findings: Json[] }).findings[0] as Json;
  const info = finding.finding_info as Json;
  info.uid = `arn:aws:securityhub:eu-west-1:222222222222:security-control/finding/${hostile("ocsf-id")}`;
  info.title = hostile("ocsf-title");
  info.desc = hostile("ocsf-description");
  info.modified_time_dt = new Date(clock).toISOString();
  info.first_seen_time_dt = new Date(clock).toISOString();
  info.created_time_dt = new Date(clock).toISOString();
  finding.time_dt = new Date(clock).toISOString();
  const metadata = finding.metadata as { product: Json };
  metadata.product.uid = `arn:aws:securityhub:eu-west-1::productv2/${hostile("ocsf-product-arn")}`;
  metadata.product.name = hostile("ocsf-product-name");
  finding.cloud = {
    account: { uid: hostile("ocsf-account") },
    provider: "AWS",
    region: hostile("ocsf-region"),
  };
  finding.compliance = { control: hostile("ocsf-control"), status: "Fail", status_id: 3 };
  finding.remediation = { desc: hostile("ocsf-remediation"), references: [hostile("ocsf-reference")] };
  finding.comment = hostile("ocsf-comment");
  finding.resources = [
    {
      region: hostile("ocsf-resource-region"),
      tags: [{ name: "owner", value: hostile("ocsf-tag") }],
      type: hostile("ocsf-resource-type"),
      uid: hostile("ocsf-resource-uid"),
      uid_alt: hostile("ocsf-resource-id"),
      data: { version: `1.31${hostile("ocsf-version")}` },
    },
  ];
  return event;
}

const findingOf = (event: Json) => (event.detail as { findings: Json[] }).findings[0] as Json;
const eksEvent = hostileAsff(eksAsffEvent(), "eks", { eks: true });
const EKS_ID = String(findingOf(eksEvent).Id);
const ocsfEvent = hostileOcsf(eksOcsfEvent());
const OCSF_ID = String((findingOf(ocsfEvent).finding_info as Json).uid);
const ec2Event = hostileAsff(asffEvent({}, "hostile-ec2"), "ec2");
const EC2_ID = String(findingOf(ec2Event).Id);
const lowEvent = hostileAsff(asffEvent({}, "hostile-low"), "low", { severity: "MEDIUM" });

/** The next version of an event: later, with its workflow or compliance changed. */
function version(
  event: Json,
  changes: { workflow?: string; compliance?: string; note?: Json },
  eventId: string,
): Json {
  const next = structuredClone(event);
  next.id = eventId;
  const finding = findingOf(next);
  const now = new Date(clock).toISOString();
  finding.UpdatedAt = now;
  finding.ProcessedAt = now;
  if (changes.workflow) finding.Workflow = { Status: changes.workflow };
  if (changes.compliance)
    finding.Compliance = { ...(finding.Compliance as Json), Status: changes.compliance };
  if (changes.note) finding.Note = changes.note;
  return next;
}

const post = async (what: string, body: string, contentType?: string) => {
  const response = await postToSlackEvents(test.url, SECRET, body, contentType);
  expect(response.status, what).toBe(200);
  if (response.text) answers.push({ what, body: JSON.parse(response.text) as unknown });
  return response;
};

const ingest = async (event: Json) =>
  expect((await postEvent(test.url, event, { apiKey: TEST_API_KEY })).status).toBe(202);

/** The messages in a channel whose first block starts with a topic's title. */
function titled(channel: string, title: string) {
  return slack.messages(channel).filter((message) => {
    const first = (message.blocks?.[0] ?? {}) as { text?: { text?: string } };
    return first.text?.text?.startsWith(title) ?? false;
  });
}

async function waitTitled(channel: string, title: string, count = 1) {
  return eventually(
    async () => {
      const found = titled(channel, title);
      return found.length >= count ? found : undefined;
    },
    20_000,
    `${count} message(s) "${title}" in ${channel}`,
  );
}

/** Everything a message shows, as one text: its notification text and every block text. */
function shownIn(value: unknown): string {
  return collect("", value)
    .map((entry) => entry.text)
    .join("\n");
}

interface ShownText {
  where: string;
  kind: "mrkdwn" | "plain";
  text: string;
}

/** Strings that are not shown to people: ids, values carried for the bot, and the like. */
const MACHINE_KEYS = new Set([
  "type",
  "action_id",
  "block_id",
  "callback_id",
  "value",
  "private_metadata",
  "style",
  "initial_date",
  "trigger_id",
  "channel",
  "channel_id",
  "user",
  "user_id",
  "token",
  "ts",
  "thread_ts",
  "response_action",
  "response_type",
  "unfurl_links",
  "unfurl_media",
  "usergroup",
  "filename",
  "length",
  "id",
  "emoji",
]);
/** Parameters Slack's client sends JSON-encoded in a form body. */
const JSON_PARAMS = new Set(["blocks", "view", "files", "attachments"]);
const urls: { where: string; url: string }[] = [];

/**
 * Every string of a payload that people see, with how Slack reads it: a text object's type says
 * so, a modal's errors are plain text, anything else shown (a message's `text`, an answer's `text`)
 * is mrkdwn. Links (`url`) are kept apart.
 */
function collect(where: string, value: unknown, kind: ShownText["kind"] = "mrkdwn", key = ""): ShownText[] {
  if (typeof value === "string") {
    if (JSON_PARAMS.has(key) && /^[[{]/.test(value)) return collect(where, JSON.parse(value), kind, "");
    if (key === "url") {
      urls.push({ where, url: value });
      return [];
    }
    return MACHINE_KEYS.has(key) ? [] : [{ where, kind, text: value }];
  }
  if (Array.isArray(value)) return value.flatMap((item) => collect(where, item, kind, key));
  if (value && typeof value === "object") {
    const object = value as Json;
    if ((object.type === "plain_text" || object.type === "mrkdwn") && typeof object.text === "string") {
      return [{ where, kind: object.type === "plain_text" ? "plain" : "mrkdwn", text: object.text }];
    }
    return Object.entries(object).flatMap(([k, v]) =>
      k === "errors" ? collect(where, v, "plain", "") : collect(where, v, kind, k),
    );
  }
  return [];
}

/** The bot's own markup: its configured mentions, the people who acted, and the links it builds. */
const OWN_MARKUP = [
  /<!subteam\^S0(?:PLATFORM|SECURITY)>/g,
  /<@U0(?:PLATLEAD|SECLEAD|CISO|ALICE|BOB|SAM)>/g,
  /<https:\/\/console\.aws\.amazon\.com\/securityhub\/[^\s<>|]+\|[^<>]*>/g,
  /<https:\/\/governor\.example\.com\/[^\s<>|]+\|[^<>]*>/g,
];

beforeAll(async () => {
  workflowsDir = mkdtempSync(join(tmpdir(), "shgov-hostile-"));
  writeFileSync(join(workflowsDir, "policy.yaml"), POLICY);
  slack = await startFakeSlack({ perChannelIntervalMs: 10, burst: 20 });
  slack.setUsergroup("S0PLATFORM", ["U0ALICE", "U0BOB"]);
  slack.setUsergroup("S0SECURITY", ["U0SAM"]);
  securityHub = await startFakeSecurityHub({ now: () => new Date(clock) });
  // Stubbed for this file only: test files share a worker process.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDFAKE");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "fake-secret");
  test = await startTestService({
    store: "pglite",
    roles: { http: true, worker: true, dispatcher: true },
    workflowsDir,
    env: {
      SLACK_BOT_TOKEN: "xoxb-test",
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_SECURITYHUB: securityHub.url,
      WORKER_THREAD: false,
      PUBLIC_URL,
    },
    options: { now: () => new Date(clock), slackPollMs: 100, slackIntervalMs: 10 },
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await test?.stop();
  await slack?.close();
  await securityHub?.close();
  rmSync(workflowsDir, { recursive: true, force: true });
});

describe("text from findings and people in Slack", () => {
  it("is escaped in every message, answer, modal, Home tab, digest and report; only the bot's own markup is live", async () => {
    const seed = (event: Json, format: "asff" | "ocsf", accountId?: string) => {
      const finding = findingOf(event);
      const id = format === "asff" ? String(finding.Id) : OCSF_ID;
      const productArn =
        format === "asff"
          ? String(finding.ProductArn)
          : String((finding.metadata as { product: Json }).product.uid);
      securityHub.seed([{ id, productArn, format, ...(accountId ? { accountId } : {}) }]);
    };
    seed(eksEvent, "asff", hostile("eks-account"));
    seed(ec2Event, "asff", hostile("ec2-account"));
    seed(ocsfEvent, "ocsf", hostile("ocsf-account"));

    // 1. Three HIGH findings are announced; the MEDIUM one goes into the digest.
    for (const event of [eksEvent, ocsfEvent, ec2Event, lowEvent]) await ingest(event);
    const [opened] = await waitTitled("C0PLATFORM", ":new: New case");
    await waitTitled("C0SECURITY", ":new: New case", 2);
    for (const field of ["title", "account", "region", "control", "resource-type", "resource-id", "id"]) {
      expect(shownIn(opened?.blocks), field).toContain(shown(`eks-${field}`));
    }
    // The notification text (what a phone shows, mrkdwn too) is escaped like the blocks.
    expect(opened?.text).toContain(shown("eks-title"));
    expect(opened?.text).toMatch(/^<!subteam\^S0PLATFORM> New HIGH finding/);

    at("2026-11-20T10:20:00.000Z");
    const digests = await postDigests({
      db: test.service.db,
      policy: test.service.policy,
      client: createSlackClient({ token: "xoxb-test", slackApiUrl: slack.url }),
      logger: pino({ level: "silent" }),
      now: new Date(clock),
    });
    expect(digests.find((digest) => digest.team === "security")?.outcome).toBe("posted");
    const digest = slack.messages("C0SECURITY").find((message) => message.text.startsWith("Digest:"));
    for (const field of ["title", "resource-id", "control"]) {
      expect(shownIn(digest?.blocks), field).toContain(shown(`low-${field}`));
    }

    // 2. A suppression in the console: GetFindingHistory names a hostile identity; the note's author is hostile too.
    securityHub.recordConsoleUpdate(EKS_ID, hostile("suppressor"), "SUPPRESSED");
    at("2026-11-20T11:00:00.000Z");
    await ingest(
      version(
        eksEvent,
        {
          workflow: "SUPPRESSED",
          note: {
            Text: hostile("note"),
            UpdatedBy: hostile("note-author"),
            UpdatedAt: "2026-11-20T11:00:00Z",
          },
        },
        "eks-suppressed",
      ),
    );
    for (const channel of ["C0PLATFORM", "C0SECURITY"]) {
      const [blocked] = await waitTitled(channel, ":no_entry: Suppression blocked");
      expect(shownIn(blocked), channel).toContain(shown("suppressor"));
      expect(blocked?.text).toContain(shown("suppressor"));
    }
    await eventually(async () =>
      securityHub.finding(EKS_ID)?.workflowStatus === "NOTIFIED" ? true : undefined,
    );

    // 3. A revert Security Hub refuses for good: its error message is outside text as well.
    securityHub.fail({
      kind: "error",
      times: 1,
      operation: "BatchUpdateFindings",
      status: 403,
      errorType: "AccessDeniedException",
      message: hostile("aws-error"),
    });
    securityHub.recordConsoleUpdate(EC2_ID, hostile("ec2-suppressor"), "SUPPRESSED");
    at("2026-11-20T11:10:00.000Z");
    await ingest(version(ec2Event, { workflow: "SUPPRESSED" }, "ec2-suppressed"));
    const [failed] = await waitTitled("C0SECURITY", ":warning: Security Hub update failed");
    expect(shownIn(failed)).toContain(shown("aws-error"));

    // 4. Exceptions on the OCSF case (owner security, approver platform): requested, rejected, requested, approved.
    const lastView = () => slack.views.at(-1)?.view as Json;
    const opensModal = async (user: string, action: string, caseId: string, channel: string) => {
      const before = slack.views.length;
      await post(`click ${action}`, click(user, action, caseId, undefined, channel));
      await eventually(
        async () => (slack.views.length > before ? true : undefined),
        10_000,
        `${action} modal`,
      );
      return lastView();
    };
    const requestException = async (justification: string) => {
      const view = await opensModal("U0SAM", ACTION_IDS.exceptionRequest, OCSF_ID, "C0SECURITY");
      await post(
        "exception modal",
        submitView("U0SAM", view, {
          [MODAL_BLOCKS.justification]: {
            value: { type: "plain_text_input", value: hostile(justification) },
          },
          [MODAL_BLOCKS.expiry]: { value: { type: "datepicker", selected_date: "2026-12-10" } },
          [MODAL_BLOCKS.compensating]: {
            value: { type: "plain_text_input", value: hostile("compensating") },
          },
        }),
      );
    };
    const openHome = (user: string) =>
      post(
        `home of ${user}`,
        JSON.stringify({
          token: "legacy",
          team_id: "T1",
          api_app_id: "A1",
          type: "event_callback",
          event_id: `Ev${user}${clock}`,
          event_time: Math.floor(clock / 1000),
          event: { type: "app_home_opened", user, channel: "D1", tab: "home", event_ts: "1.1" },
        }),
        "application/json",
      );
    const published = async (user: string, count: number) =>
      eventually(
        async () => {
          const views = slack.views.filter((view) => view.kind === "publish" && view.userId === user);
          return views.length >= count ? views.at(-1)?.view : undefined;
        },
        10_000,
        `the Home tab of ${user}`,
      );

    await requestException("justification");
    const [requested] = await waitTitled("C0PLATFORM", ":raised_hand: Exception requested");
    expect(shownIn(requested)).toContain(shown("justification"));
    expect(shownIn(requested)).toContain(shown("compensating"));
    await openHome("U0ALICE");
    const aliceHome = await published("U0ALICE", 1);
    for (const field of ["justification", "ocsf-title", "ocsf-id", "ocsf-control", "eks-title"]) {
      expect(shownIn(aliceHome), field).toContain(shown(field));
    }

    const rejectView = await opensModal("U0ALICE", ACTION_IDS.exceptionReject, OCSF_ID, "C0PLATFORM");
    await post(
      "reject modal",
      submitView("U0ALICE", rejectView, {
        [MODAL_BLOCKS.reason]: { value: { type: "plain_text_input", value: hostile("reason") } },
      }),
    );
    const [rejected] = await waitTitled("C0SECURITY", ":x: Exception rejected");
    expect(shownIn(rejected)).toContain(shown("reason"));
    // The request's message is updated to its outcome, the reason escaped there too.
    await eventually(async () => ((requested?.edits ?? 0) > 0 ? true : undefined), 20_000, "the update");
    expect(shownIn(requested)).toContain(shown("reason"));

    await requestException("justification-2");
    await waitTitled("C0PLATFORM", ":raised_hand: Exception requested", 2);
    await post("approve", click("U0ALICE", ACTION_IDS.exceptionApprove, OCSF_ID, undefined, "C0PLATFORM"));
    const [approved] = await waitTitled("C0SECURITY", ":white_check_mark: Exception approved");
    expect(shownIn(approved)).toContain(shown("ocsf-title"));

    // 5. Refusals and late clicks, answered ephemerally.
    const ephemeral = (user: string, pattern: RegExp) =>
      eventually(
        async () => slack.ephemerals.find((e) => e.user === user && pattern.test(e.text)),
        10_000,
        `an ephemeral reply to ${user} matching ${pattern}`,
      );
    await post("late approve", click("U0BOB", ACTION_IDS.exceptionApprove, OCSF_ID, undefined, "C0PLATFORM"));
    const late = await ephemeral("U0BOB", /already approved by <@U0ALICE> \(team platform\)/);
    expect(late.text).toContain(shown("ocsf-id"));
    await post(
      "unknown case",
      click("U0ALICE", ACTION_IDS.claim, hostile("typed-case"), undefined, "C0PLATFORM"),
    );
    expect((await ephemeral("U0ALICE", /there is no case/)).text).toContain(shown("typed-case"));
    await post("not in a team", click("U0EVE", ACTION_IDS.claim, EKS_ID, undefined, "C0PLATFORM"));
    await ephemeral("U0EVE", /Refused: you are not in team/);
    await post("claim", click("U0ALICE", ACTION_IDS.claim, EKS_ID, undefined, "C0PLATFORM"));
    expect((await ephemeral("U0ALICE", /You claimed/)).text).toContain(shown("eks-title"));

    // 6. /shgov: a case, an unknown id, the user's cases, the usage.
    const command = (user: string, text: string) =>
      slashCommand(user, text, { id: "C0PLATFORM", name: "platform" });
    const answer = async (text: string) => {
      await post(`/shgov ${text}`, command("U0ALICE", text));
      return answers.at(-1)?.body as Json;
    };
    const caseAnswer = await answer(`case ${EKS_ID}`);
    expect(String(caseAnswer.text)).toContain(shown("eks-title"));
    for (const field of ["title", "account", "resource-id", "id"]) {
      expect(shownIn(caseAnswer.blocks), field).toContain(shown(`eks-${field}`));
    }
    expect(String((await answer(`case ${hostile("typed")}`)).text)).toContain(shown("typed"));
    const mine = await answer("mine");
    for (const field of ["eks-title", "eks-control", "ocsf-title", "ec2-id"]) {
      expect(String(mine.text), field).toContain(shown(field));
    }
    expect(String((await answer("help")).text)).toContain("&lt;case id&gt;");

    // 7. Escalations: 50% to the owner, 75% to both teams with the leads; the exception expires meanwhile.
    at(new Date(T0 + 15 * DAY + 60_000).toISOString());
    await test.service.sweep();
    await waitTitled("C0PLATFORM", ":arrow_up: Escalated");
    const [escalated] = await waitTitled("C0SECURITY", ":arrow_up: Escalated");
    expect(shownIn(escalated)).toContain(shown("ec2-title"));
    at(new Date(T0 + 22.5 * DAY + 60_000).toISOString());
    await test.service.sweep();
    await waitTitled("C0PLATFORM", ":arrow_up: Escalated", 2);
    const [expired] = await waitTitled("C0SECURITY", ":hourglass: Exception expired");
    expect(shownIn(expired)).toContain(shown("ocsf-title"));

    // 8. The upgrade date of the EKS case: one after the deadline is refused in the modal (plain text),
    // one before it is proposed and agreed; agreeing again is a late click.
    const dateView = await opensModal("U0ALICE", ACTION_IDS.datePropose, EKS_ID, "C0PLATFORM");
    const dateValue = (date: string) => ({
      [MODAL_BLOCKS.date]: { value: { type: "datepicker", selected_date: date } },
    });
    const refused = await post(
      "date modal: too late",
      submitView("U0ALICE", dateView, dateValue("2027-01-30")),
    );
    const errors = (JSON.parse(refused.text) as { errors: Record<string, string> }).errors;
    // A modal's error is plain text, which Slack does not parse: the value as it is, not escaped.
    expect(errors[MODAL_BLOCKS.date]).toContain("not before the deadline");
    expect(errors[MODAL_BLOCKS.date]).toContain("<!channel>eks-version");
    await post("date modal", submitView("U0ALICE", dateView, dateValue("2026-12-15")));
    const [proposed] = await waitTitled("C0SECURITY", ":calendar: Upgrade date proposed");
    expect(shownIn(proposed)).toContain(shown("eks-title"));
    await post("agree", click("U0SAM", ACTION_IDS.dateAgree, EKS_ID, "2026-12-15", "C0SECURITY"));
    const [agreed] = await waitTitled("C0PLATFORM", ":handshake: Upgrade date agreed");
    expect(shownIn(agreed)).toContain(shown("eks-title"));
    await post("late agree", click("U0SAM", ACTION_IDS.dateAgree, EKS_ID, "2026-12-15", "C0SECURITY"));
    await ephemeral("U0SAM", /already agreed by <@U0ALICE> \(team platform\) and <@U0SAM> \(team security\)/);
    await openHome("U0SAM");
    const samHome = await published("U0SAM", 1);
    for (const field of ["eks-title", "eks-version", "eks-control", "eks-id"]) {
      expect(shownIn(samHome), field).toContain(shown(field));
    }

    // 9. Reminders, the missed date (leadership too), the SLA breach of the EC2 case.
    at("2026-12-14T00:00:01.000Z");
    await test.service.sweep();
    const [reminder] = await waitTitled("C0SECURITY", ":alarm_clock: Upgrade date reminder");
    expect(shownIn(reminder)).toContain(shown("eks-title"));
    at("2026-12-16T00:00:01.000Z");
    await test.service.sweep();
    const [missed] = await waitTitled("C0LEADERS", ":rotating_light: Upgrade date missed");
    expect(shownIn(missed)).toContain(shown("eks-title"));
    at(new Date(T0 + 30 * DAY + 60_000).toISOString());
    await test.service.sweep();
    const [breached] = await waitTitled("C0LEADERS", ":rotating_light: SLA breached");
    expect(shownIn(breached)).toContain(shown("ec2-title"));
    expect(breached?.text).toContain("<@U0CISO>");

    // 10. Resolution, then the check fails again: the case is re-opened.
    at("2026-12-20T12:00:00.000Z");
    await ingest(version(ec2Event, { workflow: "NOTIFIED", compliance: "PASSED" }, "ec2-passed"));
    await eventually(async () =>
      (await getCase(test.service.db, EC2_ID))?.case.resolvedAt ? true : undefined,
    );
    at("2026-12-20T13:00:00.000Z");
    await ingest(version(ec2Event, { workflow: "NOTIFIED", compliance: "FAILED" }, "ec2-failed"));
    const [reopened] = await waitTitled("C0SECURITY", ":leftwards_arrow_with_hook: Case re-opened");
    expect(shownIn(reopened)).toContain(shown("ec2-title"));

    // 11. The weekly report, with links to the full report.
    at("2026-12-21T09:30:00.000Z");
    const report = await deliverScheduledReport(
      {
        db: test.service.db,
        policy: test.service.policy,
        client: createSlackClient({ token: "xoxb-test", slackApiUrl: slack.url }),
        logger: pino({ level: "silent" }),
        now: () => new Date(clock),
        publicUrl: PUBLIC_URL,
        instance: "hostile-text-test",
      },
      new Date(clock),
    );
    expect(report.outcome).toBe("posted");
    const summary = slack.messages("C0SECURITY").find((m) => m.text.startsWith("Weekly governance report"));
    expect(JSON.stringify(summary?.blocks)).toContain(`<${PUBLIC_URL}/`);

    // Every kind of notification the engine has was rendered and posted in this story.
    const topics = await test.service.db.query<{ topic: string }>(
      "SELECT DISTINCT payload->>'topic' AS topic FROM outbox WHERE kind = 'notify' AND status = 'done'",
    );
    expect(topics.map((row) => row.topic).sort()).toEqual([...NOTIFY_TOPICS].sort());

    // Every string Slack received or was answered, read as Slack reads it.
    const texts = [
      ...slack.requests.flatMap((request, index) =>
        collect(`${request.method} #${index}`, { ...request.params, token: undefined }),
      ),
      ...answers.flatMap((entry) => collect(`answer to ${entry.what}`, entry.body)),
    ];
    const methods = new Set(slack.requests.map((request) => request.method));
    for (const method of [
      "chat.postMessage",
      "chat.update",
      "chat.postEphemeral",
      "views.open",
      "views.publish",
    ]) {
      expect(methods, method).toContain(method);
    }
    const mrkdwn = texts.filter((entry) => entry.kind === "mrkdwn");
    const plain = texts.filter((entry) => entry.kind === "plain");
    expect(mrkdwn.length).toBeGreaterThan(200);
    for (const entry of mrkdwn) {
      const rest = OWN_MARKUP.reduce((text, own) => text.replace(own, ""), entry.text);
      // No `<!…>`, `<@…>`, `<http…>` nor any other `<`/`>` but the bot's own: every value is escaped.
      expect(rest, `${entry.where}: ${entry.text}`).not.toMatch(/[<>]/);
      // Escaped once, not twice.
      expect(entry.text, entry.where).not.toMatch(/&amp;(?:lt|gt|amp);/);
    }
    // The hostile values were shown, escaped, in every kind of text.
    const withEscaped = new Set(
      mrkdwn.filter((entry) => entry.text.includes("&lt;!channel&gt;")).map((e) => e.where.split(" ")[0]),
    );
    for (const where of [
      "chat.postMessage",
      "chat.update",
      "chat.postEphemeral",
      "views.publish",
      "answer",
    ]) {
      expect(withEscaped, where).toContain(where);
    }
    // plain_text is not mrkdwn: nothing in it is escaped, and it keeps within Slack's limits.
    for (const entry of plain) {
      expect(entry.text, entry.where).not.toMatch(/&(?:lt|gt|amp);/);
      expect(entry.text.length, entry.where).toBeLessThanOrEqual(3000);
    }
    // Links are the bot's own: encoded, nothing in them can end `<url|label>`.
    expect(urls.length).toBeGreaterThan(0);
    for (const { where, url } of urls) expect(url, where).toMatch(/^https:\/\/[^\s<>|]+$/);
    expect(slack.rateLimited()).toBe(0);
  }, 240_000);
});
