import { applyEvents, decide } from "../engine/decide.js";
import type { Policy } from "../engine/policy.js";
import type { Observation } from "../intake/envelope.js";
import { appendAuditEvents } from "../store/audit-log.js";
import { loadCase, saveCase } from "../store/cases.js";
import type { Database, Sql } from "../store/database.js";

export type ObservationOutcome = "applied" | "stale" | "duplicate";

/**
 * The shell around the engine for findings: per observation, under a lock on the finding, it
 * loads the case, asks the engine, and writes the observation key, the finding, the audit events
 * and the case projection. Redelivered observations (same key) change nothing.
 */
export async function observeFinding(
  tx: Sql,
  policy: Policy,
  observation: Observation,
  now: Date,
): Promise<ObservationOutcome> {
  const { finding } = observation;
  await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [finding.id]);
  const seen = await tx.query("SELECT 1 FROM observations WHERE key = $1", [observation.key]);
  if (seen.length > 0) return "duplicate";

  const stored = await loadCase(tx, finding.id);
  const decision = decide(
    stored?.state ?? null,
    {
      type: "finding_observed",
      observationKey: observation.key,
      eventId: observation.eventId,
      detailType: observation.detailType,
      customAction: observation.customAction?.name ?? null,
      finding,
    },
    policy,
    now,
  );
  await tx.query(
    `INSERT INTO observations (key, finding_id, event_id, detail_type, stale, received_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [observation.key, finding.id, observation.eventId, observation.detailType, !decision.findingIsNewer, now],
  );
  if (decision.findingIsNewer) {
    await tx.query(
      `INSERT INTO findings (id, product_arn, format, updated_at, processed_at, finding, raw, stored_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8)
       ON CONFLICT (id) DO UPDATE SET product_arn = EXCLUDED.product_arn, format = EXCLUDED.format,
         updated_at = EXCLUDED.updated_at, processed_at = EXCLUDED.processed_at, finding = EXCLUDED.finding,
         raw = EXCLUDED.raw, stored_at = EXCLUDED.stored_at`,
      [
        finding.id,
        finding.productArn,
        finding.format,
        finding.updatedAt,
        finding.processedAt,
        JSON.stringify(finding),
        JSON.stringify(observation.raw),
        now,
      ],
    );
  }
  const next = applyEvents(stored?.state ?? null, decision.events);
  if (!next) throw new Error(`engine produced no case for finding ${finding.id}`);
  const head = await appendAuditEvents(
    tx,
    next.id,
    (stored?.state.version ?? 0) + 1,
    stored?.auditHead ?? null,
    decision.events,
  );
  await saveCase(tx, next, head ?? "");
  return decision.findingIsNewer ? "applied" : "stale";
}

/**
 * Applies a batch in one transaction (group commit: one commit for many findings). When the
 * batch fails, each observation is retried in its own transaction so one bad finding cannot
 * hold back the others; its own error is returned in its place.
 */
export async function observeFindings(
  db: Database,
  policy: Policy,
  observations: Observation[],
  now: () => Date,
): Promise<(ObservationOutcome | Error)[]> {
  // Locks are taken in finding-id order so that two workers' batches cannot deadlock.
  const order = observations.map((_, index) => index);
  order.sort((a, b) => compareIds(observations[a]?.finding.id ?? "", observations[b]?.finding.id ?? ""));
  try {
    return await db.transaction(async (tx) => {
      const outcomes: ObservationOutcome[] = new Array(observations.length);
      for (const index of order) {
        outcomes[index] = await observeFinding(tx, policy, observations[index] as Observation, now());
      }
      return outcomes;
    });
  } catch (batchError) {
    if (observations.length === 1) return [batchError as Error];
    const outcomes: (ObservationOutcome | Error)[] = [];
    for (const observation of observations) {
      try {
        outcomes.push(await db.transaction((tx) => observeFinding(tx, policy, observation, now())));
      } catch (error) {
        outcomes.push(error as Error);
      }
    }
    return outcomes;
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
