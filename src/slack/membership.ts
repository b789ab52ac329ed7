import type { Policy } from "../engine/policy.js";
import type { Membership } from "../shell/membership.js";
import { slackAddress } from "./team-address.js";

/** Lists the user ids of a Slack user group (usergroups.users.list). */
export type UsergroupLister = (usergroupId: string) => Promise<string[]>;

export const USERGROUP_CACHE_MS = 5 * 60_000;

/**
 * Who belongs to which team, for people acting in Slack: a user belongs to a team when the policy
 * lists them (members or leads) or when they are in the team's Slack user group. User groups are
 * read with usergroups.users.list and kept for five minutes each.
 */
export class TeamMembership implements Membership {
  private readonly cache = new Map<string, { users: Promise<Set<string>>; expiresAt: number }>();

  constructor(
    private readonly policy: Policy,
    private readonly listUsergroup: UsergroupLister,
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = USERGROUP_CACHE_MS,
  ) {}

  private usergroup(id: string): Promise<Set<string>> {
    const now = this.clock();
    const cached = this.cache.get(id);
    if (cached && cached.expiresAt > now) return cached.users;
    const users = this.listUsergroup(id).then((list) => new Set(list));
    this.cache.set(id, { users, expiresAt: now + this.ttlMs });
    // A failed lookup is not kept: the next action asks again.
    users.catch(() => {
      if (this.cache.get(id)?.users === users) this.cache.delete(id);
    });
    return users;
  }

  /** Whether `user` belongs to `team` (policy lists first, then the user group). */
  async belongs(user: string, team: string): Promise<boolean> {
    const definition = this.policy.teams[team];
    if (!definition) return false;
    if (definition.members.includes(user) || definition.leads.includes(user)) return true;
    const usergroup = slackAddress(definition)?.group;
    if (!usergroup) return false;
    return (await this.usergroup(usergroup)).has(user);
  }

  /** Every policy team the user belongs to. */
  async teamsOf(user: string): Promise<string[]> {
    const teams = Object.keys(this.policy.teams);
    // The user groups are read at once, not one after the other: a click waits for the slowest only.
    const belongs = await Promise.all(teams.map((team) => this.belongs(user, team)));
    return teams.filter((_, index) => belongs[index]);
  }
}
