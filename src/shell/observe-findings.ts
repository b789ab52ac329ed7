import { decide } from "../engine/decide.js";
import type { Finding } from "../engine/finding.js";
import type { Policy } from "../engine/policy.js";
import type { Observation } from "../intake/envelope.js";
import type { Database, Sql } from "../store/database.js";
import { insertObservations, recordedObservationKeys, saveFindings } from "../store/observations.js";
import { CaseBatch } from "./case-batch.js";

export type ObservationOutcome = "applied" | "stale" | "duplicate";

/**
 * The shell around the engine for findings. For a batch of observations, in one transaction and
 * with a constant number of statements whatever the batch size: lock the findings, skip the
 * observations already recorded (redeliveries), load the cases, ask the engine for each
 * observation in turn, then write the observation keys, the newest version of each finding, the
 * audit events and the case projections.
 */
export async function observeBatch(
  tx: Sql,
  policy: Policy,
  observations: Observation[],
  now: () => Date,
): Promise<ObservationOutcome[]> {
  const findingIds = [...new Set(observations.map((o) => o.finding.id))];
  const batch = await CaseBatch.open(tx, policy, findingIds);
  const seen = await recordedObservationKeys(
    tx,
    observations.map((o) => o.key),
  );

  const outcomes: ObservationOutcome[] = [];
  const newObservations: { observation: Observation; stale: boolean; at: Date }[] = [];
  const newestFindings = new Map<string, { finding: Finding; raw: unknown; at: Date }>();
  for (const observation of observations) {
    if (seen.has(observation.key)) {
      outcomes.push("duplicate");
      continue;
    }
    seen.add(observation.key);
    const { finding } = observation;
    const at = now();
    const decision = decide(
      batch.get(finding.id),
      {
        type: "finding_observed",
        observationKey: observation.key,
        eventId: observation.eventId,
        detailType: observation.detailType,
        customAction: observation.customAction?.name ?? null,
        finding,
      },
      policy,
      at,
    );
    batch.apply(finding.id, decision, at);
    newObservations.push({ observation, stale: !decision.findingIsNewer, at });
    if (decision.findingIsNewer) newestFindings.set(finding.id, { finding, raw: observation.raw, at });
    outcomes.push(decision.findingIsNewer ? "applied" : "stale");
  }
  if (newObservations.length === 0) return outcomes;

  await insertObservations(
    tx,
    newObservations.map(({ observation, stale, at }) => ({
      key: observation.key,
      findingId: observation.finding.id,
      eventId: observation.eventId,
      detailType: observation.detailType,
      stale,
      receivedAt: at.toISOString(),
    })),
  );
  await saveFindings(
    tx,
    [...newestFindings.values()].map(({ finding, raw, at }) => ({
      finding,
      raw,
      storedAt: at.toISOString(),
    })),
  );
  await batch.write(tx);
  return outcomes;
}

/**
 * Applies a batch in one transaction (group commit). When the batch fails, each observation is
 * retried in a transaction of its own so that one bad finding cannot hold back the others; its
 * error is returned in its place.
 */
export async function observeFindings(
  db: Database,
  policy: Policy,
  observations: Observation[],
  now: () => Date,
): Promise<(ObservationOutcome | Error)[]> {
  try {
    return await db.transaction((tx) => observeBatch(tx, policy, observations, now));
  } catch (batchError) {
    if (observations.length === 1) return [batchError as Error];
    const outcomes: (ObservationOutcome | Error)[] = [];
    for (const observation of observations) {
      try {
        const [outcome] = await db.transaction((tx) => observeBatch(tx, policy, [observation], now));
        outcomes.push(outcome ?? new Error("no outcome"));
      } catch (error) {
        outcomes.push(error as Error);
      }
    }
    return outcomes;
  }
}
