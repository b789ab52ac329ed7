import type { Case } from "./case.js";
import type { Policy, TeamRef } from "./policy.js";
import { type Refusal, refused } from "./refusals.js";

/** Resolves `owner`, `counterpart` or a team name against a case. */
export function resolveTeam(ref: TeamRef, current: Pick<Case, "owner" | "counterpart">): string {
  if (ref === "owner") return current.owner;
  if (ref === "counterpart") return current.counterpart;
  return ref;
}

export function resolveTeams(refs: TeamRef[], current: Pick<Case, "owner" | "counterpart">): string[] {
  return [...new Set(refs.map((ref) => resolveTeam(ref, current)))];
}

/**
 * Whether `user` may act for `team`. A team that lists members admits only them and its leads; a
 * team that lists no members trusts the claim, because its membership lives elsewhere (a Slack user
 * group). Leads alone are who escalations mention, not the whole team.
 */
export function membershipProblem(policy: Policy, user: string, team: string): Refusal | null {
  const definition = policy.teams[team];
  if (!definition) return refused("team.unknown", `there is no team "${team}" in the policy`);
  if (definition.members.length > 0 && ![...definition.members, ...definition.leads].includes(user)) {
    return refused("team.not_member", `${user} is not a member of team ${team}`);
  }
  return null;
}

/** True when the policy lists `user` in `team` (as a member or a lead). */
export function listedIn(policy: Policy, user: string, team: string): boolean {
  const definition = policy.teams[team];
  return definition !== undefined && [...definition.members, ...definition.leads].includes(user);
}
