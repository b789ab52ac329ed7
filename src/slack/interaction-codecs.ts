/**
 * The ids and values that travel through Slack and come back in interactions: action, view and
 * block ids, what a button carries and what a modal keeps between opening and submission.
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
