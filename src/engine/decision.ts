import { type Case, type CaseEvent, evolve } from "./case.js";
import type { Effect } from "./effects.js";
import type { Refusal } from "./refusals.js";

/**
 * Collects what one input decides. Each event is applied as soon as it is emitted, so a later
 * rule sees the case as the earlier ones left it; the caller returns only the events and effects.
 */
export class Decision {
  readonly events: CaseEvent[] = [];
  readonly effects: Effect[] = [];
  refusal: Refusal | null = null;

  constructor(
    public state: Case | null,
    readonly at: string,
  ) {}

  emit(event: CaseEvent): Case {
    this.events.push(event);
    this.state = evolve(this.state, event);
    return this.state;
  }

  effect(effect: Effect): void {
    this.effects.push(effect);
  }

  reject(refusal: Refusal): void {
    this.refusal = refusal;
  }
}

/** The events' common fields. */
export function base(at: string, actor: string, reason: string | null = null) {
  return { at, actor, reason };
}

export const BOT_ACTOR = "securityhub-governor";
export const SECURITY_HUB_ACTOR = "aws:securityhub";
export const TIMER_ACTOR = "securityhub-governor:timer";

/** "U123 (platform)": how people are named in audit reasons and notes. */
export function who(actor: { user: string; team: string }): string {
  return `${actor.user} (${actor.team})`;
}
