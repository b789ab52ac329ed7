import { type Case, endOfDay, type UpgradeState } from "./case.js";
import { clockDueAt, type SlaClock } from "./clock.js";
import { base, type Decision, TIMER_ACTOR, who } from "./decision.js";
import { DAY_MS } from "./durations.js";
import { EKS_CALENDAR, eksVersionOf } from "./eks-calendar.js";
import type { Finding } from "./finding.js";
import type { HumanInput } from "./inputs.js";
import type { Policy, UpgradeDateRule } from "./policy.js";
import { type Refusal, refused } from "./refusals.js";
import { findingMatches } from "./routing.js";
import { membershipProblem, resolveTeams } from "./teams.js";
import { calendarDay, formatInstant } from "./time-text.js";

function upgradeRuleFor(policy: Policy, finding: Finding): UpgradeDateRule | null {
  return policy.upgradeDates.find((rule) => findingMatches(rule.match, finding)) ?? null;
}

function eksVersionOfFinding(finding: Finding): string | null {
  for (const resource of finding.resources) {
    const version = eksVersionOf(resource.details);
    if (version) return version;
  }
  return null;
}

/**
 * A limit an upgrade date must come before: `subject` and `what` name it ("EKS 1.31", "end of
 * standard support"), `day` says whether it is a calendar day (the EKS calendar) or an instant.
 */
interface Limit {
  deadline: string;
  subject: string | null;
  what: string;
  day: boolean;
}

/** The limit the rule names for this finding, before asking whether it already passed. */
function namedDeadline(rule: UpgradeDateRule, finding: Finding, eksVersion: string | null): Limit | null {
  const limit = rule.mustBeBefore;
  if (limit.kind === "after_first_observed") {
    return {
      deadline: new Date(Date.parse(finding.firstObservedAt) + limit.ms).toISOString(),
      subject: null,
      what: "first observation plus the policy's duration",
      day: false,
    };
  }
  const entry = eksVersion ? EKS_CALENDAR[eksVersion] : undefined;
  if (!entry) return null;
  const standard = {
    deadline: `${entry.endOfStandardSupport}T00:00:00.000Z`,
    subject: `EKS ${eksVersion}`,
    what: "end of standard support",
    day: true,
  };
  const extended = {
    deadline: `${entry.endOfExtendedSupport}T00:00:00.000Z`,
    subject: `EKS ${eksVersion}`,
    what: "end of extended support",
    day: true,
  };
  return limit.milestone === "end_of_standard_support" ? standard : extended;
}

/**
 * "EKS 1.31 end of standard support", "its end of ..." right after a limit of the same subject;
 * in a list (`article`), "the SLA deadline".
 */
function limitName(limit: Limit, previous: Limit | null, article = true): string {
  if (limit.subject === null) return article ? `the ${limit.what}` : limit.what;
  return previous?.subject === limit.subject ? `its ${limit.what}` : `${limit.subject} ${limit.what}`;
}

function limitTime(limit: Limit): string {
  return limit.day ? calendarDay(limit.deadline) : formatInstant(limit.deadline);
}

/**
 * Where the deadline comes from, as people write it: the limit ahead, and why the ones before it
 * do not count ("EKS 1.31 end of extended support, since its end of standard support passed on
 * 2025-11-26"); with none ahead, every limit that passed and that any future date can be agreed.
 */
function deadlineSourceText(ahead: Limit | undefined, passed: Limit[], why: string | null): string {
  if (ahead) {
    const name = limitName(ahead, null, false);
    if (passed.length === 0) return why ? `${name}, since ${why}` : name;
    const since = passed.map((limit, index) => {
      const previous = index === 0 ? ahead : (passed[index - 1] ?? null);
      const time = `${limit.day ? "on" : "at"} ${limitTime(limit)}`;
      return index === 0
        ? `${limitName(limit, previous)} passed ${time}`
        : `${limitName(limit, previous)} ${time}`;
    });
    return `${name}, since ${joinAnd(since)}`;
  }
  if (passed.length === 0) return `no deadline: ${why ?? "nothing limits it"}; any future date can be agreed`;
  const names = passed.map(
    (limit, index) => `${limitName(limit, passed[index - 1] ?? null)} (${limitTime(limit)})`,
  );
  return `no deadline left: ${joinAnd(names)} ${passed.length === 1 ? "has" : "have"} passed${why ? ` (${why})` : ""}; any future date can be agreed`;
}

function joinAnd(parts: string[]): string {
  if (parts.length <= 1) return parts.join("");
  return `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

/**
 * The limit of an upgrade date as a CLI line or a refusal says it: "before 2027-03-27 (EKS 1.35
 * end of standard support)", or, with no deadline, the source alone ("no deadline left: ...").
 */
export function upgradeDeadlineText(upgrade: Pick<UpgradeState, "deadline" | "deadlineSource">): string {
  if (upgrade.deadline === null) return upgrade.deadlineSource;
  return `before ${calendarDay(upgrade.deadline)} (${upgrade.deadlineSource})`;
}

/**
 * The upgrade-date obligation of a new (or re-opened) case, or null when no `upgrade_dates` rule
 * matches. The deadline comes from the EKS calendar or a duration. A cluster often fails EKS.2
 * only once it is past end of standard support: a deadline already behind `at` falls back to the
 * next one still ahead (end of extended support, then the SLA deadline), so a date can always be
 * agreed; with none ahead, any future date is accepted. An unknown EKS version uses the SLA deadline.
 */
export function upgradeStateFor(
  policy: Policy,
  finding: Finding,
  teams: Pick<Case, "owner" | "counterpart">,
  sla: SlaClock | null,
  at: string,
): UpgradeState | null {
  const rule = upgradeRuleFor(policy, finding);
  if (!rule) return null;
  const eksVersion = eksVersionOfFinding(finding);
  const named = namedDeadline(rule, finding, eksVersion);
  const entry = eksVersion ? EKS_CALENDAR[eksVersion] : undefined;
  const slaDue = sla ? clockDueAt(sla) : null;
  // Why the SLA deadline stands in for the calendar, when it does.
  const why = named
    ? null
    : eksVersion
      ? `EKS version ${eksVersion} is not in the bundled calendar`
      : "the EKS version is unknown";
  const candidates: Limit[] = [];
  if (named) candidates.push(named);
  if (named && entry && rule.mustBeBefore.kind === "eks_calendar") {
    const extended = `${entry.endOfExtendedSupport}T00:00:00.000Z`;
    if (extended !== named.deadline) {
      candidates.push({
        deadline: extended,
        subject: named.subject,
        what: "end of extended support",
        day: true,
      });
    }
  }
  if (slaDue) candidates.push({ deadline: slaDue, subject: null, what: "SLA deadline", day: false });
  const aheadAt = candidates.findIndex((candidate) => Date.parse(candidate.deadline) > Date.parse(at));
  const ahead = aheadAt === -1 ? undefined : candidates[aheadAt];
  const passed = aheadAt === -1 ? candidates : candidates.slice(0, aheadAt);
  return {
    rule: rule.name,
    teams: resolveTeams(rule.agree, teams),
    deadline: ahead?.deadline ?? null,
    deadlineSource: deadlineSourceText(ahead, passed, why),
    eksVersion,
    proposal: null,
    agreed: null,
    remindersSent: 0,
    missed: false,
  };
}

/** Reminder instants for an agreed date, earliest first. */
function reminderMarks(policy: Policy, c: Case): string[] {
  const upgrade = c.upgrade;
  if (!upgrade?.agreed) return [];
  const rule = policy.upgradeDates.find((candidate) => candidate.name === upgrade.rule);
  const start = Date.parse(`${upgrade.agreed.date}T00:00:00.000Z`);
  return [...(rule?.remindBeforeMs ?? [])]
    .sort((a, b) => b - a)
    .map((ms) => new Date(start - ms).toISOString());
}

function datesRun(c: Case): boolean {
  return (
    c.resolvedAt === null &&
    c.exception?.status !== "approved" &&
    c.upgrade?.agreed != null &&
    !c.upgrade.missed
  );
}

/** The next reminder or the end of the agreed day, whichever comes first; null when nothing is pending. */
export function nextDateTimerAt(c: Case, policy: Policy): string | null {
  if (!datesRun(c) || !c.upgrade?.agreed) return null;
  const next = reminderMarks(policy, c)[c.upgrade.remindersSent];
  return next ?? endOfDay(c.upgrade.agreed.date);
}

/** Sends the reminder that is due (one message even when several are overdue), or records the missed date. */
export function remindOrMiss(d: Decision, c: Case, policy: Policy): void {
  if (!datesRun(c) || !c.upgrade?.agreed) return;
  const { date } = c.upgrade.agreed;
  const now = Date.parse(d.at);
  if (Date.parse(endOfDay(date)) <= now) {
    const breachStep = policy.escalation.find((step) => step.breach);
    const teams = [
      ...new Set([...c.upgrade.teams, ...resolveTeams(breachStep?.notify ?? ["owner", "counterpart"], c)]),
    ];
    d.emit({
      type: "date.missed",
      ...base(d.at, TIMER_ACTOR, "the agreed upgrade date passed unresolved"),
      date,
    });
    if (c.breachedAt === null) {
      d.emit({
        type: "sla.breached",
        ...base(d.at, TIMER_ACTOR, "the agreed upgrade date passed"),
        dueAt: endOfDay(date),
      });
    }
    d.effect({
      kind: "notify",
      caseId: c.id,
      topic: "date.missed",
      teams,
      mentionLeads: breachStep?.mentionLeads ?? true,
      text: `Breach: the upgrade date ${date} agreed for "${c.title}" (owner ${c.owner}) passed and the finding is not resolved.`,
    });
    return;
  }
  const due = reminderMarks(policy, c).filter((mark) => Date.parse(mark) <= now).length;
  if (due <= c.upgrade.remindersSent) return;
  const daysLeft = Math.ceil((Date.parse(`${date}T00:00:00.000Z`) - now) / DAY_MS);
  d.emit({
    type: "date.reminded",
    ...base(d.at, TIMER_ACTOR, `${daysLeft} day(s) before the agreed date`),
    date,
    remindersSent: due,
  });
  d.effect({
    kind: "notify",
    caseId: c.id,
    topic: "date.reminder",
    teams: c.upgrade.teams,
    mentionLeads: false,
    text: `Reminder: "${c.title}" is to be upgraded on ${date} (${daysLeft} day(s) left), as agreed by ${c.upgrade.agreed.by.map(who).join(" and ")}.`,
  });
}

type DateInput = Extract<HumanInput, { action: "date_propose" | "date_counter" | "date_agree" }>;

/** Why a proposed day is not acceptable, or null. */
function dateProblem(c: Case, date: string, at: string): Refusal | null {
  const invalid = refused("date.invalid", `"${date}" is not a date (expected YYYY-MM-DD)`, "date");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00.000Z`))) return invalid;
  const start = Date.parse(`${date}T00:00:00.000Z`);
  if (new Date(start).toISOString().slice(0, 10) !== date) return invalid;
  if (Date.parse(endOfDay(date)) <= Date.parse(at))
    return refused("date.past", `${date} is in the past`, "date");
  const deadline = c.upgrade?.deadline;
  if (deadline && start >= Date.parse(deadline)) {
    return refused(
      "date.beyond_deadline",
      `${date} is not before the deadline ${calendarDay(deadline)} (${c.upgrade?.deadlineSource})`,
      "date",
    );
  }
  return null;
}

/** Returns why the input is refused, or undefined when it was decided. */
export function decideDate(d: Decision, c: Case, input: DateInput, policy: Policy): Refusal | undefined {
  const upgrade = c.upgrade;
  if (!upgrade) {
    return refused(
      "date.not_needed",
      `case ${c.id} needs no upgrade date: no upgrade_dates rule of the policy matches it`,
    );
  }
  if (c.resolvedAt) return refused("case.resolved", `case ${c.id} is resolved`);
  const notMember = membershipProblem(policy, input.user, input.team);
  if (notMember) return notMember;
  if (!upgrade.teams.includes(input.team)) {
    return refused(
      "team.not_allowed",
      `only teams ${upgrade.teams.join(" and ")} agree the upgrade date of this case`,
    );
  }
  const actor = { user: input.user, team: input.team };
  const others = upgrade.teams.filter((team) => team !== input.team);

  if (input.action === "date_agree") {
    const proposal = upgrade.proposal;
    if (!proposal) {
      return upgrade.agreed
        ? refused("date.already_agreed", `the date ${upgrade.agreed.date} is already agreed`)
        : refused("date.none_proposed", "there is no proposed date to agree to");
    }
    if (input.date !== null && input.date !== proposal.date) {
      return refused("date.changed", `the date on the table is now ${proposal.date}, not ${input.date}`);
    }
    if (proposal.acceptedBy.some((accepted) => accepted.team === input.team)) {
      return refused("date.already_accepted", `team ${input.team} has already accepted ${proposal.date}`);
    }
    // Each team's acceptance comes from a different person: one person cannot agree for both sides.
    if (proposal.acceptedBy.some((accepted) => accepted.user === input.user)) {
      return refused(
        "date.already_accepted",
        `${input.user} has already accepted ${proposal.date} for team ${proposal.acceptedBy.find((a) => a.user === input.user)?.team}; another member of team ${input.team} must agree`,
      );
    }
    const problem = dateProblem(c, proposal.date, d.at);
    if (problem) return problem;
    const acceptedBy = [...proposal.acceptedBy, actor];
    if (!upgrade.teams.every((team) => acceptedBy.some((accepted) => accepted.team === team))) {
      d.emit({ type: "date.accepted", ...base(d.at, input.user), date: proposal.date, by: actor });
      return;
    }
    const previous = upgrade.agreed?.date ?? null;
    d.emit({
      type: previous ? "date.changed" : "date.agreed",
      ...base(d.at, input.user, previous ? `was ${previous}` : null),
      date: proposal.date,
      previousDate: previous,
      by: acceptedBy,
    });
    d.effect({
      kind: "notify",
      caseId: c.id,
      topic: "date.agreed",
      teams: upgrade.teams,
      mentionLeads: false,
      text: `${previous ? `Upgrade date changed from ${previous} to` : "Upgrade date agreed:"} ${proposal.date} for "${c.title}", by ${acceptedBy.map(who).join(" and ")}.`,
    });
    return;
  }

  const problem = dateProblem(c, input.date, d.at);
  if (problem) return problem;
  const pendingFromOther = upgrade.proposal && upgrade.proposal.proposedBy.team !== input.team;
  if (input.action === "date_counter" && !pendingFromOther) {
    return refused(
      "date.nothing_to_counter",
      "there is no proposal from another team to counter; propose a date instead",
    );
  }
  if (upgrade.agreed?.date === input.date && !upgrade.proposal) {
    return refused("date.already_agreed", `${input.date} is already the agreed date`, "date");
  }
  const type = pendingFromOther ? "date.countered" : "date.proposed";
  d.emit({
    type,
    ...base(d.at, input.user, upgrade.agreed ? `change of the agreed date ${upgrade.agreed.date}` : null),
    date: input.date,
    by: actor,
  });
  d.effect({
    kind: "notify",
    caseId: c.id,
    topic: "date.proposed",
    teams: others,
    mentionLeads: false,
    text: `${who(actor)} ${type === "date.countered" ? "counters with" : "proposes"} upgrade date ${input.date} for "${c.title}"${upgrade.agreed ? ` (agreed date today: ${upgrade.agreed.date})` : ""}. Team ${others.join(" and ")}: agree or counter.`,
  });
}
