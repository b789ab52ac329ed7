import { decide } from "../engine/decide.js";
import type { Policy } from "../engine/policy.js";
import type { Database } from "../store/database.js";
import { CaseBatch } from "./case-batch.js";

export interface SweepResult {
  /** Cases whose due time had come. */
  due: number;
  /** Of those, cases where something fired (an escalation, a reminder, an expiry...). */
  fired: number;
  events: number;
  effects: number;
}

/**
 * Fires the timers of every case due at `now`. It reads only due cases, through the partial index
 * on cases.next_due_at, so its cost follows the number of due cases, not the number of cases.
 * Each page is one transaction; after it the case's next due time lies in the future, so the
 * sweep cannot fire a step twice, across restarts too (a repeated sweep finds nothing due).
 */
export async function sweepDueCases(
  db: Database,
  policy: Policy,
  now: Date,
  options: { pageSize?: number } = {},
): Promise<SweepResult> {
  const pageSize = options.pageSize ?? 500;
  const result: SweepResult = { due: 0, fired: 0, events: 0, effects: 0 };
  const visited = new Set<string>();
  for (;;) {
    const page = await db.transaction(async (tx) => {
      // A case already handled in this sweep is not handled again, whatever its due time says.
      const rows = await tx.query<{ id: string }>(
        `SELECT id FROM cases WHERE next_due_at IS NOT NULL AND next_due_at <= $1 AND id <> ALL($3::text[])
          ORDER BY next_due_at, id LIMIT $2`,
        [now.toISOString(), pageSize, [...visited]],
      );
      const ids = rows.map((row) => row.id);
      if (ids.length === 0) return 0;
      const batch = await CaseBatch.open(tx, policy, ids);
      for (const id of ids) {
        visited.add(id);
        const current = batch.get(id);
        if (!current) continue;
        const decision = decide(current, { type: "timer_due" }, policy, now);
        batch.apply(id, decision, now);
        // Nothing fired: the stored due time was stale (the policy changed); recompute it.
        if (decision.events.length === 0) batch.refresh(id);
        else result.fired += 1;
        result.events += decision.events.length;
        result.effects += decision.effects.length;
      }
      await batch.write(tx);
      return ids.length;
    });
    result.due += page;
    if (page === 0) break;
  }
  return result;
}
