import { decide } from "../engine/decide.js";
import type { Policy } from "../engine/policy.js";
import { dueCases } from "../store/cases.js";
import type { Database, Sql } from "../store/database.js";
import { CaseBatch } from "./case-batch.js";

export interface SweepResult {
  /** Cases whose due time had come. */
  due: number;
  /** Of those, cases where something fired (an escalation, a reminder, an expiry...). */
  fired: number;
  events: number;
  effects: number;
  /** Cases that could not be handled (their error is logged by the caller); the next sweep retries them. */
  failed: number;
}

/**
 * Fires the timers of every case due at `now`. It reads only due cases, through the partial index
 * on cases.next_due_at, so its cost follows the number of due cases, not the number of cases.
 * Pages follow (next_due_at, id), so no case is read twice in one sweep; each page is one
 * transaction, after which the case's next due time lies in the future: the sweep cannot fire a
 * step twice, across restarts too (a repeated sweep finds nothing due). A page that fails is
 * retried case by case, so one bad case cannot hold back the others.
 */
export async function sweepDueCases(
  db: Database,
  policy: Policy,
  now: Date,
  options: {
    pageSize?: number;
    onCaseError?: (caseId: string, error: Error) => void;
    /** Told the cases where something fired (and their findings), once committed: for the log. */
    onFired?: (caseIds: string[], findingIds: string[]) => void;
  } = {},
): Promise<SweepResult> {
  const pageSize = options.pageSize ?? 500;
  const result: SweepResult = { due: 0, fired: 0, events: 0, effects: 0, failed: 0 };
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const page = await dueCases(db, now, pageSize, after);
    const last = page.at(-1);
    if (!last) break;
    after = last;
    const ids = page.map((row) => row.id);
    result.due += ids.length;
    try {
      const counts = await db.transaction((tx) => fire(tx, policy, ids, now));
      add(result, counts, options.onFired);
    } catch {
      for (const id of ids) {
        try {
          add(result, await db.transaction((tx) => fire(tx, policy, [id], now)), options.onFired);
        } catch (error) {
          result.failed += 1;
          options.onCaseError?.(id, error as Error);
        }
      }
    }
  }
  return result;
}

type Counts = Pick<SweepResult, "fired" | "events" | "effects"> & {
  caseIds: string[];
  findingIds: string[];
};

function add(
  total: SweepResult,
  counts: Counts,
  onFired?: (caseIds: string[], findingIds: string[]) => void,
): void {
  total.fired += counts.fired;
  total.events += counts.events;
  total.effects += counts.effects;
  if (counts.caseIds.length > 0) onFired?.(counts.caseIds, counts.findingIds);
}

async function fire(tx: Sql, policy: Policy, ids: string[], now: Date): Promise<Counts> {
  const counts: Counts = { fired: 0, events: 0, effects: 0, caseIds: [], findingIds: [] };
  const batch = await CaseBatch.open(tx, policy, ids);
  for (const id of ids) {
    const current = batch.get(id);
    if (!current) continue;
    const decision = decide(current, { type: "timer_due" }, policy, now);
    batch.apply(id, decision, now);
    // Nothing fired: the stored due time was stale (the policy changed); recompute it.
    if (decision.events.length === 0) batch.refresh(id);
    else {
      counts.fired += 1;
      counts.caseIds.push(id);
      counts.findingIds.push(current.findingId);
    }
    counts.events += decision.events.length;
    counts.effects += decision.effects.length;
  }
  await batch.write(tx);
  return counts;
}
