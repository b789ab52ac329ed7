import type { Case } from "../engine/case.js";
import { caseRef } from "../engine/case-ref.js";
import type { NotifyEffect, NotifyTopic } from "../engine/effects.js";
import type { Policy, Team } from "../engine/policy.js";
import { upgradeDeadlineText } from "../engine/upgrade-dates.js";
import { truncate } from "../lib/text.js";
import {
  BUTTON_TEXT_MAX,
  FIELD_TEXT_MAX,
  MAX_BLOCKS,
  mrkdwn,
  plain,
  SECTION_TEXT_MAX,
  section,
} from "./block-kit.js";
import { ACTION_IDS, type ButtonValue, encodeButtonValue } from "./interaction-codecs.js";
import {
  code,
  joinMrkdwn,
  type Mrkdwn,
  md,
  truncateMrkdwn,
  usergroupMention,
  userMention,
} from "./mrkdwn.js";
import { outcomeOf, supersededOutcome } from "./question-outcomes.js";
import { slackAddress } from "./team-address.js";
import type { RenderNotification, SlackMessage } from "./types.js";

/**
 * A case in Slack: the notification messages with the buttons that move it, and the case summary
 * of `/shgov case`. Pure: no I/O. Every mrkdwn text is a `Mrkdwn` built with md`…` (./mrkdwn.ts):
 * values from findings, people and the policy are escaped where they are interpolated, and the
 * engine's notification texts, plain text by contract, are escaped when rendered.
 */

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
  const usergroup = slackAddress(team)?.group;
  if (usergroup) parts.push(usergroupMention(usergroup));
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

/** One message per team of the effect reached on Slack, to that team's channel. */
export const renderNotification: RenderNotification = (
  effect: NotifyEffect,
  current: Case | null,
  policy: Policy,
) => {
  const messages: SlackMessage[] = [];
  for (const name of [...new Set(effect.teams)]) {
    const team = policy.teams[name];
    const address = slackAddress(team);
    // A team not reached on Slack gets this notification on its other channels only.
    if (!team || !address) continue;
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
      channel: address.address,
      text: truncateMrkdwn(text, SECTION_TEXT_MAX).text,
      blocks: blocks.slice(0, MAX_BLOCKS),
    });
  }
  return messages;
};
