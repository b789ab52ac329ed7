import { type Case, type CaseEvent, evolve } from "./case.js";
import { base, Decision, who } from "./decision.js";
import type { Effect } from "./effects.js";
import { decideException } from "./exceptions.js";
import {
  type CallerIdentity,
  CLOUDTRAIL_IDENTITY,
  type EffectFailedInput,
  type EngineInput,
  type HumanInput,
  NOTE_IDENTITY,
} from "./inputs.js";
import { observeFinding } from "./observe.js";
import type { Policy } from "./policy.js";
import { type Refusal, refused } from "./refusals.js";
import { membershipProblem } from "./teams.js";
import { fireTimers } from "./timers.js";
import { decideDate } from "./upgrade-dates.js";

export type { EngineInput } from "./inputs.js";

export interface DecisionResult {
  events: CaseEvent[];
  effects: Effect[];
  /** Set when a person asked for something the rules forbid: nothing happened, and this says why. */
  refusal: Refusal | null;
  /** For observations: true when the version is newer than the one the case holds (the stored finding is replaced). */
  findingIsNewer: boolean;
  /** The case after the events (as it was, when there are none): the shell stores it as it is. */
  state: Case | null;
}

/**
 * The engine's single entry point: what happens to a case given one input, the policy and the time.
 * Pure: it reads no clock and does no I/O; the shell stores the events and effects it returns, in
 * one transaction.
 */
export function decide(current: Case | null, input: EngineInput, policy: Policy, now: Date): DecisionResult {
  const d = new Decision(current, now.toISOString());
  let findingIsNewer = false;
  if (input.type === "finding_observed") {
    findingIsNewer = observeFinding(d, current, input, policy);
  } else if (current === null) {
    d.reject(refused("case.missing", "there is no such case"));
  } else {
    switch (input.type) {
      case "timer_due":
        fireTimers(d, current, policy);
        break;
      case "human": {
        const refusal = decideHuman(d, current, input, policy);
        if (refusal !== undefined) d.reject(refusal);
        break;
      }
      case "suppressor_found":
        attribute(d, current, input);
        break;
      case "effect_failed":
        effectFailed(d, current, input);
        break;
      default: {
        // A new kind of input fails to compile here until it is decided.
        const unhandled: never = input;
        throw new Error(`unknown engine input ${JSON.stringify(unhandled)}`);
      }
    }
  }
  if (d.refusal !== null)
    return { events: [], effects: [], refusal: d.refusal, findingIsNewer: false, state: current };
  return { events: d.events, effects: d.effects, refusal: null, findingIsNewer, state: d.state };
}

/** A dispatcher could not carry out an effect: recorded, and the owner told. */
function effectFailed(d: Decision, current: Case, input: EffectFailedInput): void {
  d.emit({
    type: "effect.failed",
    ...base(d.at, "securityhub-governor:dispatcher", input.error),
    effect: `${input.effect}:${input.purpose}`,
    error: input.error,
    workflowStatus: input.purpose === "apply_exception" ? current.latest.workflowStatus : null,
  });
  d.effect({
    kind: "notify",
    caseId: current.id,
    topic: "effect.failed",
    teams: [current.owner],
    mentionLeads: false,
    text: `The bot could not update "${current.title}" in Security Hub (${input.purpose.replaceAll("_", " ")}): ${input.error}`,
  });
}

function decideHuman(d: Decision, c: Case, input: HumanInput, policy: Policy): Refusal | undefined {
  switch (input.action) {
    case "claim": {
      const problem = membershipProblem(policy, input.user, input.team);
      if (problem) return problem;
      if (input.team !== c.owner && input.team !== c.counterpart) {
        return refused(
          "team.not_allowed",
          `only team ${c.owner} (owner) or ${c.counterpart} (counterpart) can claim this case`,
        );
      }
      if (c.assignee?.user === input.user)
        return refused("claim.already_claimed", `${input.user} has already claimed this case`);
      d.emit({
        type: "case.claimed",
        ...base(d.at, input.user, c.assignee ? `was ${who(c.assignee)}` : null),
        by: { user: input.user, team: input.team },
      });
      return;
    }
    case "exception_request":
    case "exception_approve":
    case "exception_reject":
      return decideException(d, c, input, policy);
    case "date_propose":
    case "date_counter":
    case "date_agree":
      return decideDate(d, c, input, policy);
  }
}

function attribute(d: Decision, c: Case, input: Extract<EngineInput, { type: "suppressor_found" }>): void {
  const suppression = c.suppression;
  if (!suppression) return;
  // Results are delivered at least once, and CloudTrail and the history may both answer: a block
  // is announced once with a name, and a second time only to name whom the first could not.
  if (suppression.attributedAt !== null && (suppression.suppressedBy !== null || input.suppressedBy === null))
    return;
  if (isBotsOwnUpdate(c, input.note ?? null)) return;
  const fromCloudTrail = input.suppressedByType === CLOUDTRAIL_IDENTITY;
  d.emit({
    type: "suppression.attributed",
    ...base(d.at, fromCloudTrail ? "aws:cloudtrail" : "aws:securityhub:history", input.error),
    suppressedBy: input.suppressedBy,
    suppressedByType: input.suppressedByType,
    suppressedAt: input.suppressedAt,
    ...(input.caller ? { caller: input.caller } : {}),
    ...(input.note !== undefined ? { note: input.note } : {}),
  });
  const by =
    input.suppressedBy === null
      ? "someone the finding history does not name"
      : input.suppressedByType === NOTE_IDENTITY
        ? `${input.suppressedBy} (named by the finding's note, not confirmed by GetFindingHistory)`
        : fromCloudTrail && input.caller
          ? callerText(input.suppressedBy, input.caller)
          : input.suppressedBy;
  const wrote = fromCloudTrail && input.note ? ` with the note "${input.note}"` : "";
  const again = suppression.attributedAt !== null ? "CloudTrail names who did it: " : "";
  d.effect({
    kind: "notify",
    caseId: c.id,
    topic: "suppression.blocked",
    teams: [c.owner, c.counterpart],
    mentionLeads: false,
    text: `${again}Suppression blocked: ${by} set "${c.title}" (${c.resourceId ?? c.findingId}) to SUPPRESSED${wrote} without an approved exception. The bot set it back to ${suppression.revertTo}. Team ${c.owner} owns it; to suppress it, request an exception.`,
  });
}

/**
 * An update call that wrote the bot's last note is the bot's own (applying an exception, or a
 * revert), back through CloudTrail: nobody to name, nothing to keep.
 */
export function isBotsOwnUpdate(c: Case | null, note: string | null): boolean {
  return note !== null && note === c?.lastBotUpdate?.note;
}

/** `arn:…/alice (AssumedRole of arn:…:role/Admin, from 203.0.113.7)`. */
function callerText(identity: string, caller: CallerIdentity): string {
  const details = [
    caller.sessionIssuer ? `${caller.type} of ${caller.sessionIssuer}` : caller.type,
    caller.sourceIp ? `from ${caller.sourceIp}` : null,
  ].filter((part) => part !== null);
  return `${identity} (${details.join(", ")})`;
}

/** A refused action as a decision of its own: its audit event, so refusals are part of the log. */
export function refusal(
  current: Case,
  input: Pick<HumanInput, "user" | "team" | "action">,
  why: Refusal,
  now: Date,
): DecisionResult {
  const event = refusalEvent(input, why, now);
  return {
    events: [event],
    effects: [],
    refusal: null,
    findingIsNewer: false,
    state: evolve(current, event),
  };
}

/** The audit event of a refused action: the shell records it, so refusals are part of the log. */
export function refusalEvent(
  input: Pick<HumanInput, "user" | "team" | "action">,
  why: Refusal,
  now: Date,
): CaseEvent {
  return {
    type: "action.refused",
    at: now.toISOString(),
    actor: input.user,
    reason: why.message,
    code: why.code,
    action: input.action,
    by: { user: input.user, team: input.team },
  };
}

/** Folds events onto a case: the state the shell stores after a decision. */
export function applyEvents(current: Case | null, events: CaseEvent[]): Case | null {
  return events.reduce<Case | null>((state, event) => evolve(state, event), current);
}
