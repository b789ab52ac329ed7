import type { AckFn, BlockAction, ButtonAction, ViewResponseAction, ViewSubmitAction } from "@slack/bolt";
import type { Case } from "../engine/case.js";
import { caseRef } from "../engine/case-ref.js";
import type { HumanAction } from "../engine/inputs.js";
import type { Refusal, RefusalField } from "../engine/refusals.js";
import { truncate } from "../lib/text.js";
import { type ActOutcome, actOnCase, mayAct } from "../shell/act-on-case.js";
import { CaseActionError, parseCaseAction } from "../shell/case-actions.js";
import {
  ACTION_IDS,
  INPUT_ACTION,
  MODAL_BLOCKS,
  parseButtonValue,
  parseModalMetadata,
  VIEW_IDS,
} from "./interaction-codecs.js";
import type { ListenerContext } from "./listeners.js";
import { dateModal, exceptionModal, rejectModal } from "./modals.js";
import { type Mrkdwn, md } from "./mrkdwn.js";
import { lateClick, lateClickPlain } from "./question-outcomes.js";
import { confirmation, type RefusalText, refusalText, tell } from "./replies.js";

/** A modal's input blocks by the refusal field they hold, and the block an unplaced refusal goes to. */
interface ModalFields {
  fields: Partial<Record<RefusalField, string>>;
  fallback: string;
}

/**
 * The buttons on case messages and the modals they open: each turns a click or a submission into
 * a request to actOnCase and its outcome into a reply. The team a person acts for is derived from
 * membership, never chosen.
 */
export function registerCaseActionListeners(context: ListenerContext): void {
  const { app, actions, botToken, log } = context;
  const { policy, now } = actions;

  const reply = (user: string, channel: string | null, text: Mrkdwn) =>
    tell(app, botToken, log, { user, channel, text });

  /** The refusal as the person is told it, with a late click's note (who answered before). */
  function refusalOf(action: HumanAction["action"], refusal: Refusal, before: Case | null): RefusalText {
    const mrkdwn = lateClick(action, before);
    const plain = lateClickPlain(action, before);
    return refusalText(refusal.message, mrkdwn && plain !== null ? { mrkdwn, plain } : null);
  }

  function logOutcome(user: string, action: HumanAction["action"], outcome: ActOutcome): void {
    const ids = outcome.before ? { caseId: outcome.before.id, findingId: outcome.before.findingId } : {};
    if (outcome.ok) {
      log.info(
        { ...ids, user, team: outcome.team, action, events: outcome.events.map((e) => e.type) },
        "slack action applied",
      );
    } else {
      log.info(
        { ...ids, user, action, code: outcome.refusal.code, refusal: outcome.refusal.message },
        "slack action refused",
      );
    }
  }

  function answer(user: string, channel: string | null, action: HumanAction["action"], outcome: ActOutcome) {
    return reply(
      user,
      channel,
      outcome.ok
        ? confirmation(action, outcome.team, outcome.case)
        : md`:no_entry: Refused: ${refusalOf(action, outcome.refusal, outcome.before).mrkdwn}`,
    );
  }

  function clicked(body: BlockAction, action: ButtonAction) {
    return {
      user: body.user.id,
      channel: body.channel?.id ?? null,
      value: parseButtonValue(action.value),
      triggerId: body.trigger_id,
    };
  }

  /** Runs a listener's work; a failure (store, Slack API) is logged and told to the user. */
  async function failSafe(user: string, channel: string | null, caseId: string, work: () => Promise<void>) {
    try {
      await work();
    } catch (error) {
      // A button's case id is the finding id (one case per finding).
      log.error({ err: error, user, caseId, findingId: caseId }, "slack action failed");
      await reply(user, channel, md`Something went wrong while handling that; try again in a moment.`);
    }
  }

  // Buttons that act at once.
  const immediate: [string, (value: { date?: string }) => HumanAction][] = [
    [ACTION_IDS.claim, () => ({ action: "claim" })],
    [ACTION_IDS.exceptionApprove, () => ({ action: "exception_approve", reason: null })],
    [ACTION_IDS.dateAgree, (value) => ({ action: "date_agree", date: value.date ?? null })],
  ];
  for (const [actionId, toAction] of immediate) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action }) => {
      await ack();
      const { user, channel, value } = clicked(body, action);
      if (!value) return reply(user, channel, md`This button carries no case; it cannot be used.`);
      const humanAction = toAction(value);
      await failSafe(user, channel, value.caseId, async () => {
        const outcome = await actOnCase(actions, { caseRef: value.caseId, user, action: humanAction });
        logOutcome(user, humanAction.action, outcome);
        await answer(user, channel, humanAction.action, outcome);
      });
    });
  }

  // Buttons that open a modal, once the user is known to be able to act.
  const opening: [string, HumanAction["action"], (c: Case, channel: string | null) => object][] = [
    [
      ACTION_IDS.exceptionRequest,
      "exception_request",
      (c, channel) => exceptionModal(c.id, policy.suppression.maxDurationMs, now(), channel, caseRef(c)),
    ],
    [ACTION_IDS.exceptionReject, "exception_reject", (c, channel) => rejectModal(c.id, channel, caseRef(c))],
    [
      ACTION_IDS.datePropose,
      "date_propose",
      (c, channel) => dateModal(c.id, c.upgrade?.deadline ?? null, now(), channel, caseRef(c)),
    ],
  ];
  for (const [actionId, kind, view] of opening) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const { user, channel, value, triggerId } = clicked(body, action);
      if (!value) return reply(user, channel, md`This button carries no case; it cannot be used.`);
      await failSafe(user, channel, value.caseId, async () => {
        const may = await mayAct(actions, { caseRef: value.caseId, user, kind });
        if (!may.ok) {
          log.info(
            {
              user,
              caseId: value.caseId,
              findingId: value.caseId,
              action: kind,
              code: may.refusal.code,
              refusal: may.refusal.message,
            },
            "slack action refused",
          );
          return reply(user, channel, md`:no_entry: Refused: ${may.refusal.message}`);
        }
        await client.views.open({ trigger_id: triggerId, view: view(may.case, channel) as never });
      });
    });
  }

  app.action(ACTION_IDS.console, async ({ ack }) => {
    await ack();
  });

  function input(view: ViewSubmitAction["view"], block: string) {
    return view.state.values[block]?.[INPUT_ACTION];
  }

  /** Applies a modal's action: a refusal goes back into the modal at its field, success closes it and confirms. */
  async function submit(
    ack: AckFn<ViewResponseAction>,
    body: ViewSubmitAction,
    blocks: ModalFields,
    build: () => HumanAction | { invalid: string; block: string },
    settle?: (c: Case, team: string) => HumanAction,
  ): Promise<void> {
    const user = body.user.id;
    const meta = parseModalMetadata(body.view.private_metadata);
    const built = build();
    if ("invalid" in built) {
      return ack({ response_action: "errors", errors: { [built.block]: built.invalid } });
    }
    if (!meta) {
      return ack({
        response_action: "errors",
        errors: { [blocks.fallback]: "This form lost its case; close it and try again." },
      });
    }
    let outcome: ActOutcome;
    try {
      outcome = await actOnCase(actions, {
        caseRef: meta.caseId,
        user,
        action: built,
        ...(settle ? { settle } : {}),
      });
    } catch (error) {
      log.error({ err: error, user, caseId: meta.caseId, findingId: meta.caseId }, "slack submission failed");
      return ack({
        response_action: "errors",
        errors: { [blocks.fallback]: "Something went wrong; try again." },
      });
    }
    logOutcome(user, built.action, outcome);
    if (!outcome.ok) {
      // A modal's error is plain text (Slack does not parse it): the refusal as it is, cut.
      const block = (outcome.refusal.field && blocks.fields[outcome.refusal.field]) || blocks.fallback;
      const text = refusalOf(built.action, outcome.refusal, outcome.before).plain;
      return ack({ response_action: "errors", errors: { [block]: truncate(text, 300) } });
    }
    await ack();
    await answer(user, meta.channel, built.action, outcome);
  }

  app.view<ViewSubmitAction>(VIEW_IDS.exception, async ({ ack, body, view }) => {
    await submit(
      ack,
      body,
      {
        fields: { justification: MODAL_BLOCKS.justification, expiry: MODAL_BLOCKS.expiry },
        fallback: MODAL_BLOCKS.justification,
      },
      () => {
        const justification = input(view, MODAL_BLOCKS.justification)?.value?.trim() ?? "";
        const compensating = input(view, MODAL_BLOCKS.compensating)?.value?.trim() ?? "";
        const expiry = input(view, MODAL_BLOCKS.expiry)?.selected_date ?? "";
        try {
          const parsed = parseCaseAction({
            action: "exception_request",
            user: body.user.id,
            team: "unresolved",
            justification: compensating
              ? `${justification}\n\nCompensating controls: ${compensating}`
              : justification,
            expires: expiry,
          });
          if (parsed.action !== "exception_request") throw new CaseActionError("unexpected action");
          return { action: parsed.action, justification: parsed.justification, expiresAt: parsed.expiresAt };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          return {
            invalid: truncate(message, 300),
            block: /expires/.test(message) ? MODAL_BLOCKS.expiry : MODAL_BLOCKS.justification,
          };
        }
      },
    );
  });

  app.view<ViewSubmitAction>(VIEW_IDS.date, async ({ ack, body, view }) => {
    const date = input(view, MODAL_BLOCKS.date)?.selected_date ?? "";
    await submit(
      ack,
      body,
      { fields: { date: MODAL_BLOCKS.date }, fallback: MODAL_BLOCKS.date },
      () => (date ? { action: "date_propose", date } : { invalid: "pick a date", block: MODAL_BLOCKS.date }),
      // Propose or counter depends on who proposed last: settled once the acting team is known.
      (c, team) => {
        const proposal = c.upgrade?.proposal;
        return proposal && proposal.proposedBy.team !== team
          ? { action: "date_counter", date }
          : { action: "date_propose", date };
      },
    );
  });

  app.view<ViewSubmitAction>(VIEW_IDS.reject, async ({ ack, body, view }) => {
    const reason = input(view, MODAL_BLOCKS.reason)?.value?.trim() ?? "";
    await submit(ack, body, { fields: { reason: MODAL_BLOCKS.reason }, fallback: MODAL_BLOCKS.reason }, () =>
      reason
        ? { action: "exception_reject", reason }
        : { invalid: "say why the exception is rejected", block: MODAL_BLOCKS.reason },
    );
  });
}
