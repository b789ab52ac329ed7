import type { Case, CaseEvent } from "../../src/engine/case.js";
import { applyEvents, decide, type EngineInput } from "../../src/engine/decide.js";
import type { Finding, Severity } from "../../src/engine/finding.js";
import type { Policy } from "../../src/engine/policy.js";
import { auditRows, insertAuditRows } from "../../src/store/audit-log.js";
import { saveCases } from "../../src/store/cases.js";
import type { Database } from "../../src/store/database.js";
import { finding, observed } from "./engine.js";
import { ALICE, act, DAY, HOUR, plus, SAM, TIMER } from "./engine-steps.js";

/**
 * A seeded history of many cases, decided by the real engine on a moving clock and written to
 * the store as the service writes them (cases and their chained audit events). The report is
 * built from the store; the tests compute the expected figures from `cases` in plain code.
 */
export interface GeneratedCase {
  state: Case;
  events: CaseEvent[];
}

export const SUPPRESSORS = [
  "arn:aws:sts::111111111111:assumed-role/Admin/jane",
  "arn:aws:iam::222222222222:user/ci-bot",
  null,
] as const;

const SEVERITY_WEIGHTS: [Severity, number][] = [
  ["CRITICAL", 2],
  ["HIGH", 4],
  ["MEDIUM", 3],
  ["LOW", 2],
  ["INFORMATIONAL", 1],
];
const EKS_VERSIONS = ["1.29", "1.31", "1.32", "1.33", "1.34", "1.35"];
const CONTROLS = ["S3.1", "IAM.6", "EC2.19", "RDS.3"];

/** mulberry32: small, seeded, good enough for test data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function generateHistory(
  policy: Policy,
  options: { seed: number; cases: number; until: string; weeksBack: number; afterUntilMs: number },
): GeneratedCase[] {
  const rand = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const weighted = (): Severity => {
    const total = SEVERITY_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = rand() * total;
    for (const [severity, weight] of SEVERITY_WEIGHTS) {
      roll -= weight;
      if (roll < 0) return severity;
    }
    return "HIGH";
  };
  const end = Date.parse(options.until) + options.afterUntilMs;
  const generated: GeneratedCase[] = [];
  for (let index = 0; index < options.cases; index += 1) {
    const eks = rand() < 0.3;
    const severity = eks ? pick(["HIGH", "MEDIUM"] as const) : weighted();
    const openedAt = new Date(Date.parse(options.until) - rand() * options.weeksBack * 7 * DAY).toISOString();
    const base: Partial<Finding> = {
      id: `arn:aws:securityhub:us-east-1:111111111111:finding/${index}`,
      title: eks ? `EKS cluster c${index % 40} runs an old version` : `Control ${index}: a resource fails`,
      controlId: eks ? "EKS.2" : pick(CONTROLS),
      generatorId: eks ? "security-control/EKS.2" : "security-control/other",
      severity,
      firstObservedAt: openedAt,
      createdAt: openedAt,
      resources: [
        {
          type: eks ? "AwsEksCluster" : "AwsS3Bucket",
          // Several findings of one cluster: the EKS cost counts clusters, not findings.
          id: eks
            ? `arn:aws:eks:us-east-1:111111111111:cluster/c${index % 40}`
            : `arn:aws:s3:::bucket-${index}`,
          region: "us-east-1",
          tags: {},
          details: eks
            ? { AwsEksCluster: { Version: EKS_VERSIONS[(index % 40) % EKS_VERSIONS.length] } }
            : null,
        },
      ],
    };
    const owner = eks ? ALICE : SAM;
    const counterpart = eks ? SAM : ALICE;
    let clock = Date.parse(openedAt);
    const later = (maxMs: number) => {
      clock += 60_000 + rand() * maxMs;
      return new Date(clock).toISOString();
    };
    const version = (at: string, overrides: Partial<Finding> = {}): EngineInput =>
      observed(finding({ ...base, updatedAt: at, processedAt: at, ...overrides }));

    const steps: [string, EngineInput][] = [[openedAt, version(openedAt)]];
    const maybe = (chance: number, add: () => void) => {
      if (rand() < chance) add();
    };
    maybe(0.5, () => {
      const at = later(10 * DAY);
      steps.push([at, TIMER]);
    });
    maybe(0.2, () => {
      const at = later(5 * DAY);
      steps.push([at, version(at, { workflowStatus: "SUPPRESSED" })]);
      const answered = later(HOUR);
      const who = pick(SUPPRESSORS);
      steps.push([
        answered,
        {
          type: "suppressor_found",
          suppressedBy: who,
          suppressedByType: who ? "BATCH_UPDATE_FINDINGS" : null,
          suppressedAt: who ? at : null,
          error: who ? null : "no history",
        },
      ]);
    });
    if (!eks) {
      maybe(0.25, () => {
        const at = later(5 * DAY);
        const expiresAt = plus(at, Math.round((1 + rand() * 40) * DAY));
        steps.push([
          at,
          act(owner, { action: "exception_request", justification: "compensating control", expiresAt }),
        ]);
        const decided = later(DAY);
        steps.push([
          decided,
          act(
            counterpart,
            rand() < 0.7
              ? { action: "exception_approve", reason: null }
              : { action: "exception_reject", reason: "no" },
          ),
        ]);
      });
    } else {
      maybe(0.6, () => {
        const at = later(5 * DAY);
        const date = new Date(Date.parse(at) + (3 + Math.floor(rand() * 20)) * DAY)
          .toISOString()
          .slice(0, 10);
        steps.push([at, act(owner, { action: "date_propose", date })]);
        steps.push([later(DAY), act(counterpart, { action: "date_agree", date: null })]);
      });
    }
    maybe(0.6, () => {
      const at = later(25 * DAY);
      steps.push([at, TIMER]);
    });
    maybe(0.5, () => {
      const at = later(20 * DAY);
      steps.push([at, version(at, { complianceStatus: "PASSED", severity: "INFORMATIONAL" })]);
      maybe(0.3, () => {
        const again = later(10 * DAY);
        steps.push([again, version(again)]);
      });
    });
    maybe(0.7, () => {
      const at = later(30 * DAY);
      steps.push([at, TIMER]);
    });

    let state: Case | null = null;
    const events: CaseEvent[] = [];
    for (const [at, input] of steps) {
      if (Date.parse(at) >= end) break;
      const decision = decide(state, input, policy, new Date(at));
      if (decision.refusal !== null) continue;
      events.push(...decision.events);
      state = applyEvents(state, decision.events);
    }
    if (state) generated.push({ state, events });
  }
  return generated;
}

/** Writes generated cases the way the service does: the case row and its chained audit rows. */
export async function storeHistory(db: Database, cases: GeneratedCase[]): Promise<void> {
  await db.transaction(async (tx) => {
    for (let start = 0; start < cases.length; start += 200) {
      const batch = cases.slice(start, start + 200);
      await insertAuditRows(
        tx,
        batch.flatMap(({ state, events }) => auditRows(state.id, 1, null, events)),
      );
      await saveCases(
        tx,
        batch.map(({ state, events }) => ({
          state,
          auditHead: auditRows(state.id, 1, null, events).at(-1)?.hash ?? "",
          nextDueAt: null,
        })),
      );
    }
  });
}
