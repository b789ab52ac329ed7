import type { Effect } from "../engine/effects.js";
import type { Policy } from "../engine/policy.js";
import type { NewOutboxRow } from "../store/outbox.js";

/**
 * The outbox rows of one effect: a notification gets one delivery per notification channel its
 * teams are reached by (each claimed by that channel's dispatcher); any other effect gets one row.
 * `key` names the decision's effect; a delivery adds its channel to it.
 */
export function deliveriesOf(
  effect: Effect,
  decision: { key: string; caseVersion: number; at: string },
  policy: Policy,
): NewOutboxRow[] {
  const { key, caseVersion, at } = decision;
  if (effect.kind !== "notify") return [{ key, effect, channel: null, caseVersion, at }];
  const channels = new Set(effect.teams.flatMap((team) => Object.keys(policy.teams[team]?.reach ?? {})));
  return [...channels]
    .sort()
    .map((channel) => ({ key: `${key}@${channel}`, effect, channel, caseVersion, at }));
}
