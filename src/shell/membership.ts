import type { Policy } from "../engine/policy.js";

/**
 * Who belongs to which team, as an adapter knows it. The CLI and the admin API know the policy's
 * lists; Slack knows its user groups too (slack/membership.ts). The engine gets the answer as the
 * input's `memberOf` and decides with it.
 */
export interface Membership {
  /** Every policy team `user` belongs to. */
  teamsOf(user: string): Promise<string[]>;
}

/** Membership by the policy's lists alone (members and leads). */
export class PolicyMembership implements Membership {
  constructor(private readonly policy: Policy) {}

  async teamsOf(user: string): Promise<string[]> {
    return Object.entries(this.policy.teams)
      .filter(([, team]) => team.members.includes(user) || team.leads.includes(user))
      .map(([name]) => name);
  }
}
