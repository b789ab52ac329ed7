import type { Case } from "../engine/case.js";
import type { DecisionResult } from "../engine/decide.js";
import type { Policy } from "../engine/policy.js";
import { nextDueAt } from "../engine/timers.js";
import { type AuditRow, auditRows, insertAuditRows } from "../store/audit-log.js";
import { loadCases, lockCases, saveCases } from "../store/cases.js";
import type { Sql } from "../store/database.js";
import { insertOutbox, type NewOutboxRow } from "../store/outbox.js";
import { deliveriesOf } from "./deliveries.js";

/**
 * The cases one transaction works on: decisions are applied in memory one after the other, then
 * written with a constant number of statements: audit rows, outbox rows, case projections.
 */
export class CaseBatch {
  private readonly cases = new Map<string, Case | null>();
  private readonly heads = new Map<string, string | null>();
  private readonly audit: AuditRow[] = [];
  private readonly outbox: NewOutboxRow[] = [];
  private readonly changed = new Set<string>();

  private constructor(private readonly policy: Policy) {}

  /** Locks and loads the cases of `ids` (missing ones start as null). */
  static async open(tx: Sql, policy: Policy, ids: string[]): Promise<CaseBatch> {
    const distinct = [...new Set(ids)].sort();
    await lockCases(tx, distinct);
    const stored = await loadCases(tx, distinct);
    const batch = new CaseBatch(policy);
    for (const id of distinct) {
      batch.cases.set(id, stored.get(id)?.state ?? null);
      batch.heads.set(id, stored.get(id)?.auditHead ?? null);
    }
    return batch;
  }

  get(id: string): Case | null {
    return this.cases.get(id) ?? null;
  }

  /** Records a decision about case `id`, made at `at`; returns the case after it. */
  apply(id: string, decision: DecisionResult, at: Date): Case | null {
    const current = this.get(id);
    if (decision.events.length === 0) return current;
    // The engine folded its events already: the case it hands back is the one to store.
    const next = decision.state;
    if (!next) throw new Error(`the engine's events left no case for ${id}`);
    const rows = auditRows(next.id, (current?.version ?? 0) + 1, this.heads.get(id) ?? null, decision.events);
    this.audit.push(...rows);
    this.heads.set(id, rows.at(-1)?.hash ?? this.heads.get(id) ?? null);
    decision.effects.forEach((effect, index) => {
      // The version after the decision is unique per case, so the key names this decision's effects.
      const key = `${next.id}#${next.version}#${index}`;
      const decided = { key, caseVersion: next.version, at: at.toISOString() };
      this.outbox.push(...deliveriesOf(effect, decided, this.policy));
    });
    this.cases.set(id, next);
    this.changed.add(id);
    return next;
  }

  /** Saves the case again without events, so its next due time is recomputed (the policy may have changed). */
  refresh(id: string): void {
    if (this.get(id)) this.changed.add(id);
  }

  get hasChanges(): boolean {
    return this.changed.size > 0;
  }

  async write(tx: Sql): Promise<void> {
    if (!this.hasChanges) return;
    await insertAuditRows(tx, this.audit);
    await insertOutbox(tx, this.outbox);
    await saveCases(
      tx,
      [...this.changed].map((id) => {
        const state = this.cases.get(id) as Case;
        return { state, auditHead: this.heads.get(id) ?? "", nextDueAt: nextDueAt(state, this.policy) };
      }),
    );
  }
}
