import { type Case, deadlineAt, exceptionHolds, observedVersion, type ResolvedBy } from "./case.js";
import { pauseClock, rescaleClock, startClock } from "./clock.js";
import { base, type Decision, SECURITY_HUB_ACTOR } from "./decision.js";
import { workflowUpdate } from "./effects.js";
import { approverTeam } from "./exceptions.js";
import { compareObservations, type Finding, severityRank } from "./finding.js";
import type { FindingObservedInput } from "./inputs.js";
import { revertNote } from "./notes.js";
import type { Policy } from "./policy.js";
import { routeFinding } from "./routing.js";
import { formatInstant } from "./time-text.js";
import { upgradeStateFor } from "./upgrade-dates.js";

/** Compliance PASSED, an archived record or a RESOLVED workflow means the finding is remediated. */
export function isRemediated(
  finding: Pick<Finding, "complianceStatus" | "recordState" | "workflowStatus">,
): boolean {
  return (
    finding.complianceStatus === "PASSED" ||
    finding.recordState === "ARCHIVED" ||
    finding.workflowStatus === "RESOLVED"
  );
}

function remediatedBy(finding: Finding): { by: ResolvedBy; reason: string } {
  if (finding.complianceStatus === "PASSED") return { by: "check_passed", reason: "the check passed" };
  if (finding.recordState === "ARCHIVED") return { by: "archived", reason: "the finding was archived" };
  return { by: "workflow_resolved", reason: "the workflow status was set to RESOLVED" };
}

/**
 * The loop guard: the bot's own BatchUpdateFindings comes back as an event carrying the status and
 * the note the bot wrote. UpdatedBy is free text, so the note's full text (which names the case)
 * and the status are compared rather than the author alone. BatchUpdateFindings leaves UpdatedAt
 * alone, so a version the provider changed since (archived, re-rated: the note stays on it) is not
 * the bot's echo and is processed.
 */
export function isOwnUpdate(c: Case, finding: Finding): boolean {
  const own = c.lastBotUpdate;
  return (
    own !== null &&
    finding.workflowStatus === own.workflowStatus &&
    finding.note?.text === own.note &&
    finding.updatedAt === c.latest.updatedAt &&
    finding.severity === c.severity
  );
}

/**
 * A version of a finding arrived: the case is opened when new, the observation recorded, and
 * unless it is stale or the bot's own update coming back, its changes decided one step at a time.
 * Returns whether the version is newer than the one the case held.
 */
export function observeFinding(
  d: Decision,
  current: Case | null,
  input: FindingObservedInput,
  policy: Policy,
): boolean {
  const { finding } = input;
  const before = current ?? openCase(d, finding, policy);
  const stale = current !== null && compareObservations(finding, current.latest) <= 0;
  const ownUpdate = !stale && current !== null && isOwnUpdate(current, finding);
  recordObservation(d, input, stale, ownUpdate);
  if (stale || ownUpdate) return !stale;
  if (current !== null && finding.severity !== before.severity) changeSeverity(d, before, finding, policy);
  if (isRemediated(finding)) {
    if (before.resolvedAt === null) resolve(d, before, finding);
    return true;
  }
  if (before.resolvedAt !== null) reopen(d, before, finding, policy);
  // A re-import still carrying SUPPRESSED while the bot's revert is on its way is the same suppression.
  const suppressedNow =
    finding.workflowStatus === "SUPPRESSED" &&
    before.expectedWorkflowStatus !== "SUPPRESSED" &&
    !before.suppression?.revertPending;
  if (suppressedNow) decideSuppression(d, d.state ?? before, current, finding, policy);
  return true;
}

/** A finding seen for the first time: routed to its teams, its clock started, announced when it matters. */
function openCase(d: Decision, finding: Finding, policy: Policy): Case {
  const rule = routeFinding(policy, finding);
  const sla = startClock(policy, finding.severity, finding.firstObservedAt);
  const c = d.emit({
    type: "case.opened",
    ...base(d.at, SECURITY_HUB_ACTOR, `routed by rule "${rule.name}"`),
    finding,
    owner: rule.owner,
    counterpart: rule.counterpart,
    routingRule: rule.name,
    sla,
    upgrade: upgradeStateFor(policy, finding, rule, sla, d.at),
  });
  // Findings at or above the policy's threshold are announced one by one; the rest go into a digest.
  if (
    sla !== null &&
    severityRank(finding.severity) >= severityRank(policy.notifications.perFindingMinSeverity)
  ) {
    d.effect({
      kind: "notify",
      caseId: c.id,
      topic: "case.opened",
      teams: [rule.owner],
      mentionLeads: false,
      text: `New ${finding.severity} finding for team ${rule.owner}: "${finding.title}" (${finding.accountId}, ${finding.region}), due ${c.slaDueAt ? formatInstant(c.slaDueAt) : "-"}.`,
    });
  }
  // A brand-new case holds no expectation yet: a finding first seen SUPPRESSED is a suppression too.
  return { ...c, expectedWorkflowStatus: "NEW" };
}

function recordObservation(
  d: Decision,
  input: FindingObservedInput,
  stale: boolean,
  ownUpdate: boolean,
): void {
  const { finding } = input;
  d.emit({
    type: "finding.observed",
    ...base(
      d.at,
      SECURITY_HUB_ACTOR,
      stale
        ? "older than the version already recorded"
        : ownUpdate
          ? "the bot's own update coming back"
          : null,
    ),
    observationKey: input.observationKey,
    eventId: input.eventId,
    detailType: input.detailType,
    customAction: input.customAction,
    stale,
    ownUpdate,
    version: observedVersion(finding),
    severity: finding.severity,
    title: finding.title,
  });
}

function changeSeverity(d: Decision, before: Case, finding: Finding, policy: Policy): void {
  // A finding that was untracked gets a clock from now: the time it was untracked does not count.
  const rescaled = rescaleClock(policy, before.sla, finding.severity, d.at);
  d.emit({
    type: "severity.changed",
    ...base(d.at, SECURITY_HUB_ACTOR, `Security Hub reports ${finding.severity}`),
    from: before.severity,
    to: finding.severity,
    // A clock that starts now (the severity was untracked) is paused if an exception is approved.
    sla: rescaled && before.exception?.status === "approved" ? pauseClock(rescaled, d.at) : rescaled,
  });
}

function resolve(d: Decision, before: Case, finding: Finding): void {
  const { by, reason } = remediatedBy(finding);
  const dueAt = deadlineAt(before, d.at);
  d.emit({
    type: "case.resolved",
    ...base(d.at, SECURITY_HUB_ACTOR, reason),
    by,
    timeToRemediateMs: Math.max(0, Date.parse(d.at) - Date.parse(before.firstObservedAt)),
    // Before this observation: a passing check is reported INFORMATIONAL, which has no SLA.
    severity: before.severity,
    dueAt,
    withinSla: dueAt === null ? null : Date.parse(d.at) <= Date.parse(dueAt),
  });
}

/**
 * A resolved case whose finding fails again. Set RESOLVED by hand while the check still failed:
 * when Security Hub (or a person) takes it back, the case goes on where it was, because closing a
 * case by hand must not reset its clock.
 */
function reopen(d: Decision, before: Case, finding: Finding, policy: Policy): void {
  const keepProgress = before.resolvedBy === "workflow_resolved";
  // An exception that still holds keeps a new clock paused, as it kept the old one.
  const fresh = startClock(policy, finding.severity, d.at);
  const sla = keepProgress
    ? before.sla
    : fresh && exceptionHolds(before, d.at)
      ? pauseClock(fresh, d.at)
      : fresh;
  d.emit({
    type: "case.reopened",
    ...base(
      d.at,
      SECURITY_HUB_ACTOR,
      keepProgress
        ? "no longer RESOLVED and the check was never seen passing: the clock, level and any breach stand"
        : "the check is failing again",
    ),
    sla,
    upgrade: keepProgress ? before.upgrade : upgradeStateFor(policy, finding, before, sla, d.at),
    keepProgress,
  });
  d.effect({
    kind: "notify",
    caseId: before.id,
    topic: "case.reopened",
    teams: [before.owner],
    mentionLeads: false,
    text: keepProgress
      ? `"${before.title}" is open again: it was set RESOLVED but its check never passed. Its SLA clock did not stop.`
      : `"${before.title}" is failing again after it was resolved; the case is re-opened with a new SLA clock.`,
  });
}

/**
 * The finding was set SUPPRESSED: accepted under an exception that holds, otherwise blocked (set
 * back, with a note) and its author looked up in the finding's history.
 */
function decideSuppression(
  d: Decision,
  state: Case,
  current: Case | null,
  finding: Finding,
  policy: Policy,
): void {
  if (exceptionHolds(state, d.at) && state.exception) {
    d.emit({
      type: "suppression.accepted",
      ...base(
        d.at,
        SECURITY_HUB_ACTOR,
        `exception ${state.exception.id} holds until ${formatInstant(state.exception.expiresAt)}`,
      ),
      exceptionId: state.exception.id,
    });
    return;
  }
  const revertTo = policy.suppression.revertTo;
  const note = revertNote(state, revertTo, approverTeam(policy, state, state.owner));
  // The note of the suppressing version names its author, unless it is the bot's own note.
  const noteBy =
    finding.note && finding.note.text !== state.lastBotUpdate?.note ? finding.note.updatedBy : null;
  d.emit({
    type: "suppression.blocked",
    ...base(d.at, SECURITY_HUB_ACTOR, "SUPPRESSED without an approved, unexpired exception"),
    revertTo,
    note,
  });
  d.effect(workflowUpdate(state, revertTo, note, "revert_suppression"));
  d.effect({
    kind: "securityhub.find_suppressor",
    caseId: state.id,
    findingId: state.findingId,
    productArn: state.productArn,
    format: state.format,
    since: current?.latest.processedAt ?? current?.latest.updatedAt ?? null,
    ...(noteBy ? { noteBy } : {}),
  });
}
