import type { Actor, Case } from "../engine/case.js";
import type { NotifyTopic } from "../engine/effects.js";
import { truncate } from "../lib/text.js";
import { when } from "./block-kit.js";
import { joinMrkdwn, type Mrkdwn, md, userMention } from "./mrkdwn.js";

/**
 * What became of the question a message asked, read from the case as it is now: shown on the
 * message once answered, and told to whoever clicks its button too late.
 */

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
