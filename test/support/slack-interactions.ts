import { createHmac } from "node:crypto";
import { encodeButtonValue } from "../../src/slack/interaction-codecs.js";

/** Signed Slack requests, as Slack sends them to POST /slack/events. */
export function slackSignature(body: string, ts: number, secret: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${ts}:${body}`).digest("hex")}`;
}

export async function postToSlackEvents(
  base: string,
  secret: string,
  body: string,
  contentType = "application/x-www-form-urlencoded",
  options: { ts?: number; secret?: string } = {},
): Promise<{ status: number; text: string }> {
  const ts = options.ts ?? Math.floor(Date.now() / 1000);
  const response = await fetch(`${base}/slack/events`, {
    method: "POST",
    headers: {
      "content-type": contentType,
      "x-slack-request-timestamp": String(ts),
      "x-slack-signature": slackSignature(body, ts, options.secret ?? secret),
    },
    body,
  });
  return { status: response.status, text: await response.text() };
}

export const interaction = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

/** A block_actions payload: `user` clicked the button `actionId` of a message about `caseId`. */
export function click(user: string, actionId: string, caseId: string, date?: string, channel = "C0SECURITY") {
  return interaction({
    type: "block_actions",
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: "T1" },
    api_app_id: "A1",
    token: "legacy",
    container: { type: "message", message_ts: "100.1", channel_id: channel, is_ephemeral: false },
    trigger_id: `trigger-${user}-${actionId}`,
    team: { id: "T1", domain: "example" },
    channel: { id: channel, name: "channel" },
    message: { type: "message", ts: "100.1", text: "case" },
    response_url: "https://hooks.slack.invalid/actions/1",
    actions: [
      {
        type: "button",
        action_id: actionId,
        block_id: "actions",
        value: encodeButtonValue(date ? { caseId, date } : { caseId }),
        action_ts: "100.2",
      },
    ],
  });
}

/** The form body Slack posts for `/shgov TEXT` typed by `user` in a channel. */
export function slashCommand(user: string, text: string, channel = { id: "C0SECURITY", name: "security" }) {
  return new URLSearchParams({
    token: "legacy",
    team_id: "T1",
    team_domain: "example",
    channel_id: channel.id,
    channel_name: channel.name,
    user_id: user,
    user_name: user.toLowerCase(),
    command: "/shgov",
    text,
    api_app_id: "A1",
    response_url: "https://hooks.slack.invalid/commands/1",
    trigger_id: "trigger-command",
  }).toString();
}

/** Submits a modal the app opened, with `values` as view.state.values. */
export function submitView(user: string, view: Record<string, unknown>, values: Record<string, unknown>) {
  return interaction({
    type: "view_submission",
    team: { id: "T1", domain: "example" },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: "T1" },
    api_app_id: "A1",
    token: "legacy",
    trigger_id: "trigger-submit",
    view: { ...view, id: "V1", team_id: "T1", hash: "h1", state: { values } },
    response_urls: [],
  });
}
