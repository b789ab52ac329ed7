import { type Case, exceptionHolds } from "./case.js";
import { base, type Decision, TIMER_ACTOR, who } from "./decision.js";
import { workflowUpdate } from "./effects.js";
import type { HumanInput } from "./inputs.js";
import { exceptionNote, expiryNote } from "./notes.js";
import type { Policy } from "./policy.js";
import { type Refusal, refused } from "./refusals.js";
import { listedIn, membershipProblem, resolveTeam } from "./teams.js";
import { formatInstant } from "./time-text.js";

type ExceptionInput = Extract<
  HumanInput,
  { action: "exception_request" | "exception_approve" | "exception_reject" }
>;

/** The team that decides a request: the policy's approver, unless that is the requester's own team. */
export function approverTeam(policy: Policy, c: Case, requesterTeam: string): string {
  const named = resolveTeam(policy.suppression.approver, c);
  if (named !== requesterTeam) return named;
  return requesterTeam === c.owner ? c.counterpart : c.owner;
}

/** Returns why the request is refused, or undefined when it was decided. */
export function decideException(
  d: Decision,
  c: Case,
  input: ExceptionInput,
  policy: Policy,
): Refusal | undefined {
  const actor = { user: input.user, team: input.team };
  const notMember = membershipProblem(policy, input.user, input.team);
  if (notMember) return notMember;
  if (c.resolvedAt) return refused("case.resolved", `case ${c.id} is resolved; it needs no exception`);

  if (input.action === "exception_request") {
    if (input.team !== c.owner && input.team !== c.counterpart) {
      return refused(
        "team.not_allowed",
        `only team ${c.owner} (owner) or ${c.counterpart} (counterpart) can request an exception`,
      );
    }
    // An exception past its expiry that no timer has handled yet expires first (re-open, clock resumed),
    // so the new request cannot leave the old pause running.
    expireException(d, c, policy);
    const existing = d.state?.exception ?? c.exception;
    if (existing?.status === "requested") {
      return refused("exception.pending", `exception ${existing.id} is already waiting for a decision`);
    }
    if (existing && exceptionHolds(c, d.at)) {
      return refused(
        "exception.active",
        `exception ${existing.id} is approved until ${formatInstant(existing.expiresAt)}`,
      );
    }
    const justification = input.justification.trim();
    if (justification.length === 0)
      return refused("justification.missing", "an exception needs a justification", "justification");
    const expires = Date.parse(input.expiresAt);
    if (Number.isNaN(expires))
      return refused("expiry.invalid", `expiry "${input.expiresAt}" is not a date`, "expiry");
    if (expires <= Date.parse(d.at))
      return refused(
        "expiry.past",
        `expiry ${formatInstant(input.expiresAt)} is not in the future`,
        "expiry",
      );
    const latest = Date.parse(d.at) + policy.suppression.maxDurationMs;
    if (expires > latest) {
      return refused(
        "expiry.beyond_maximum",
        `expiry ${formatInstant(new Date(expires).toISOString())} is beyond the policy's maximum (${formatInstant(new Date(latest).toISOString())})`,
        "expiry",
      );
    }
    const exceptionId = `EXC-${c.exceptionsRequested + 1}`;
    d.emit({
      type: "exception.requested",
      ...base(d.at, input.user, justification),
      exceptionId,
      requester: actor,
      justification,
      expiresAt: new Date(expires).toISOString(),
    });
    const approver = approverTeam(policy, c, input.team);
    d.effect({
      kind: "notify",
      caseId: c.id,
      topic: "exception.requested",
      teams: [approver],
      mentionLeads: false,
      text: `${who(actor)} requests exception ${exceptionId} for "${c.title}" until ${formatInstant(new Date(expires).toISOString())}: ${justification}. Team ${approver} approves or rejects.`,
    });
    return;
  }

  const pending = c.exception?.status === "requested" ? c.exception : null;
  if (!pending) {
    return refused("exception.none_pending", `case ${c.id} has no exception waiting for a decision`);
  }
  const conflict = separationOfDuties(policy, input, pending);
  if (conflict) return conflict;
  const approver = approverTeam(policy, c, pending.requester.team);
  if (input.team !== approver)
    return refused("team.not_allowed", `only team ${approver} can decide exception ${pending.id}`);

  if (input.action === "exception_reject") {
    d.emit({
      type: "exception.rejected",
      ...base(d.at, input.user, input.reason),
      exceptionId: pending.id,
      by: actor,
      note: null,
    });
    d.effect({
      kind: "notify",
      caseId: c.id,
      topic: "exception.rejected",
      teams: [...new Set([pending.requester.team, c.owner])],
      mentionLeads: false,
      text: `${who(actor)} rejected exception ${pending.id} for "${c.title}"${input.reason ? `: ${input.reason}` : ""}.`,
    });
    return;
  }

  if (Date.parse(pending.expiresAt) <= Date.parse(d.at)) {
    return refused(
      "exception.lapsed",
      `exception ${pending.id} would have expired at ${formatInstant(pending.expiresAt)}; request a new one`,
    );
  }
  const note = exceptionNote(pending, actor);
  d.emit({
    type: "exception.approved",
    ...base(d.at, input.user, input.reason),
    exceptionId: pending.id,
    by: actor,
    note,
  });
  d.effect(workflowUpdate(c, "SUPPRESSED", note, "apply_exception"));
  d.effect({
    kind: "notify",
    caseId: c.id,
    topic: "exception.approved",
    teams: [c.owner, c.counterpart],
    mentionLeads: false,
    text: `${who(actor)} approved exception ${pending.id} for "${c.title}" until ${formatInstant(pending.expiresAt)}. The finding is suppressed and its SLA clock paused.`,
  });
}

/**
 * Separation of duties, the one rule for every adapter: the requester, anyone who belongs to the
 * requesting team (listed in the policy, or a member by the adapter's membership such as a Slack
 * user group: `input.memberOf`) and the requesting team itself cannot decide the request.
 */
function separationOfDuties(
  policy: Policy,
  input: ExceptionInput,
  pending: { id: string; requester: { user: string; team: string } },
): Refusal | null {
  const code = "exception.separation_of_duties";
  if (input.user === pending.requester.user)
    return refused(code, "the requester cannot decide their own exception");
  const requesting = pending.requester.team;
  // Someone in both teams cannot decide by speaking for the other one.
  if (listedIn(policy, input.user, requesting) || input.memberOf?.includes(requesting)) {
    return refused(
      code,
      `${input.user} belongs to team ${requesting}, which requested exception ${pending.id}; they cannot decide it`,
    );
  }
  if (input.team === requesting) {
    return refused(code, `team ${input.team} requested exception ${pending.id}; it cannot decide it`);
  }
  return null;
}

/** An approved exception that expires re-opens the finding; a request nobody decided in time lapses. */
export function expireException(d: Decision, c: Case, policy: Policy): void {
  const exception = c.exception;
  if (!exception || (exception.status !== "approved" && exception.status !== "requested")) return;
  if (Date.parse(exception.expiresAt) > Date.parse(d.at)) return;
  const approved = exception.status === "approved";
  const reopenTo = approved && c.expectedWorkflowStatus === "SUPPRESSED" ? policy.suppression.revertTo : null;
  const note = reopenTo ? expiryNote(c, reopenTo) : null;
  d.emit({
    type: "exception.expired",
    ...base(
      d.at,
      TIMER_ACTOR,
      approved ? "the exception reached its expiry" : "nobody decided before the expiry",
    ),
    exceptionId: exception.id,
    reopenTo,
    note,
  });
  if (reopenTo && note) {
    d.effect(workflowUpdate(c, reopenTo, note, "exception_expired"));
  }
  d.effect({
    kind: "notify",
    caseId: c.id,
    topic: "exception.expired",
    teams: [c.owner, c.counterpart],
    mentionLeads: false,
    text: approved
      ? `Exception ${exception.id} for "${c.title}" expired: the finding is open again${reopenTo ? ` (${reopenTo})` : ""} and its SLA clock resumed.`
      : `Exception request ${exception.id} for "${c.title}" lapsed: nobody decided before ${formatInstant(exception.expiresAt)}.`,
  });
}
