import { actingTeam } from "../engine/acting-team.js";
import type { Case, CaseEvent } from "../engine/case.js";
import { decide, refusal as refusalDecision } from "../engine/decide.js";
import type { Effect } from "../engine/effects.js";
import type { HumanAction, HumanInput } from "../engine/inputs.js";
import type { Policy } from "../engine/policy.js";
import { type Refusal, refused } from "../engine/refusals.js";
import { resolveCaseId } from "../store/cases.js";
import type { Database, Sql } from "../store/database.js";
import { CaseBatch } from "./case-batch.js";
import type { Membership } from "./membership.js";

/** What acting on cases needs; the adapters (Slack, admin API, CLI) each build one. */
export interface CaseActionsDeps {
  db: Database;
  policy: Policy;
  membership: Membership;
  now: () => Date;
}

export interface ActRequest {
  /** Any id resolveCaseId takes: SHG-42, 42 or the finding id. */
  caseRef: string;
  user: string;
  /** The team the person names (CLI, admin API); when absent it is derived from membership (Slack). */
  team?: string | undefined;
  action: HumanAction;
  /** Settles the action once the case and the acting team are known (a date is proposed or countered). */
  settle?: (current: Case, team: string) => HumanAction;
}

export type ActOutcome =
  | {
      ok: true;
      team: string;
      /** The case as the person saw it, and after the action. */
      before: Case;
      case: Case;
      events: CaseEvent[];
      effects: Effect[];
    }
  | { ok: false; refusal: Refusal; before: Case | null; case: Case | null; events: CaseEvent[] };

type Refused = Extract<ActOutcome, { ok: false }>;

type Checked = { ok: true; batch: CaseBatch; current: Case; team: string } | { ok: false; outcome: Refused };

/**
 * Locks and loads the case once, and settles who acts for which team. A person who may act for no
 * team is refused here, and the refusal is recorded as an audit event like the engine's own.
 */
async function check(
  deps: CaseActionsDeps,
  tx: Sql,
  request: Pick<ActRequest, "caseRef" | "user" | "team">,
  kind: HumanAction["action"],
  memberOf: string[],
  at: Date,
): Promise<Checked> {
  const refusal = refused("case.missing", `there is no case ${request.caseRef}`);
  const missing: Checked = {
    ok: false,
    outcome: { ok: false, refusal, before: null, case: null, events: [] },
  };
  const caseId = await resolveCaseId(tx, request.caseRef);
  if (caseId === null) return missing;
  const batch = await CaseBatch.open(tx, deps.policy, [caseId]);
  const current = batch.get(caseId);
  if (!current) return missing;
  if (request.team) return { ok: true, batch, current, team: request.team };
  const acting = actingTeam(deps.policy, current, kind, memberOf);
  if (acting.refusal === null) return { ok: true, batch, current, team: acting.team };
  const outcome = await recordRefusal(
    tx,
    batch,
    current,
    { user: request.user, team: "(none)", action: kind },
    acting.refusal,
    at,
  );
  return { ok: false, outcome };
}

async function recordRefusal(
  tx: Sql,
  batch: CaseBatch,
  current: Case,
  input: Pick<HumanInput, "user" | "team" | "action">,
  why: Refusal,
  at: Date,
): Promise<Refused> {
  const decision = refusalDecision(current, input, why, at);
  const after = batch.apply(current.id, decision, at);
  await batch.write(tx);
  return { ok: false, refusal: why, before: current, case: after, events: decision.events };
}

/**
 * A person acts on a case, the one way for every adapter: the case is locked and loaded once, the
 * acting team comes from the request or from membership, the engine decides (separation of duties
 * included), and a refusal is recorded as an audit event. Membership is read before the
 * transaction, so no Slack call is made while the case is locked.
 */
export async function actOnCase(deps: CaseActionsDeps, request: ActRequest): Promise<ActOutcome> {
  const memberOf = await deps.membership.teamsOf(request.user);
  return deps.db.transaction(async (tx) => {
    const at = deps.now();
    const checked = await check(deps, tx, request, request.action.action, memberOf, at);
    if (!checked.ok) return checked.outcome;
    const { batch, current, team } = checked;
    const action = request.settle ? request.settle(current, team) : request.action;
    const input: HumanInput = { type: "human", user: request.user, team, memberOf, ...action };
    const decision = decide(current, input, deps.policy, at);
    if (decision.refusal !== null) return recordRefusal(tx, batch, current, input, decision.refusal, at);
    const after = batch.apply(current.id, decision, at) ?? current;
    await batch.write(tx);
    return {
      ok: true,
      team,
      before: current,
      case: after,
      events: decision.events,
      effects: decision.effects,
    };
  });
}

export type MayActOutcome =
  | { ok: true; team: string; case: Case }
  | { ok: false; refusal: Refusal; case: Case | null };

/**
 * Whether a person may take `kind` of action on the case at all, before a form is shown for it
 * (Slack opens a modal only then). A refusal is recorded as actOnCase would record it.
 */
export async function mayAct(
  deps: CaseActionsDeps,
  request: { caseRef: string; user: string; kind: HumanAction["action"] },
): Promise<MayActOutcome> {
  const memberOf = await deps.membership.teamsOf(request.user);
  return deps.db.transaction(async (tx) => {
    const checked = await check(deps, tx, request, request.kind, memberOf, deps.now());
    if (checked.ok) return { ok: true, team: checked.team, case: checked.current };
    return { ok: false, refusal: checked.outcome.refusal, case: checked.outcome.before };
  });
}

/** The request for a validated action that names its team (parseCaseAction's result: CLI, admin API). */
export function requestFor(caseRef: string, input: HumanInput): ActRequest {
  const { type: _human, user, team, memberOf: _memberOf, ...action } = input;
  // The rest of a union member is that member's action; TypeScript does not narrow a rest of a union.
  return { caseRef, user, team, action: action as HumanAction };
}
