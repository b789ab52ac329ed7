import { decide, isBotsOwnUpdate } from "../engine/decide.js";
import { type CallerIdentity, CLOUDTRAIL_IDENTITY, type SuppressorFoundInput } from "../engine/inputs.js";
import type { Policy } from "../engine/policy.js";
import type { ApiCall } from "../intake/api-call.js";
import { insertApiCall } from "../store/api-calls.js";
import type { Database } from "../store/database.js";
import { CaseBatch } from "./case-batch.js";

/** A call CloudTrail recorded, as the engine hears who suppressed a finding. */
export function suppressorFromCloudTrail(
  at: string,
  note: string | null,
  caller: CallerIdentity,
): SuppressorFoundInput {
  return {
    type: "suppressor_found",
    suppressedBy: caller.arn,
    suppressedByType: CLOUDTRAIL_IDENTITY,
    suppressedAt: at,
    error: caller.arn ? null : "CloudTrail recorded no caller ARN",
    caller,
    note,
  };
}

/**
 * Keeps each call that set findings SUPPRESSED and hands it to the engine for the cases it names:
 * a block already announced learns who did it; for a block not yet seen, the Security Hub
 * dispatcher finds the kept call before it asks GetFindingHistory (whichever arrives first).
 */
export async function recordApiCalls(
  db: Database,
  policy: Policy,
  calls: ApiCall[],
  now: Date,
): Promise<void> {
  for (const call of calls) {
    if (call.workflowStatus !== "SUPPRESSED" || call.findings.length === 0) continue;
    await db.transaction(async (tx) => {
      const ids = call.findings.map((finding) => finding.findingId);
      const batch = await CaseBatch.open(tx, policy, ids);
      for (const id of new Set(ids)) {
        const current = batch.get(id);
        if (isBotsOwnUpdate(current, call.note)) continue;
        await insertApiCall(tx, call, id, now);
        if (!current) continue;
        const decision = decide(
          current,
          suppressorFromCloudTrail(call.at, call.note, call.caller),
          policy,
          now,
        );
        if (decision.refusal === null) batch.apply(id, decision, now);
      }
      await batch.write(tx);
    });
  }
}
