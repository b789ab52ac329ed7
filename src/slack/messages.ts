import type { Actor, Case } from "../engine/case.js";
import { caseRef } from "../engine/case-ref.js";
import { DAY_MS } from "../engine/durations.js";
import type { NotifyEffect, NotifyTopic } from "../engine/effects.js";
import type { Policy, Team } from "../engine/policy.js";
import { formatInstant } from "../engine/time-text.js";
import { upgradeDeadlineText } from "../engine/upgrade-dates.js";
import { truncate } from "../lib/text.js";
import {
  code,
  joinMrkdwn,
  type Mrkdwn,
  md,
  mrkdwnText,
  plainText,
  truncateMrkdwn,
  usergroupMention,
  userMention,
} from "./mrkdwn.js";
import type { RenderNotification, SlackMessage } from "./types.js";

/**
 * Block Kit for the Slack side: notification messages with the buttons that move a case, the
 * modals those buttons open, and the case summaries of `/shgov`. Pure: no I/O, time is an argument.
 * Every mrkdwn text is a `Mrkdwn` built with md`…` (./mrkdwn.ts): values from findings, people and
 * the policy are escaped where they are interpolated, and the engine's notification texts, plain
 * text by contract, are escaped when rendered.
 */

export const ACTION_IDS = {
  claim: "shgov_claim",
  exceptionRequest: "shgov_exception_request",
  exceptionApprove: "shgov_exception_approve",
  exceptionReject: "shgov_exception_reject",
  datePropose: "shgov_date_propose",
  dateAgree: "shgov_date_agree",
  /** The console link; Slack still sends a block_actions payload for it, which is only acknowledged. */
  console: "shgov_console",
} as const;

export const VIEW_IDS = {
  exception: "shgov_exception_modal",
  date: "shgov_date_modal",
  reject: "shgov_reject_modal",
} as const;

/** Block and action ids of the modal inputs (view.state.values[block][INPUT_ACTION]). */
export const MODAL_BLOCKS = {
  justification: "justification",
  expiry: "expiry",
  compensating: "compensating",
  date: "date",
  reason: "reason",
} as const;
export const INPUT_ACTION = "value";

/** Block Kit limits this module keeps to. */
export const SECTION_TEXT_MAX = 3000;
export const FIELD_TEXT_MAX = 2000;
export const MAX_BLOCKS = 50;
const BUTTON_TEXT_MAX = 75;
/** Longest justification and compensating-controls text; together they fit the 2000-character limit of an action. */
export const JUSTIFICATION_MAX = 1500;
export const COMPENSATING_MAX = 470;

/** What a button carries: the case, and for an agreement the date that was on the table. */
export interface ButtonValue {
  caseId: string;
  date?: string;
}

export function encodeButtonValue(value: ButtonValue): string {
  return JSON.stringify(value.date ? { c: value.caseId, d: value.date } : { c: value.caseId });
}

export function parseButtonValue(text: string | undefined): ButtonValue | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as { c?: unknown; d?: unknown };
    if (typeof parsed.c !== "string" || parsed.c.length === 0) return null;
    return typeof parsed.d === "string" ? { caseId: parsed.c, date: parsed.d } : { caseId: parsed.c };
  } catch {
    return null;
  }
}

/** What a modal carries between opening and submission: the case, and where to confirm. */
export interface ModalMetadata {
  caseId: string;
  channel: string | null;
}

export function encodeModalMetadata(meta: ModalMetadata): string {
  return JSON.stringify({ c: meta.caseId, ch: meta.channel });
}

export function parseModalMetadata(text: string | undefined): ModalMetadata | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as { c?: unknown; ch?: unknown };
    if (typeof parsed.c !== "string" || parsed.c.length === 0) return null;
    return { caseId: parsed.c, channel: typeof parsed.ch === "string" ? parsed.ch : null };
  } catch {
    return null;
  }
}

/**
 * The start of a Slack line about a case: its id for people as code (`SHG-42`, what `/shgov case`
 * and the CLI take) and a separator; nothing when the case has no number.
 */
export function refLead(ref: string | null): Mrkdwn {
  return ref ? md`${code(ref)} · ` : md``;
}

/** The Security Hub console, filtered on this finding's id (the console expects the value encoded twice). */
export function consoleUrl(c: Pick<Case, "region" | "findingId">): string {
  const region = c.region || "us-east-1";
  const id = encodeURIComponent(encodeURIComponent(c.findingId));
  return `https://console.aws.amazon.com/securityhub/home?region=${encodeURIComponent(region)}#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A${id}`;
}

function mrkdwn(text: Mrkdwn, max = SECTION_TEXT_MAX) {
  return mrkdwnText(text, max);
}

function plain(text: string, max: number) {
  return plainText(text, max);
}

export function section(text: Mrkdwn) {
  return { type: "section", text: mrkdwn(text) };
}

function button(
  actionId: string,
  text: string,
  value: ButtonValue,
  style?: "primary" | "danger",
  confirm?: { title: string; text: string; confirm: string },
) {
  return {
    type: "button",
    action_id: actionId,
    text: plain(text, BUTTON_TEXT_MAX),
    value: encodeButtonValue(value),
    ...(style ? { style } : {}),
    ...(confirm
      ? {
          confirm: {
            title: plain(confirm.title, 100),
            text: plain(confirm.text, 300),
            confirm: plain(confirm.confirm, 30),
            deny: plain("Cancel", 30),
          },
        }
      : {}),
  };
}

/** True when the case still waits for both teams to agree an upgrade date. */
export function needsUpgradeDate(c: Case): boolean {
  return c.upgrade !== null && c.upgrade.agreed === null && c.resolvedAt === null;
}

/** The buttons that move the case, for a notification of `topic`. */
export function actionButtons(topic: NotifyTopic, c: Case): Record<string, unknown>[] {
  const v = { caseId: c.id };
  const claim = button(ACTION_IDS.claim, "Claim", v);
  const requestException = button(ACTION_IDS.exceptionRequest, "Request exception", v);
  const proposeDate = button(ACTION_IDS.datePropose, "Propose upgrade date", v);
  if (c.resolvedAt !== null) return [];
  switch (topic) {
    case "suppression.blocked":
      return [{ ...requestException, style: "primary" }, claim];
    case "exception.requested":
      if (c.exception?.status !== "requested") return [];
      return [
        button(ACTION_IDS.exceptionApprove, "Approve", v, "primary", {
          title: "Approve the exception?",
          text: "The finding will be suppressed in Security Hub until the exception expires, and its SLA clock paused.",
          confirm: "Approve",
        }),
        button(ACTION_IDS.exceptionReject, "Reject", v, "danger"),
      ];
    case "date.proposed": {
      if (supersededOutcome(topic, c) !== null) return [];
      const proposal = c.upgrade?.proposal;
      const buttons: Record<string, unknown>[] = [];
      if (proposal) {
        buttons.push(
          button(
            ACTION_IDS.dateAgree,
            `Agree to ${proposal.date}`,
            { caseId: c.id, date: proposal.date },
            "primary",
          ),
        );
      }
      if (c.upgrade) buttons.push(button(ACTION_IDS.datePropose, "Propose another date", v));
      return buttons;
    }
    case "case.opened":
    case "escalated":
    case "sla.breached":
    case "case.reopened":
      return [claim, requestException, ...(needsUpgradeDate(c) ? [proposeDate] : [])];
    case "date.reminder":
    case "date.missed":
      return [claim];
    default:
      return [];
  }
}

/** An instant as people read it in Slack: "2026-11-21 12:00 UTC". */
export function when(iso: string): string {
  return formatInstant(iso);
}

/** "<@U1> (platform)": a person who acted, mentioned when they are a Slack user. */
function actor(a: Actor): Mrkdwn {
  return md`${userMention(a.user)} (${a.team})`;
}

function actors(list: Actor[]): Mrkdwn {
  return joinMrkdwn(list.map(actor), " and ");
}

/**
 * What became of the question a message of `topic` asked, when the case has moved on: the
 * exception it asked to decide was decided (or lapsed), the date it proposed was agreed. Null while
 * the question is still open (its buttons still mean something). Read from the case as it is now.
 */
export function outcomeOf(topic: NotifyTopic, c: Case | null): Mrkdwn | null {
  if (!c) return null;
  if (topic === "exception.requested") {
    const exception = c.exception;
    if (!exception || exception.status === "requested") return null;
    return exceptionOutcome(exception);
  }
  if (topic === "date.proposed") {
    const upgrade = c.upgrade;
    if (!upgrade?.agreed || upgrade.proposal) return null;
    return md`:handshake: Upgrade date ${upgrade.agreed.date} agreed by ${actors(upgrade.agreed.by)} at ${when(upgrade.agreed.at)}`;
  }
  return null;
}

/** outcomeOf as the mrkdwn string the Slack dispatcher puts in a message (escaped like every other). */
export function supersededOutcome(topic: NotifyTopic, c: Case | null): string | null {
  return outcomeOf(topic, c)?.text ?? null;
}

function exceptionOutcome(exception: NonNullable<Case["exception"]>): Mrkdwn {
  const by = exception.decidedBy ? actor(exception.decidedBy) : md`the approver team`;
  const at = exception.decidedAt ? md` at ${when(exception.decidedAt)}` : md``;
  switch (exception.status) {
    case "approved":
      return md`:white_check_mark: Exception ${exception.id} approved by ${by}${at}, until ${when(exception.expiresAt)}`;
    case "rejected":
      return md`:x: Exception ${exception.id} rejected by ${by}${at}${exception.decisionReason ? md`: ${truncate(exception.decisionReason, 500)}` : md``}`;
    case "expired":
      return exception.decidedBy
        ? md`:hourglass: Exception ${exception.id} approved by ${by}${at}; expired at ${when(exception.expiresAt)}`
        : md`:hourglass: Exception request ${exception.id} lapsed: nobody decided before ${when(exception.expiresAt)}`;
    default:
      return md`Exception ${exception.id} is waiting for a decision`;
  }
}

/** A late click's note as parts: text, and the people who decided (a mention in mrkdwn, an id in plain text). */
type NotePart = string | Actor;

function lateClickParts(action: string, c: Case | null): NotePart[] | null {
  if (!c) return null;
  if (action === "exception_approve" || action === "exception_reject") {
    const exception = c.exception;
    if (!exception || exception.status === "requested") return null;
    const by: NotePart[] = exception.decidedBy ? [exception.decidedBy] : ["the approver team"];
    const at = exception.decidedAt ? ` at ${when(exception.decidedAt)}` : "";
    switch (exception.status) {
      case "approved":
        return [`exception ${exception.id} was already approved by `, ...by, at];
      case "rejected":
        return [`exception ${exception.id} was already rejected by `, ...by, at];
      case "expired":
        return exception.decidedBy
          ? [
              `exception ${exception.id} was approved by `,
              ...by,
              `${at} and expired at ${when(exception.expiresAt)}`,
            ]
          : [
              `exception request ${exception.id} lapsed at ${when(exception.expiresAt)}: nobody decided it in time`,
            ];
    }
  }
  if (action === "date_agree") {
    const agreed = c.upgrade?.agreed;
    if (!agreed || c.upgrade?.proposal) return null;
    const by = agreed.by.flatMap((a, index): NotePart[] => (index === 0 ? [a] : [" and ", a]));
    return [`the upgrade date ${agreed.date} was already agreed by `, ...by, ` at ${when(agreed.at)}`];
  }
  return null;
}

/**
 * Why a click on a button of an older message came too late, with who decided and when, or null
 * when the case gives no such reason: appended to the engine's refusal in the ephemeral reply.
 */
export function lateClick(action: string, c: Case | null): Mrkdwn | null {
  const parts = lateClickParts(action, c);
  if (!parts) return null;
  return joinMrkdwn(
    parts.map((part) =>
      typeof part === "string" ? part : md`${userMention(part.user)} (team ${part.team})`,
    ),
    "",
  );
}

/** lateClick as its mrkdwn string. */
export function lateClickNote(action: string, c: Case | null): string | null {
  return lateClick(action, c)?.text ?? null;
}

/** lateClick as plain text, for a modal's error (which Slack does not parse). */
export function lateClickPlain(action: string, c: Case | null): string | null {
  const parts = lateClickParts(action, c);
  if (!parts) return null;
  return parts.map((part) => (typeof part === "string" ? part : `${part.user} (team ${part.team})`)).join("");
}

function consoleButton(c: Case) {
  return {
    type: "button",
    action_id: ACTION_IDS.console,
    text: plain("View in AWS console", BUTTON_TEXT_MAX),
    url: consoleUrl(c),
  };
}

function day(iso: string | null): string {
  return iso ? iso.slice(0, 10) : "none";
}

function dueText(c: Case): string {
  if (!c.tracked) return "not tracked";
  if (!c.slaDueAt) return c.exception?.status === "approved" ? "paused (exception)" : "none";
  return `${c.slaDueAt.slice(0, 16).replace("T", " ")} UTC`;
}

/** The facts of a case as section fields (at most 10, each within the field limit). */
export function caseFields(c: Case): { type: string; text: string }[] {
  const resource = c.resourceId
    ? md`${truncate(c.resourceType ?? "resource", 200)} ${code(truncate(c.resourceId, 1000))}`
    : md`none`;
  const fields = [
    md`*Control*\n${truncate(c.controlId ?? "none", 500)}`,
    md`*Severity*\n${c.severity}`,
    md`*Account / region*\n${truncate(c.accountId, 500)} / ${truncate(c.region, 500)}`,
    md`*Resource*\n${resource}`,
    md`*Owner*\n${c.owner}${c.assignee ? md` (claimed by ${userMention(c.assignee.user)})` : md``}`,
    md`*Counterpart*\n${c.counterpart}`,
    md`*SLA due*\n${dueText(c)}`,
    md`*Status*\n${c.status}${c.escalationLevel > 0 ? ` (escalation level ${c.escalationLevel})` : ""}`,
  ];
  if (c.exception) {
    fields.push(
      md`*Exception*\n${c.exception.id} ${c.exception.status}, until ${day(c.exception.expiresAt)}`,
    );
  }
  if (c.upgrade) {
    const upgrade = c.upgrade;
    const state = upgrade.agreed
      ? `agreed: ${upgrade.agreed.date}`
      : upgrade.proposal
        ? `proposed: ${upgrade.proposal.date}`
        : "to be agreed";
    // The engine's one phrase for the deadline: "before 2027-03-27 (EKS 1.35 end of standard
    // support)", or why none is left.
    fields.push(md`*Upgrade date*\n${state}; ${upgradeDeadlineText(upgrade)}`);
  }
  return fields.slice(0, 10).map((text) => mrkdwn(text, FIELD_TEXT_MAX));
}

/** "Case `SHG-42` · finding `arn…`", or "Case `arn…`" when the case has no number. */
function caseLabel(c: Pick<Case, "id" | "number">): Mrkdwn {
  const ref = caseRef(c);
  const finding = code(truncate(c.id, 1000));
  return ref ? md`Case ${code(ref)} · finding ${finding}` : md`Case ${finding}`;
}

/** The case as blocks: title, facts and id. */
export function caseBlocks(c: Case): Record<string, unknown>[] {
  return [
    section(md`*${truncate(c.title, 500)}*`),
    { type: "section", fields: caseFields(c) },
    { type: "context", elements: [mrkdwn(caseLabel(c))] },
  ];
}

/** The team's configured user group and, when asked, its leads: the bot's own mentions. */
function mentions(team: Team | undefined, mentionLeads: boolean): Mrkdwn | null {
  if (!team) return null;
  const parts: Mrkdwn[] = [];
  if (team.slackUsergroup) parts.push(usergroupMention(team.slackUsergroup));
  if (mentionLeads) parts.push(...team.leads.map(userMention));
  return parts.length > 0 ? joinMrkdwn(parts, " ") : null;
}

const TOPIC_TITLES: Record<NotifyTopic, string> = {
  "case.opened": ":new: New case",
  "suppression.blocked": ":no_entry: Suppression blocked",
  "exception.requested": ":raised_hand: Exception requested",
  "exception.approved": ":white_check_mark: Exception approved",
  "exception.rejected": ":x: Exception rejected",
  "exception.expired": ":hourglass: Exception expired",
  "date.proposed": ":calendar: Upgrade date proposed",
  "date.agreed": ":handshake: Upgrade date agreed",
  "date.reminder": ":alarm_clock: Upgrade date reminder",
  "date.missed": ":rotating_light: Upgrade date missed",
  escalated: ":arrow_up: Escalated",
  "sla.breached": ":rotating_light: SLA breached",
  "case.reopened": ":leftwards_arrow_with_hook: Case re-opened",
  "effect.failed": ":warning: Security Hub update failed",
};

/** One message per team of the effect, to that team's channel. */
export const renderNotification: RenderNotification = (
  effect: NotifyEffect,
  current: Case | null,
  policy: Policy,
) => {
  const messages: SlackMessage[] = [];
  for (const name of [...new Set(effect.teams)]) {
    const team = policy.teams[name];
    if (!team) continue;
    const mention = mentions(team, effect.mentionLeads);
    const head = md`${TOPIC_TITLES[effect.topic]}${mention ? md` ${mention}` : md``}`;
    // The engine's text is plain text by contract: escaped here, where it becomes mrkdwn.
    const body = md`${effect.text}`;
    const blocks: Record<string, unknown>[] = [
      section(md`${head}\n${truncateMrkdwn(body, SECTION_TEXT_MAX - head.text.length - 1)}`),
    ];
    const outcome = outcomeOf(effect.topic, current);
    if (current && outcome !== null) {
      // The question this message asked is answered: it shows the answer, and no buttons.
      blocks.push(...caseBlocks(current));
      blocks.push({ type: "context", elements: [mrkdwn(outcome)] });
    } else if (current) {
      blocks.push(...caseBlocks(current));
      blocks.push({
        type: "actions",
        elements: [...actionButtons(effect.topic, current), consoleButton(current)],
      });
    } else {
      blocks.push({
        type: "context",
        elements: [mrkdwn(md`Case ${code(truncate(effect.caseId, 1000))} no longer exists`)],
      });
    }
    // The notification's text is mrkdwn too (and what a phone shows): escaped like the blocks.
    const text = md`${mention ? md`${mention} ` : md``}${effect.text}${outcome !== null ? md`\n${outcome}` : md``}`;
    messages.push({
      channel: team.slackChannel,
      text: truncateMrkdwn(text, SECTION_TEXT_MAX).text,
      blocks: blocks.slice(0, MAX_BLOCKS),
    });
  }
  return messages;
};

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The last day an exception may run through: an exception chosen as a day holds until the end of
 * that day (UTC), which must be within `maxDurationMs` of now.
 */
export function latestExpiryDay(maxDurationMs: number, now: Date): string {
  return isoDay(now.getTime() + maxDurationMs - DAY_MS);
}

function modal(callbackId: string, title: string, submit: string, meta: ModalMetadata, blocks: unknown[]) {
  return {
    type: "modal" as const,
    callback_id: callbackId,
    title: plain(title, 24),
    submit: plain(submit, 24),
    close: plain("Cancel", 24),
    private_metadata: encodeModalMetadata(meta),
    blocks,
  };
}

function textInput(
  blockId: string,
  label: string,
  options: { multiline: boolean; maxLength: number; optional?: boolean; hint?: string; placeholder?: string },
) {
  return {
    type: "input",
    block_id: blockId,
    label: plain(label, 2000),
    optional: options.optional ?? false,
    ...(options.hint ? { hint: plain(options.hint, 2000) } : {}),
    element: {
      type: "plain_text_input",
      action_id: INPUT_ACTION,
      multiline: options.multiline,
      max_length: options.maxLength,
      ...(options.placeholder ? { placeholder: plain(options.placeholder, 150) } : {}),
    },
  };
}

/** The case a modal is about: its id for people when known, else the finding id. */
function modalCase(caseId: string, ref: string | null): Mrkdwn {
  return code(ref ?? truncate(caseId, 1000));
}

/** Request an exception: justification, expiry within the policy's maximum, compensating controls. */
export function exceptionModal(
  caseId: string,
  maxDurationMs: number,
  now: Date,
  channel: string | null = null,
  ref: string | null = null,
) {
  const today = isoDay(now.getTime());
  const latest = latestExpiryDay(maxDurationMs, now);
  const suggested = isoDay(now.getTime() + 30 * DAY_MS);
  const initial = [suggested, latest].sort()[0] ?? latest;
  const maxDays = Math.floor(maxDurationMs / DAY_MS);
  return modal(VIEW_IDS.exception, "Request an exception", "Request", { caseId, channel }, [
    section(md`Case ${modalCase(caseId, ref)}. The approver team decides; your own team cannot.`),
    textInput(MODAL_BLOCKS.justification, "Justification", {
      multiline: true,
      maxLength: JUSTIFICATION_MAX,
      placeholder: "Why may this finding stay suppressed?",
    }),
    {
      type: "input",
      block_id: MODAL_BLOCKS.expiry,
      label: plain("Expires at the end of (UTC)", 2000),
      hint: plain(
        `At most ${latest} (the policy allows ${maxDays} day(s)). On expiry the finding is re-opened and its SLA clock resumes.`,
        2000,
      ),
      element: {
        type: "datepicker",
        action_id: INPUT_ACTION,
        initial_date: [initial, today].sort().at(-1) ?? today,
        placeholder: plain("Pick the last day", 150),
      },
    },
    textInput(MODAL_BLOCKS.compensating, "Compensating controls", {
      multiline: true,
      maxLength: COMPENSATING_MAX,
      optional: true,
      placeholder: "What reduces the risk meanwhile?",
    }),
  ]);
}

/** Propose (or counter with) an upgrade date; the hint names the deadline. */
export function dateModal(
  caseId: string,
  deadline: string | null,
  now: Date,
  channel: string | null = null,
  ref: string | null = null,
) {
  const tomorrow = isoDay(now.getTime() + DAY_MS);
  const hint = deadline
    ? `The date must be before ${deadline.slice(0, 10)}, the deadline of this case. The other team agrees or counters.`
    : "Nothing limits the date but it must be in the future. The other team agrees or counters.";
  return modal(VIEW_IDS.date, "Propose upgrade date", "Propose", { caseId, channel }, [
    section(md`Case ${modalCase(caseId, ref)}`),
    {
      type: "input",
      block_id: MODAL_BLOCKS.date,
      label: plain("Upgrade date (UTC)", 2000),
      hint: plain(hint, 2000),
      element: {
        type: "datepicker",
        action_id: INPUT_ACTION,
        ...(deadline === null || tomorrow < deadline.slice(0, 10) ? { initial_date: tomorrow } : {}),
        placeholder: plain("Pick a day", 150),
      },
    },
  ]);
}

/** Reject the pending exception, with a reason for the audit log. */
export function rejectModal(caseId: string, channel: string | null = null, ref: string | null = null) {
  return modal(VIEW_IDS.reject, "Reject the exception", "Reject", { caseId, channel }, [
    section(md`Case ${modalCase(caseId, ref)}`),
    textInput(MODAL_BLOCKS.reason, "Reason", { multiline: true, maxLength: 1000 }),
  ]);
}
