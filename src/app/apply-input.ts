import type { Case, CaseEvent } from "../engine/case.js";
import { decide, refusal } from "../engine/decide.js";
import type { Effect } from "../engine/effects.js";
import type { EngineInput, HumanInput } from "../engine/inputs.js";
import type { Policy } from "../engine/policy.js";
import { resolveCaseId } from "../store/cases.js";
import type { Database, Sql } from "../store/database.js";
import { CaseBatch } from "./case-batch.js";

export interface InputResult {
  /** Why the engine refused the input (nothing was written), or null. */
  rejection: string | null;
  events: CaseEvent[];
  effects: Effect[];
  case: Case | null;
}

/**
 * Decides one input about an existing case inside `tx`, and writes what was decided. `caseId` is
 * the finding id (the dispatchers' results carry it); a person's id goes through applyInput.
 */
export async function applyInputInTx(
  tx: Sql,
  policy: Policy,
  caseId: string,
  input: Exclude<EngineInput, { type: "finding_observed" }>,
  at: Date,
): Promise<InputResult> {
  const batch = await CaseBatch.open(tx, policy, [caseId]);
  const current = batch.get(caseId);
  if (!current) return { rejection: `there is no case ${caseId}`, events: [], effects: [], case: null };
  const decision = decide(current, input, policy, at);
  if (decision.rejection !== null) {
    if (input.type !== "human")
      return { rejection: decision.rejection, events: [], effects: [], case: current };
    // A person's refused action is audited (who tried what, and why it was refused); nothing else changes.
    const refused = refusal(current, input, decision.rejection, at);
    const after = batch.apply(caseId, refused, at);
    await batch.write(tx);
    return { rejection: decision.rejection, events: refused.events, effects: [], case: after };
  }
  const after = batch.apply(caseId, decision, at);
  await batch.write(tx);
  return { rejection: null, events: decision.events, effects: decision.effects, case: after };
}

/**
 * A person's action or a dispatcher's result, applied in a transaction of its own. `caseRef` is
 * any id resolveCaseId takes (SHG-42, 42 or the finding id); an unknown one gives "there is no
 * case <caseRef>" and no case.
 */
export function applyInput(
  db: Database,
  policy: Policy,
  caseRef: string,
  input: Exclude<EngineInput, { type: "finding_observed" }>,
  now: () => Date,
): Promise<InputResult> {
  return db.transaction(async (tx) => {
    const caseId = await resolveCaseId(tx, caseRef);
    if (caseId === null)
      return { rejection: `there is no case ${caseRef}`, events: [], effects: [], case: null };
    return applyInputInTx(tx, policy, caseId, input, now());
  });
}

/**
 * Records a refusal decided before the engine was asked (the adapter found the user in none of
 * the teams that may act): refused actions are audited wherever they are refused.
 */
export function recordRefusal(
  db: Database,
  policy: Policy,
  caseRef: string,
  input: Pick<HumanInput, "user" | "team" | "action">,
  reason: string,
  now: () => Date,
): Promise<void> {
  return db.transaction(async (tx) => {
    const caseId = await resolveCaseId(tx, caseRef);
    if (caseId === null) return;
    const batch = await CaseBatch.open(tx, policy, [caseId]);
    const current = batch.get(caseId);
    if (!current) return;
    const at = now();
    batch.apply(caseId, refusal(current, input, reason, at), at);
    await batch.write(tx);
  });
}
