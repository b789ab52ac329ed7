import { formatInstant } from "../engine/time-text.js";
import { type Mrkdwn, mrkdwnText, plainText } from "./mrkdwn.js";

/** Block Kit's limits and the few block builders every Slack view shares. */

/** Block Kit limits the Slack side keeps to. */
export const SECTION_TEXT_MAX = 3000;
export const FIELD_TEXT_MAX = 2000;
export const MAX_BLOCKS = 50;
export const BUTTON_TEXT_MAX = 75;

export function mrkdwn(text: Mrkdwn, max = SECTION_TEXT_MAX) {
  return mrkdwnText(text, max);
}

export function plain(text: string, max: number) {
  return plainText(text, max);
}

export function section(text: Mrkdwn) {
  return { type: "section", text: mrkdwn(text) };
}

/** An instant as people read it in Slack: "2026-11-21 12:00 UTC". */
export function when(iso: string): string {
  return formatInstant(iso);
}
