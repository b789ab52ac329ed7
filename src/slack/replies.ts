import type { App } from "@slack/bolt";
import type { Logger } from "pino";
import type { Case } from "../engine/case.js";
import type { HumanAction } from "../engine/inputs.js";
import { truncate } from "../lib/text.js";
import { SECTION_TEXT_MAX } from "./block-kit.js";
import { type Mrkdwn, md, truncateMrkdwn } from "./mrkdwn.js";

/** What a person is told once their action was taken. */
export function confirmation(action: HumanAction["action"], team: string, c: Case | null): Mrkdwn {
  const title = c ? md`"${truncate(c.title, 200)}"` : md`the case`;
  switch (action) {
    case "claim":
      return md`You claimed ${title} for team ${team}.`;
    case "exception_request":
      return md`Your exception request for ${title} is recorded (team ${team}); the approver team decides.`;
    case "exception_approve":
      return md`You approved the exception for ${title} for team ${team}.`;
    case "exception_reject":
      return md`You rejected the exception for ${title} for team ${team}.`;
    case "date_propose":
    case "date_counter":
      return md`Your upgrade date for ${title} is proposed (team ${team}); the other team agrees or counters.`;
    case "date_agree":
      return c?.upgrade?.agreed
        ? md`The upgrade date ${c.upgrade.agreed.date} for ${title} is agreed.`
        : md`Team ${team} accepted the proposed date for ${title}.`;
  }
}

/**
 * A refusal said twice: as mrkdwn for an ephemeral reply (a late click's note mentions who
 * decided) and as plain text for a modal's error, which Slack does not parse.
 */
export interface RefusalText {
  mrkdwn: Mrkdwn;
  plain: string;
}

export function refusalText(message: string, late: RefusalText | null): RefusalText {
  if (!late) return { mrkdwn: md`${message}`, plain: message };
  return { mrkdwn: md`${late.mrkdwn} (and ${message})`, plain: `${late.plain} (and ${message})` };
}

/** An ephemeral reply (or a direct message): mrkdwn, so only a Mrkdwn is accepted. */
export async function tell(
  app: App,
  botToken: string,
  log: Logger,
  reply: { user: string; channel: string | null; text: Mrkdwn },
): Promise<void> {
  const text = truncateMrkdwn(reply.text, SECTION_TEXT_MAX).text;
  try {
    if (reply.channel) {
      await app.client.chat.postEphemeral({
        token: botToken,
        channel: reply.channel,
        user: reply.user,
        text,
      });
    } else await app.client.chat.postMessage({ token: botToken, channel: reply.user, text });
  } catch (error) {
    log.warn({ err: error, user: reply.user, channel: reply.channel }, "could not reply in Slack");
  }
}
