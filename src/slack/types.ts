import type { Case } from "../engine/case.js";
import type { NotifyEffect } from "../engine/effects.js";
import type { Policy } from "../engine/policy.js";

/** One Slack message to post: Block Kit blocks plus the plain text Slack shows in notifications. */
export interface SlackMessage {
  channel: string;
  text: string;
  blocks?: unknown[];
}

/**
 * Turns a notify effect into the messages to post (one per team channel), given the case as it is
 * now (null when it is gone) and the policy (channels, user groups, leads).
 */
export type RenderNotification = (
  effect: NotifyEffect,
  current: Case | null,
  policy: Policy,
) => SlackMessage[];
