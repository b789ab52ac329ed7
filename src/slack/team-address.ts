import type { Team, TeamAddress } from "../engine/policy.js";

/** The notification channel this adapter delivers: teams reached by `reach.slack`. */
export const SLACK_CHANNEL = "slack";

/** The team's Slack channel and user group, or null when the team is not reached on Slack. */
export function slackAddress(team: Team | undefined): TeamAddress | null {
  return team?.reach[SLACK_CHANNEL] ?? null;
}
