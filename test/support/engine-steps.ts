import type { Case, CaseEvent } from "../../src/engine/case.js";
import { applyEvents, decide, type EngineInput } from "../../src/engine/decide.js";
import type { Effect, NotifyEffect, WorkflowUpdateEffect } from "../../src/engine/effects.js";
import type { Finding } from "../../src/engine/finding.js";
import type { HumanAction } from "../../src/engine/inputs.js";
import type { Policy } from "../../src/engine/policy.js";
import { finding, observed } from "./engine.js";

/** Helpers for multi-step engine specs: build the `given` history by running the decider itself. */

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export function plus(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

/** People of the example policy (its teams list no members, so anyone may act for them). */
export const ALICE = { user: "U0ALICE", team: "platform" } as const;
export const BOB = { user: "U0BOB", team: "platform" } as const;
export const SAM = { user: "U0SAM", team: "security" } as const;
export const SUE = { user: "U0SUE", team: "security" } as const;
export const CISO = { user: "U0CISO", team: "leadership" } as const;

export const TIMER: EngineInput = { type: "timer_due" };

export function act(actor: { user: string; team: string }, action: HumanAction): EngineInput {
  return { type: "human", user: actor.user, team: actor.team, ...action };
}

/** A version of the finding imported by Security Hub at `at` (UpdatedAt and ProcessedAt both `at`). */
export function version(at: string, overrides: Partial<Finding> = {}): Finding {
  return finding({ updatedAt: at, processedAt: at, ...overrides });
}

export function seen(at: string, overrides: Partial<Finding> = {}): EngineInput {
  return observed(version(at, overrides));
}

/**
 * The bot's own BatchUpdateFindings coming back: the same provider version (UpdatedAt unchanged),
 * a later ProcessedAt, and the status and note the bot wrote.
 */
export function echo(of: Case, processedAt: string, overrides: Partial<Finding> = {}): EngineInput {
  const own = of.lastBotUpdate;
  if (!own) throw new Error("the case holds no bot update to echo");
  return observed(
    finding({
      updatedAt: of.latest.updatedAt,
      processedAt,
      workflowStatus: own.workflowStatus,
      note: { text: own.note, updatedBy: "securityhub-governor" },
      ...overrides,
    }),
  );
}

/** Runs inputs through the decider in order, failing on any refusal; returns the events and the case. */
export function play(policy: Policy, steps: [at: string, input: EngineInput][], from: CaseEvent[] = []) {
  const events = [...from];
  let state: Case | null = applyEvents(null, from);
  for (const [at, input] of steps) {
    const decision = decide(state, input, policy, new Date(at));
    if (decision.refusal !== null) throw new Error(`step at ${at} refused: ${decision.refusal.message}`);
    events.push(...decision.events);
    state = applyEvents(state, decision.events);
  }
  if (!state) throw new Error("no case after the steps");
  return { events, state };
}

export function notifies(effects: Effect[]): NotifyEffect[] {
  return effects.filter((effect): effect is NotifyEffect => effect.kind === "notify");
}

export function updates(effects: Effect[]): WorkflowUpdateEffect[] {
  return effects.filter((effect): effect is WorkflowUpdateEffect => effect.kind === "securityhub.update");
}

export function types(events: CaseEvent[]): string[] {
  return events.map((event) => event.type);
}
