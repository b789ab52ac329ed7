import type { Case } from "./case.js";
import { approverTeam } from "./exceptions.js";
import type { HumanAction } from "./inputs.js";
import type { Policy } from "./policy.js";
import { type Refusal, refused } from "./refusals.js";
import { resolveTeam } from "./teams.js";

/**
 * The teams an action on `c` can be taken for, in the order a person is matched against them:
 * approve/reject: the approver team; exception request and claim: owner, then counterpart; date
 * actions: the upgrade's teams, those that have not accepted the date on the table first.
 */
export function candidateTeams(policy: Policy, c: Case, action: HumanAction["action"]): string[] {
  switch (action) {
    case "exception_approve":
    case "exception_reject": {
      const pending = c.exception?.status === "requested" ? c.exception : null;
      return [
        pending
          ? approverTeam(policy, c, pending.requester.team)
          : resolveTeam(policy.suppression.approver, c),
      ];
    }
    case "claim":
    case "exception_request":
      return [...new Set([c.owner, c.counterpart])];
    case "date_propose":
    case "date_counter":
    case "date_agree": {
      const teams = c.upgrade?.teams ?? [c.owner, c.counterpart];
      const accepted = new Set(c.upgrade?.proposal?.acceptedBy.map((a) => a.team) ?? []);
      return [...teams.filter((t) => !accepted.has(t)), ...teams.filter((t) => accepted.has(t))];
    }
  }
}

export type ActingTeam = { team: string; refusal: null } | { team: null; refusal: Refusal };

/**
 * The team a person acts for when they do not name one (Slack derives it, never asks): the first
 * candidate team they belong to, or why they can act for none.
 */
export function actingTeam(
  policy: Policy,
  c: Case,
  action: HumanAction["action"],
  memberOf: readonly string[],
): ActingTeam {
  const candidates = candidateTeams(policy, c, action);
  const team = candidates.find((candidate) => memberOf.includes(candidate));
  if (team !== undefined) return { team, refusal: null };
  if (candidates.length === 0)
    return { team: null, refusal: refused("team.not_allowed", "no team can take this action on this case") };
  return {
    team: null,
    refusal: refused("team.not_member", `you are not in team ${candidates.join(" or ")}`),
  };
}
