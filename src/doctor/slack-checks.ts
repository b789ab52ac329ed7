import type { WebClient } from "@slack/web-api";
import type { Policy } from "../engine/policy.js";
import { createSlackClient } from "../slack/client.js";
import { BOT_SCOPES } from "../slack/scopes.js";
import { SLACK_CHANNEL } from "../slack/team-address.js";
import { type CheckResult, fail, ok, skip, warn } from "./check.js";

export interface SlackCheckSettings {
  token: string | undefined;
  slackApiUrl: string | undefined;
}

const slackError = (error: unknown): string =>
  (error as { data?: { error?: string } }).data?.error ?? (error as Error).message;

/**
 * The token works and has the manifest's scopes; the bot is in every channel the policy names (it
 * reads a channel's history to find a post whose record was lost); every user group exists.
 */
export async function slackChecks(
  settings: SlackCheckSettings,
  policy: Policy | null,
): Promise<CheckResult[]> {
  if (!settings.token) return [skip("slack", "SLACK_BOT_TOKEN is not set: no Slack messages")];
  const client = createSlackClient({
    token: settings.token,
    timeoutMs: 10_000,
    retries: 1,
    ...(settings.slackApiUrl ? { slackApiUrl: settings.slackApiUrl } : {}),
  });
  let auth: Awaited<ReturnType<WebClient["auth"]["test"]>>;
  try {
    auth = await client.auth.test();
  } catch (error) {
    return [
      fail(
        "slack",
        `auth.test failed: ${slackError(error)}`,
        "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-...)",
      ),
    ];
  }
  const results: CheckResult[] = [
    ok("slack", `token of bot ${auth.user ?? auth.user_id ?? "?"} in ${auth.team ?? auth.team_id ?? "?"}`),
  ];
  const granted = auth.response_metadata?.scopes;
  if (!granted) {
    results.push(
      warn(
        "slack scopes",
        "Slack did not say the token's scopes (no x-oauth-scopes header)",
        "compare the app's scopes with docs/slack-app-manifest.yaml",
      ),
    );
  } else {
    const missing = BOT_SCOPES.filter((scope) => !granted.includes(scope));
    results.push(
      missing.length === 0
        ? ok("slack scopes", `all ${BOT_SCOPES.length} the manifest asks for`)
        : fail(
            "slack scopes",
            `missing ${missing.join(", ")}`,
            "add them under OAuth & Permissions (or paste docs/slack-app-manifest.yaml) and reinstall the app",
          ),
    );
  }
  if (!policy) return results;
  const teams = Object.entries(policy.teams);
  for (const [team, definition] of teams) {
    const reach = definition.reach[SLACK_CHANNEL];
    if (!reach) continue;
    results.push(await channelCheck(client, team, reach.address, auth.user ?? "the bot"));
    if (reach.group) results.push(await groupCheck(client, team, reach.group));
  }
  return results;
}

async function channelCheck(
  client: WebClient,
  team: string,
  channel: string,
  bot: string,
): Promise<CheckResult> {
  const name = `slack channel ${channel} (team ${team})`;
  // A direct message channel has no members to join, and its history needs another scope.
  if (channel.startsWith("D")) return skip(name, "a direct message channel: membership not checked");
  try {
    await client.conversations.history({ channel, limit: 1 });
    return ok(name, `${bot} is a member`);
  } catch (error) {
    const code = slackError(error);
    if (code === "not_in_channel") {
      return fail(name, `${bot} is not a member`, `in the channel, type /invite @${bot}`);
    }
    if (code === "channel_not_found") {
      return fail(
        name,
        "no such channel in this workspace",
        `correct slack_channel of team ${team} in the policy`,
      );
    }
    return fail(name, `conversations.history failed: ${code}`, "check the token's scopes and the channel");
  }
}

async function groupCheck(client: WebClient, team: string, group: string): Promise<CheckResult> {
  const name = `slack user group ${group} (team ${team})`;
  try {
    const answer = await client.usergroups.users.list({ usergroup: group });
    return ok(name, `${answer.users?.length ?? 0} members`);
  } catch (error) {
    const code = slackError(error);
    return fail(
      name,
      code === "no_such_subteam" ? "no such user group" : `usergroups.users.list failed: ${code}`,
      `correct slack_usergroup of team ${team} in the policy`,
    );
  }
}
