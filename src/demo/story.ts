import { createHmac } from "node:crypto";
import type { Logger } from "pino";
import type { Case } from "../engine/case.js";
import { calendarDay, formatInstant } from "../engine/time-text.js";
import { upgradeDeadlineText } from "../engine/upgrade-dates.js";
import type { SecurityHubDispatcherOptions } from "../securityhub/dispatcher.js";
import type { RunningService } from "../service.js";
import { createSlackClient } from "../slack/client.js";
import { ACTION_IDS, INPUT_ACTION, MODAL_BLOCKS, parseButtonValue } from "../slack/interaction-codecs.js";
import { deliverScheduledReport } from "../slack/report-delivery.js";
import { slackAddress } from "../slack/team-address.js";
import { caseNextDueAt, getCase } from "../store/cases.js";
import { listOutbox } from "../store/outbox.js";
import { postedSlackMessages } from "../store/slack-messages.js";
import type { SlackStandIn, StandInMessage } from "./slack-stand-in.js";
import { blockKitBuilderUrl, slackText } from "./slack-text.js";
import { findingOf, type StoryCluster, type StoryFindingVersion, storyEvent } from "./story-events.js";

export type SecurityHubCallSeen = Parameters<NonNullable<SecurityHubDispatcherOptions["onCall"]>>[0];

/** The demo's clock: the service reads it, the story moves it. */
export class DemoClock {
  constructor(private at: number) {}
  readonly now = (): Date => new Date(this.at);
  set(iso: string): void {
    this.at = Date.parse(iso);
  }
}

export interface StoryContext {
  service: RunningService;
  url: string;
  apiKey: string;
  adminToken: string;
  clock: DemoClock;
  /** Every Security Hub call the dispatcher would make, in order. */
  calls: SecurityHubCallSeen[];
  out: (line: string) => void;
  /** The Slack Web API stand-in the service posts to, and the secret its /slack/events checks. */
  slack: SlackStandIn;
  slackSigningSecret: string;
  logger: Logger;
  /** Print a Block Kit Builder link per kind of message (each is a few KB long). */
  blockKitLinks: boolean;
}

/** Who suppresses the finding in the console; in production GetFindingHistory would name them. */
const CONSOLE_USER = "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/alice";
const LEDGER: StoryCluster = { name: "ledger-prod", findingUuid: "7c2d9e41-5a6b-4c8d-9e0f-1a2b3c4d5e01" };
const CARDS: StoryCluster = { name: "cards-prod", findingUuid: "7c2d9e41-5a6b-4c8d-9e0f-1a2b3c4d5e02" };
/** Output lines are wrapped at this width. */
const WIDTH = 110;
const LABEL = 9;

const day = (iso: string | null | undefined) => (iso ? calendarDay(iso) : "-");
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** "  label    text", word-wrapped to WIDTH; continuation lines are indented under the text, deeper. */
function labelled(label: string, text: string): string[] {
  const indent = " ".repeat(2 + LABEL + 2);
  const lines: string[] = [];
  let line = `  ${label.padEnd(LABEL)}`;
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else line = empty ? `${line}${word}` : `${line} ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

function duration(ms: number | null): string {
  if (ms === null) return "-";
  const hours = Math.round(ms / 3_600_000);
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * The story the bot exists for (docs/architecture.md), told by the engine: a clock that jumps from
 * November 2026 to March 2027, findings through the HTTP intake, people's clicks as signed Slack
 * requests, the timer sweep, and the Security Hub dispatcher in dry-run mode. Each step prints
 * what happened, what the bot decided (the new audit events and their reasons), the Slack messages it
 * posted (as Slack shows them) and what it would call in Security Hub. Returns the two story cases' ids.
 */
export async function tellStory(ctx: StoryContext): Promise<string[]> {
  const { out, clock, service } = ctx;
  const printedSeq = new Map<string, number>();
  const printedOutbox = new Map<string, number>();
  const namedFindings = new Set<string>();
  const linkedTopics = new Set<string>();
  let printedCalls = 0;
  let step = 0;
  let eventCount = 0;

  const say = (label: string, text: string) => {
    for (const line of labelled(label, text)) out(line);
  };

  const heading = (at: string, title: string) => {
    clock.set(at);
    step += 1;
    out("");
    out(`── ${step}. ${formatInstant(at)}  ${title}`);
  };

  /** The Security Hub effects delivered: the dispatcher polls every second; drain it now instead. */
  const settle = async () => {
    for (let round = 0; round < 200; round++) {
      await service.dispatcher?.drain();
      const pending = await listOutbox(service.db, { status: "pending" });
      if (!pending.some((row) => row.kind.startsWith("securityhub."))) return;
      await pause(50);
    }
    throw new Error("the Security Hub dispatcher did not deliver its outbox within 10 s");
  };

  const caseState = async (caseId: string): Promise<Case> => {
    const detail = await getCase(service.db, caseId);
    if (!detail) throw new Error(`no case ${caseId}`);
    return detail.case;
  };

  /**
   * Every message repeats the case's facts (title, fields, id): shown in full the first time for a
   * case, then only the fields that changed, to keep the output short.
   */
  const factsSeen = new Map<string, string[]>();
  const sparing = (caseId: string, blocks: unknown[]): unknown[] => {
    const at = blocks.findIndex((b) => Array.isArray((b as { fields?: unknown }).fields));
    if (at < 1) return blocks;
    const fields = slackText([blocks[at]])[0]?.split(" · ") ?? [];
    const before = factsSeen.get(caseId);
    factsSeen.set(caseId, fields);
    if (!before) return blocks;
    const changed = fields.filter((field) => !before.includes(field));
    const note = `(case facts as above${changed.length > 0 ? `; now ${changed.join(" · ")}` : ""})`;
    return [
      ...blocks.slice(0, at - 1),
      { type: "context", elements: [{ type: "plain_text", text: note }] },
      ...blocks.slice(at + 2),
    ];
  };

  const teamOf = (channel: string) =>
    Object.entries(service.policy.teams).find(([, team]) => slackAddress(team)?.address === channel)?.[0] ??
    "?";

  /** The Slack messages of a notify row, once the service's Slack dispatcher posted them to the stand-in. */
  const delivered = async (outboxId: string): Promise<StandInMessage[]> => {
    for (let round = 0; round < 400; round++) {
      const [row] = await listOutbox(service.db, { id: outboxId });
      if (row?.status !== "pending") {
        const posted = await postedSlackMessages(service.db, [outboxId]);
        return posted.flatMap(
          (p) => ctx.slack.messages.find((m) => m.ts === p.ts && m.channel === p.channelId) ?? [],
        );
      }
      await pause(25);
    }
    throw new Error(`the Slack dispatcher did not deliver notification ${outboxId} within 10 s`);
  };

  /** Prints what the bot decided, told and called for the case since the last report. */
  const report = async (caseId: string): Promise<number> => {
    await settle();
    const detail = await getCase(service.db, caseId);
    if (!detail) throw new Error(`no case ${caseId}`);
    const title = `"${detail.case.title}"`;
    const events = detail.events.filter((event) => event.seq > (printedSeq.get(caseId) ?? 0));
    printedSeq.set(caseId, detail.events.at(-1)?.seq ?? 0);
    let decided = 0;
    for (const event of events) {
      // Observations are what happened (printed by the step); the rest is what the bot decided.
      if (event.type === "finding.observed" && !event.data.ownUpdate) continue;
      decided += 1;
      say("decided", `${event.type}${event.reason ? `: ${event.reason}` : ""}`);
    }
    const outbox = await listOutbox(service.db, { caseId, kind: "notify" });
    const fresh = outbox.filter((row) => Number(row.id) > (printedOutbox.get(caseId) ?? 0));
    printedOutbox.set(caseId, Math.max(0, ...outbox.map((row) => Number(row.id))));
    for (const row of fresh) {
      const posted = await delivered(row.id);
      posted.forEach((message, index) => {
        const team = teamOf(message.channel);
        const lines = slackText(sparing(caseId, message.blocks)).map((line) => line.replaceAll(title, '"…"'));
        if (index > 0) {
          say("", `also to ${team} ${message.channel}: ${lines[0] ?? message.text}`);
          return;
        }
        say("slack", `to ${team} ${message.channel}:`);
        for (const line of lines) say("", line);
        const topic = row.payload.kind === "notify" ? row.payload.topic : row.kind;
        if (!ctx.blockKitLinks || linkedTopics.has(topic)) return;
        linkedTopics.add(topic);
        say("", `Block Kit Builder (once per topic, here ${topic}):`);
        out(`${" ".repeat(2 + LABEL + 4)}${blockKitBuilderUrl(message.blocks)}`);
      });
    }
    for (const call of ctx.calls.slice(printedCalls)) {
      const input = call.input as {
        findingId: string;
        productArn: string;
        workflowStatus?: string;
        note?: string;
      };
      if (input.findingId !== detail.case.findingId) continue;
      const finding = namedFindings.has(input.findingId)
        ? "(the same finding)"
        : `[{Id: ${input.findingId}, ProductArn: ${input.productArn}}]`;
      namedFindings.add(input.findingId);
      if (call.operation === "GetFindingHistory") {
        say(
          "calls",
          `GetFindingHistory ${finding}: a dry run does not ask, so the bot names whom the finding's note ` +
            "names, unconfirmed; in production UpdateSource.Identity names the caller's ARN",
        );
      } else {
        say(
          "calls",
          `${call.operation} FindingIdentifiers ${finding} Workflow.Status ${input.workflowStatus}`,
        );
        say("", `Note.Text "${input.note}"`);
      }
    }
    printedCalls = ctx.calls.length;
    return decided;
  };

  /** Posts a version of the cluster's finding to POST /events and waits until the worker applied it. */
  const post = async (cluster: StoryCluster, version: StoryFindingVersion): Promise<string> => {
    eventCount += 1;
    const eventId = `demo-story-${String(eventCount).padStart(4, "0")}`;
    const event = storyEvent(cluster, version, eventId);
    const response = await fetch(`${ctx.url}/events`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": ctx.apiKey },
      body: JSON.stringify(event),
    });
    if (response.status !== 202) throw new Error(`POST /events answered ${response.status}`);
    const id = findingOf(event).Id;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const detail = await getCase(service.db, id);
      if (detail?.events.some((e) => e.type === "finding.observed" && e.data.eventId === eventId)) {
        await report(id);
        return id;
      }
      await pause(50);
    }
    throw new Error(`the worker did not apply event ${eventId} within 30 s`);
  };

  /** A signed request to the service's POST /slack/events, as Slack sends it. */
  const toSlack = async (payload: Record<string, unknown>): Promise<string> => {
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const ts = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac("sha256", ctx.slackSigningSecret).update(`v0:${ts}:${body}`).digest("hex")}`;
    const response = await fetch(`${ctx.url}/slack/events`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(ts),
        "x-slack-signature": signature,
      },
      body,
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`POST /slack/events answered ${response.status}: ${text}`);
    return text;
  };

  const slackUser = (user: string) => ({
    id: user,
    username: user.toLowerCase(),
    name: user.toLowerCase(),
    team_id: "T0DEMO",
  });

  /** The latest message about the case with this button, and the button. */
  const findButton = (caseId: string, actionId: string, team: string) => {
    // The user's own team channel first: that is where they would see the message.
    const own = slackAddress(service.policy.teams[team])?.address;
    const newestFirst = [...ctx.slack.messages].reverse();
    for (const message of [
      ...newestFirst.filter((m) => m.channel === own),
      ...newestFirst.filter((m) => m.channel !== own),
    ]) {
      for (const block of message.blocks as { type?: string; elements?: Record<string, unknown>[] }[]) {
        if (block.type !== "actions") continue;
        const button = block.elements?.find(
          (e) => e.action_id === actionId && parseButtonValue(String(e.value))?.caseId === caseId,
        );
        if (button) return { message, button };
      }
    }
    throw new Error(`no Slack message about ${caseId} has a ${actionId} button`);
  };

  /** Prints the replies only the user sees, posted since `from`. */
  const ephemeralsSince = async (from: number) => {
    // The service answers Slack first (within 3 s, as Slack requires), then replies.
    for (let round = 0; round < 200 && ctx.slack.ephemerals.length === from; round++) await pause(25);
    for (const reply of ctx.slack.ephemerals.slice(from))
      say("", `Slack (ephemeral to ${reply.user}): ${reply.text}`);
  };

  /** `user` clicks a button of the latest message about the case that has it. */
  const click = async (caseId: string, user: string, team: string, actionId: string): Promise<void> => {
    const { message, button } = findButton(caseId, actionId, team);
    const label = (button.text as { text?: string } | undefined)?.text ?? actionId;
    say("clicks", `${user} (${team}) clicks [${label}] in ${teamOf(message.channel)} ${message.channel}`);
    await toSlack({
      type: "block_actions",
      user: slackUser(user),
      api_app_id: "A0DEMO",
      token: "demo",
      container: {
        type: "message",
        message_ts: message.ts,
        channel_id: message.channel,
        is_ephemeral: false,
      },
      trigger_id: `trigger-${user}-${actionId}-${message.ts}`,
      team: { id: "T0DEMO", domain: "demo" },
      channel: { id: message.channel, name: teamOf(message.channel) },
      message: { type: "message", ts: message.ts, text: message.text },
      response_url: "https://hooks.slack.invalid/actions/demo",
      actions: [
        {
          type: "button",
          action_id: actionId,
          block_id: "actions",
          value: button.value,
          action_ts: message.ts,
        },
      ],
    });
  };

  /** Proposes a date as people do in Slack: the Propose upgrade date button, then the date modal. */
  const propose = async (caseId: string, user: string, team: string, date: string) => {
    const views = ctx.slack.views.length;
    const replies = ctx.slack.ephemerals.length;
    await click(caseId, user, team, ACTION_IDS.datePropose);
    for (let round = 0; ctx.slack.views.length === views; round++) {
      if (round > 200) throw new Error("the date modal did not open within 5 s");
      await pause(25);
    }
    const view = ctx.slack.views.at(-1) ?? {};
    say(
      "",
      `Slack opens the modal "${(view.title as { text?: string } | undefined)?.text}"; ${user} picks ${date}`,
    );
    const answer = await toSlack({
      type: "view_submission",
      team: { id: "T0DEMO", domain: "demo" },
      user: slackUser(user),
      api_app_id: "A0DEMO",
      token: "demo",
      trigger_id: `trigger-submit-${user}`,
      view: {
        ...view,
        id: `V${ctx.slack.views.length}`,
        team_id: "T0DEMO",
        hash: "demo",
        state: {
          values: { [MODAL_BLOCKS.date]: { [INPUT_ACTION]: { type: "datepicker", selected_date: date } } },
        },
      },
      response_urls: [],
    });
    const errors = answer ? (JSON.parse(answer) as { errors?: Record<string, string> }).errors : undefined;
    for (const [block, error] of Object.entries(errors ?? {}))
      say("refused", `the modal stays open, its ${block} field says: ${error}`);
    if (!errors) await ephemeralsSince(replies);
    await report(caseId);
  };

  /** Agrees as people do in Slack: the Agree button of the proposal's message. */
  const agree = async (caseId: string, user: string, team: string) => {
    const replies = ctx.slack.ephemerals.length;
    await click(caseId, user, team, ACTION_IDS.dateAgree);
    await ephemeralsSince(replies);
    await report(caseId);
  };

  /** Moves the clock and fires the timers due, as the service's sweep does every minute. */
  const sweepAt = async (at: string, caseId: string): Promise<number> => {
    clock.set(at);
    await service.sweep();
    return report(caseId);
  };

  // ── the story ──────────────────────────────────────────────────────────────────────────────
  const firstSeen = "2026-11-20T09:58:00.000Z";
  const ledger = (version: Partial<StoryFindingVersion> = {}) =>
    post(LEDGER, { kubernetes: "1.35", firstObservedAt: firstSeen, updatedAt: firstSeen, ...version });

  heading("2026-11-20T10:00:00.000Z", "An EKS.2 finding arrives: cluster ledger-prod runs Kubernetes 1.35");
  const id = await ledger({ processedAt: "2026-11-20T09:58:04.000Z" });
  const opened = await caseState(id);
  say(
    "case",
    `"${opened.title}" (quoted "…" below): ${opened.status}, owner ${opened.owner}, counterpart ` +
      `${opened.counterpart}, SLA due ${day(opened.slaDueAt)}, a date to agree` +
      (opened.upgrade ? `${opened.upgrade.deadline ? " " : ", "}${upgradeDeadlineText(opened.upgrade)}` : ""),
  );

  heading("2026-12-05T10:00:00.000Z", "No date agreed and half of the 30-day SLA used: the ladder escalates");
  await sweepAt("2026-12-05T10:00:00.000Z", id);
  say("", "2026-12-13, three quarters used:");
  await sweepAt("2026-12-13T10:00:00.000Z", id);

  heading("2026-12-14T09:00:00.000Z", "Platform suppresses the finding in the Security Hub console");
  say("event", `Workflow.Status SUPPRESSED by ${CONSOLE_USER}, with Note "Will upgrade next quarter"`);
  await ledger({
    workflowStatus: "SUPPRESSED",
    processedAt: "2026-12-14T09:00:02.000Z",
    note: {
      Text: "Will upgrade next quarter",
      UpdatedBy: CONSOLE_USER,
      UpdatedAt: "2026-12-14T09:00:00.000Z",
    },
  });

  heading("2026-12-14T11:00:00.000Z", "Platform proposes an upgrade date after the end of standard support");
  await propose(id, "U0ALICE", "platform", "2027-04-15");

  heading("2026-12-14T11:05:00.000Z", "Platform proposes a valid date; the next day security agrees");
  await propose(id, "U0ALICE", "platform", "2027-03-01");
  clock.set("2026-12-15T10:00:00.000Z");
  await agree(id, "U0SECBOB", "security");
  const agreed = await caseState(id);
  say(
    "case",
    `${agreed.status}: upgrade on ${agreed.upgrade?.agreed?.date}, SLA due now ${day(agreed.slaDueAt)}`,
  );
  const quiet = await sweepAt("2026-12-21T10:00:00.000Z", id);
  if (quiet === 0)
    say("", "2026-12-21: the original SLA end (2026-12-20) passes, no escalation: the agreed date counts");

  heading("2027-02-15T09:00:00.000Z", "Reminders 14, 7 and 1 days before the agreed date");
  await sweepAt("2027-02-15T09:00:00.000Z", id);
  await sweepAt("2027-02-22T09:00:00.000Z", id);
  await sweepAt("2027-02-28T09:00:00.000Z", id);

  heading("2027-03-02T09:00:00.000Z", "The agreed date passes and the finding still fails");
  await sweepAt("2027-03-02T09:00:00.000Z", id);

  // ── the good ending ────────────────────────────────────────────────────────────────────────
  const cardsSeen = "2027-03-05T10:00:00.000Z";
  heading(cardsSeen, "A good ending: cluster cards-prod (Kubernetes 1.35) fails EKS.2 too");
  const good = await post(CARDS, { kubernetes: "1.35", firstObservedAt: cardsSeen, updatedAt: cardsSeen });
  await propose(good, "U0SECBOB", "security", "2027-03-26");
  await agree(good, "U0ALICE", "platform");

  const passed = "2027-03-11T14:00:00.000Z";
  heading(passed, "Platform upgrades cards-prod to 1.36: the check passes, before the date");
  await post(CARDS, {
    kubernetes: "1.36",
    complianceStatus: "PASSED",
    firstObservedAt: cardsSeen,
    updatedAt: passed,
  });
  const closed = await caseState(good);
  const left = (await caseNextDueAt(service.db, good)) ? "a timer is still set" : "no timer left";
  say("case", `${closed.status}: time to remediate ${duration(closed.timeToRemediateMs)}, ${left}`);

  // ── the weekly report ──────────────────────────────────────────────────────────────────────
  // 09:00 in São Paulo on Monday 2027-03-15; the service's job scheduler would fire it on the real clock.
  const monday = "2027-03-15T12:00:00.000Z";
  heading(monday, "Monday 09:00 in São Paulo: the weekly governance report");
  const posted = await deliverScheduledReport(
    {
      db: service.db,
      policy: service.policy,
      client: createSlackClient({ token: "xoxb-demo", slackApiUrl: ctx.slack.url }),
      logger: ctx.logger,
      now: clock.now,
      publicUrl: null,
      instance: "demo",
    },
    new Date(monday),
  );
  if (posted.outcome !== "posted")
    throw new Error(`the weekly report was not posted: ${JSON.stringify(posted)}`);
  const summary = ctx.slack.messages.find((message) => message.ts === posted.ts);
  const channel = summary?.channel ?? "";
  say("slack", `to ${teamOf(channel)} ${channel}:`);
  for (const line of slackText(summary?.blocks ?? [])) say("", line);
  if (ctx.blockKitLinks) {
    say("", "Block Kit Builder (once per topic, here the weekly report):");
    out(`${" ".repeat(2 + LABEL + 4)}${blockKitBuilderUrl(summary?.blocks ?? [])}`);
  }
  for (const file of ctx.slack.files.filter((f) => f.threadTs === posted.ts)) {
    say("files", `in its thread (files.uploadV2): ${file.filename}, ${Math.round(file.bytes / 1024)} KiB`);
  }
  say(
    "",
    "With PUBLIC_URL set, each number links to its section of the full report, which the service serves.",
  );
  return [id, good];
}
