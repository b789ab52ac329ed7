import type { Case, CaseEvent } from "../engine/case.js";
import { decide } from "../engine/decide.js";
import type { Effect } from "../engine/effects.js";
import type { EngineInput } from "../engine/inputs.js";
import type { Policy } from "../engine/policy.js";
import type { Refusal } from "../engine/refusals.js";
import type { Sql } from "../store/database.js";
import { CaseBatch } from "./case-batch.js";

/** What a dispatcher reports back about an effect it carried out (or could not). */
export type DispatcherResult = Exclude<EngineInput, { type: "finding_observed" | "timer_due" | "human" }>;

export interface ResultApplied {
  /** Why the engine refused the result (nothing was written), or null. */
  refusal: Refusal | null;
  events: CaseEvent[];
  effects: Effect[];
  case: Case | null;
}

/**
 * Decides a dispatcher's result about case `caseId` (the finding id its outbox row carries) inside
 * `tx`, and writes what was decided. People's actions go through actOnCase instead.
 */
export async function applyDispatcherResult(
  tx: Sql,
  policy: Policy,
  caseId: string,
  input: DispatcherResult,
  at: Date,
): Promise<ResultApplied> {
  const batch = await CaseBatch.open(tx, policy, [caseId]);
  const current = batch.get(caseId);
  const decision = decide(current, input, policy, at);
  if (decision.refusal !== null) return { refusal: decision.refusal, events: [], effects: [], case: current };
  const after = batch.apply(caseId, decision, at);
  await batch.write(tx);
  return { refusal: null, events: decision.events, effects: decision.effects, case: after };
}
