import type { HumanInput } from "../../src/engine/inputs.js";
import type { Policy } from "../../src/engine/policy.js";
import { actOnCase, requestFor } from "../../src/shell/act-on-case.js";
import { PolicyMembership } from "../../src/shell/membership.js";
import type { Database } from "../../src/store/database.js";

/**
 * A person's action as the CLI and the admin API take it (the team named, membership by the
 * policy's lists), through the one use case. `rejection` is the refusal's sentence, or null.
 */
export async function actAs(
  db: Database,
  policy: Policy,
  caseRef: string,
  input: HumanInput,
  now: () => Date,
) {
  const outcome = await actOnCase(
    { db, policy, membership: new PolicyMembership(policy), now },
    requestFor(caseRef, input),
  );
  return { ...outcome, rejection: outcome.ok ? null : outcome.refusal.message };
}
