import type { Severity, WorkflowStatus } from "./finding.js";

/**
 * The compiled policy the engine works from: the merged `workflows/*.yaml` files with every
 * duration in milliseconds and every reference checked. Built by src/policy/compile.ts.
 */
export interface Team {
  name: string;
  /**
   * Where the team is reached, by notification channel (`slack` today): the channel's adapter
   * reads its own entry; the engine only names teams. Notifications to a team are delivered on
   * every channel it has an entry for.
   */
  reach: Record<string, TeamAddress>;
  leads: string[];
  members: string[];
}

/** A team's address on one notification channel: where to post, and the group to mention. */
export interface TeamAddress {
  address: string;
  group: string | null;
}

/** `owner` and `counterpart` are resolved per case; any other value names a team. */
export type TeamRef = "owner" | "counterpart" | (string & {});

export interface FindingMatch {
  controlIds?: string[];
  severities?: Severity[];
  accounts?: string[];
  regions?: string[];
  resourceTypes?: string[];
  productNames?: string[];
  tags?: Record<string, string>;
}

export interface RoutingRule {
  name: string;
  match: FindingMatch;
  owner: string;
  counterpart: string;
}

export interface EscalationStep {
  /** Share of the SLA, 0.5 for 50%. */
  at: number;
  notify: TeamRef[];
  mentionLeads: boolean;
  breach: boolean;
}

export type UpgradeDeadline =
  | { kind: "eks_calendar"; milestone: "end_of_standard_support" | "end_of_extended_support" }
  | { kind: "after_first_observed"; ms: number };

export interface UpgradeDateRule {
  name: string;
  match: FindingMatch;
  agree: TeamRef[];
  mustBeBefore: UpgradeDeadline;
  remindBeforeMs: number[];
}

export interface Policy {
  teams: Record<string, Team>;
  routing: RoutingRule[];
  slaMs: Partial<Record<Severity, number>>;
  escalation: EscalationStep[];
  suppression: { approver: TeamRef; maxDurationMs: number; revertTo: WorkflowStatus };
  upgradeDates: UpgradeDateRule[];
  notifications: { perFindingMinSeverity: Severity; digestIntervalMs: number };
  report: { schedule: string; timezone: string; channel: string } | null;
}
