import type { Case } from "./case.js";
import type { Policy, TeamRef } from "./policy.js";

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
 * Whether `user` may act for `team`. A team that lists members (or leads) admits only them; a team
 * that lists nobody trusts the claim, because its membership lives elsewhere (a Slack user group).
 */
export function membershipProblem(policy: Policy, user: string, team: string): string | null {
  const definition = policy.teams[team];
  if (!definition) return `there is no team "${team}" in the policy`;
  const known = [...definition.members, ...definition.leads];
  if (known.length > 0 && !known.includes(user)) return `${user} is not a member of team ${team}`;
  return null;
}
