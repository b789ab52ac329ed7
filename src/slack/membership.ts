import type { Case } from "../engine/case.js";
import { approverTeam } from "../engine/exceptions.js";
import type { HumanAction } from "../engine/inputs.js";
import type { Policy } from "../engine/policy.js";
import { resolveTeam } from "../engine/teams.js";

/** Lists the user ids of a Slack user group (usergroups.users.list). */
export type UsergroupLister = (usergroupId: string) => Promise<string[]>;

export const USERGROUP_CACHE_MS = 5 * 60_000;

/**
 * The teams an action on `c` can be taken for, in the order a user is matched against them:
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

export type ActingTeam = { team: string; refusal: null } | { team: null; refusal: string };

/**
 * Who belongs to which team, for people acting in Slack: a user belongs to a team when the policy
 * lists them (members or leads) or when they are in the team's Slack user group. User groups are
 * read with usergroups.users.list and kept for five minutes each.
 */
export class TeamMembership {
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
    if (!definition.slackUsergroup) return false;
    return (await this.usergroup(definition.slackUsergroup)).has(user);
  }

  /** The first of `candidates` the user belongs to, or why they can act for none. */
  async actingTeam(user: string, candidates: string[]): Promise<ActingTeam> {
    for (const team of candidates) {
      if (await this.belongs(user, team)) return { team, refusal: null };
    }
    if (candidates.length === 0) return { team: null, refusal: "no team can take this action on this case" };
    return { team: null, refusal: `you are not in team ${candidates.join(" or ")}` };
  }

  /** Every policy team the user belongs to. */
  async teamsOf(user: string): Promise<string[]> {
    const teams: string[] = [];
    for (const team of Object.keys(this.policy.teams)) {
      if (await this.belongs(user, team)) teams.push(team);
    }
    return teams;
  }
}
