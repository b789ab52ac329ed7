import { DAY_MS } from "../engine/durations.js";
import { truncate } from "../lib/text.js";
import { plain, section } from "./block-kit.js";
import {
  COMPENSATING_MAX,
  encodeModalMetadata,
  INPUT_ACTION,
  JUSTIFICATION_MAX,
  MODAL_BLOCKS,
  type ModalMetadata,
  VIEW_IDS,
} from "./interaction-codecs.js";
import { code, type Mrkdwn, md } from "./mrkdwn.js";

/** The modals the case buttons open. Pure: time is an argument. */

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
