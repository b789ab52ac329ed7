import { describe, expect, it } from "vitest";
import { nextDueAt } from "../../src/engine/timers.js";
import { examplePolicy, finding, givenWhen } from "../support/engine.js";
import {
  ALICE,
  act,
  DAY,
  echo,
  play,
  plus,
  SAM,
  seen,
  TIMER,
  types,
  updates,
} from "../support/engine-steps.js";

const policy = examplePolicy();
const CASE_ID = finding().id;
const FIRST_OBSERVED = finding().firstObservedAt; // 2026-11-01
const T0 = "2026-11-02T00:00:00.000Z";
const FIXED = "2026-11-05T06:00:00.000Z";
const FAILS_AGAIN = "2026-11-20T00:00:00.000Z";

const opened = () => play(policy, [[T0, seen(T0)]]);
const resolved = () => play(policy, [[FIXED, seen(FIXED, { complianceStatus: "PASSED" })]], opened().events);

describe("engine: a finding is resolved", () => {
  it.each([
    ["the check passes", { complianceStatus: "PASSED" as const }, "the check passed", "check_passed"],
    ["the record is archived", { recordState: "ARCHIVED" as const }, "the finding was archived", "archived"],
    [
      "the workflow is set to RESOLVED",
      { workflowStatus: "RESOLVED" as const },
      "the workflow status was set to RESOLVED",
      "workflow_resolved",
    ],
  ])(
    "given an open case, when %s, then the case is resolved with its time to remediate",
    (_what, overrides, reason, by) => {
      const { events, effects, after } = givenWhen(policy, opened().events, seen(FIXED, overrides), FIXED);
      const ttr = Date.parse(FIXED) - Date.parse(FIRST_OBSERVED);
      expect(types(events)).toEqual(["finding.observed", "case.resolved"]);
      expect(events[1]).toEqual({
        type: "case.resolved",
        at: FIXED,
        actor: "aws:securityhub",
        reason,
        by,
        timeToRemediateMs: ttr,
        severity: "HIGH",
        dueAt: opened().state.slaDueAt,
        withinSla: true,
      });
      expect(effects).toEqual([]);
      expect(after).toMatchObject({ status: "resolved", resolvedAt: FIXED, timeToRemediateMs: ttr });
      if (!after) throw new Error("no case");
      expect(nextDueAt(after, policy)).toBeNull();
    },
  );

  it("given no case, when the first observation already passes, then the case is opened and resolved at once", () => {
    const { events, after } = givenWhen(policy, [], seen(T0, { complianceStatus: "PASSED" }), T0);
    expect(types(events)).toEqual(["case.opened", "finding.observed", "case.resolved"]);
    expect(after?.status).toBe("resolved");
  });

  it("given a resolved case, when another passing version arrives, then only the observation is recorded", () => {
    const at = "2026-11-06T00:00:00.000Z";
    const { events, effects, after } = givenWhen(
      policy,
      resolved().events,
      seen(at, { complianceStatus: "PASSED" }),
      at,
    );
    expect(types(events)).toEqual(["finding.observed"]);
    expect(effects).toEqual([]);
    expect(after?.resolvedAt).toBe(FIXED);
  });

  it("given a resolved case, when timers fire past every mark, then nothing happens", () => {
    const { events, effects } = givenWhen(policy, resolved().events, TIMER, "2027-01-01T00:00:00.000Z");
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
  });

  it("given a HIGH case past its deadline, when the check passes and Security Hub reports it INFORMATIONAL, then the resolution records HIGH, the deadline and that it was late", () => {
    const late = plus(T0, 31 * DAY); // HIGH: 30 days
    const { events } = play(
      policy,
      [[late, seen(late, { complianceStatus: "PASSED", severity: "INFORMATIONAL" })]],
      opened().events,
    );
    const resolution = events.find((event) => event.type === "case.resolved");
    expect(resolution).toMatchObject({ severity: "HIGH", dueAt: opened().state.slaDueAt, withinSla: false });
  });

  it("given a case under an approved exception past its original deadline, when the check passes, then it was within the SLA: the pause counts up to the resolution", () => {
    const approvedAt = "2026-11-10T00:00:00.000Z";
    const passedAt = "2026-12-05T00:00:00.000Z"; // after the unpaused deadline, 2026-12-01
    const { events } = play(
      policy,
      [
        [
          approvedAt,
          act(ALICE, {
            action: "exception_request",
            justification: "vendor fix",
            expiresAt: "2026-12-31T00:00:00.000Z",
          }),
        ],
        [approvedAt, act(SAM, { action: "exception_approve", reason: null })],
        [passedAt, seen(passedAt, { complianceStatus: "PASSED", severity: "INFORMATIONAL" })],
      ],
      opened().events,
    );
    const unpaused = Date.parse(opened().state.slaDueAt as string);
    const resolution = events.find((event) => event.type === "case.resolved");
    expect(resolution).toMatchObject({
      withinSla: true,
      dueAt: new Date(unpaused + (Date.parse(passedAt) - Date.parse(approvedAt))).toISOString(),
    });
  });

  it("given an untracked INFORMATIONAL case, when its check passes, then the resolution has no deadline to be within", () => {
    const { events } = play(policy, [
      [T0, seen(T0, { severity: "INFORMATIONAL" })],
      [FIXED, seen(FIXED, { severity: "INFORMATIONAL", complianceStatus: "PASSED" })],
    ]);
    const resolution = events.find((event) => event.type === "case.resolved");
    expect(resolution).toMatchObject({ severity: "INFORMATIONAL", dueAt: null, withinSla: null });
  });

  it("given a resolved case, when a suppression arrives while it still passes, then it is not blocked", () => {
    const at = "2026-11-06T00:00:00.000Z";
    const { events } = givenWhen(
      policy,
      resolved().events,
      seen(at, { complianceStatus: "PASSED", workflowStatus: "SUPPRESSED" }),
      at,
    );
    expect(types(events)).toEqual(["finding.observed"]);
  });
});

describe("engine: a check failing again after resolution re-opens the case", () => {
  it("given a resolved case, when the check fails again, then the case is re-opened with a new clock from now and the owner is told", () => {
    const { events, effects, after } = givenWhen(policy, resolved().events, seen(FAILS_AGAIN), FAILS_AGAIN);
    expect(types(events)).toEqual(["finding.observed", "case.reopened"]);
    expect(events[1]).toMatchObject({
      actor: "aws:securityhub",
      reason: "the check is failing again",
      sla: { startAt: FAILS_AGAIN, durationMs: 30 * DAY, pausedMs: 0, pausedSince: null },
      upgrade: { agreed: null, proposal: null, deadline: plus(FAILS_AGAIN, 30 * DAY) },
    });
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "case.reopened",
        teams: ["platform"],
        mentionLeads: false,
        text: `"${finding().title}" is failing again after it was resolved; the case is re-opened with a new SLA clock.`,
      },
    ]);
    expect(after).toMatchObject({
      status: "awaiting_date",
      resolvedAt: null,
      timeToRemediateMs: null,
      reopenedCount: 1,
      escalationLevel: 0,
      breachedAt: null,
      slaDueAt: plus(FAILS_AGAIN, 30 * DAY),
    });
    if (!after) throw new Error("no case");
    expect(nextDueAt(after, policy)).toBe(plus(FAILS_AGAIN, 15 * DAY));
  });

  it("given a breached case later resolved, when the check fails again, then the breach and the ladder start over", () => {
    const breached = play(policy, [["2026-12-02T00:00:00.000Z", TIMER]], opened().events);
    expect(breached.state).toMatchObject({ status: "breached", escalationLevel: 3 });
    const fixed = play(
      policy,
      [["2026-12-03T00:00:00.000Z", seen("2026-12-03T00:00:00.000Z", { complianceStatus: "PASSED" })]],
      breached.events,
    );
    const again = "2026-12-10T00:00:00.000Z";
    const { after } = givenWhen(policy, fixed.events, seen(again), again);
    expect(after).toMatchObject({
      status: "awaiting_date",
      escalationLevel: 0,
      breachedAt: null,
      reopenedCount: 1,
    });
  });

  it("given an agreed upgrade date and a resolved case, when the check fails again, then a new date must be agreed", () => {
    const agreed = play(
      policy,
      [
        ["2026-11-03T00:00:00.000Z", act(ALICE, { action: "date_propose", date: "2026-11-25" })],
        ["2026-11-03T00:00:00.000Z", act(SAM, { action: "date_agree", date: null })],
        [FIXED, seen(FIXED, { complianceStatus: "PASSED" })],
      ],
      opened().events,
    );
    expect(agreed.state.upgrade?.agreed?.date).toBe("2026-11-25");
    const { after } = givenWhen(policy, agreed.events, seen(FAILS_AGAIN), FAILS_AGAIN);
    expect(after).toMatchObject({ status: "awaiting_date", upgrade: { agreed: null, proposal: null } });
  });

  it("given a finding suppressed under an approved exception that passed, when it fails again while the exception holds, then the case re-opens excepted with its clock paused until the expiry", () => {
    const expiresAt = "2026-12-10T00:00:00.000Z";
    const approved = play(
      policy,
      [
        [
          "2026-11-03T00:00:00.000Z",
          act(ALICE, { action: "exception_request", justification: "vendor fix", expiresAt }),
        ],
        ["2026-11-03T00:00:00.000Z", act(SAM, { action: "exception_approve", reason: null })],
      ],
      opened().events,
    );
    const suppressed = play(
      policy,
      [["2026-11-03T00:01:00.000Z", echo(approved.state, "2026-11-03T00:01:00.000Z")]],
      approved.events,
    );
    const passed = play(
      policy,
      [[FIXED, seen(FIXED, { complianceStatus: "PASSED", workflowStatus: "SUPPRESSED" })]],
      suppressed.events,
    );
    expect(passed.state.status).toBe("resolved");

    const { events, effects, after } = givenWhen(
      policy,
      passed.events,
      seen(FAILS_AGAIN, { workflowStatus: "SUPPRESSED" }),
      FAILS_AGAIN,
    );
    expect(types(events)).toEqual(["finding.observed", "case.reopened"]);
    expect(updates(effects)).toEqual([]); // the suppression is covered by the exception
    expect(after).toMatchObject({
      status: "excepted",
      sla: { startAt: FAILS_AGAIN, pausedSince: FAILS_AGAIN },
    });
    if (!after) throw new Error("no case");
    expect(nextDueAt(after, policy)).toBe(expiresAt);

    const reopened = [...passed.events, ...events];
    expect(givenWhen(policy, reopened, TIMER, plus(FAILS_AGAIN, 16 * DAY)).events).toEqual([]);
    const expiry = givenWhen(policy, reopened, TIMER, expiresAt);
    expect(expiry.events).toMatchObject([{ type: "exception.expired", reopenTo: "NOTIFIED" }]);
    expect(expiry.after?.sla).toMatchObject({
      pausedSince: null,
      pausedMs: Date.parse(expiresAt) - Date.parse(FAILS_AGAIN),
    });
  });
});

describe("engine: a case set RESOLVED by hand", () => {
  it("given a breached case set RESOLVED while its check still fails, when Security Hub sets it back to NEW, then it re-opens with its clock, level and breach standing", () => {
    const breachAt = "2026-12-02T00:00:00.000Z";
    const breached = play(policy, [[breachAt, TIMER]], opened().events);
    expect(breached.state).toMatchObject({ status: "breached", escalationLevel: 3 });
    const byHand = "2026-12-03T00:00:00.000Z";
    const resolvedByHand = play(
      policy,
      [[byHand, seen(byHand, { workflowStatus: "RESOLVED" })]],
      breached.events,
    );
    expect(resolvedByHand.state).toMatchObject({ status: "resolved", resolvedBy: "workflow_resolved" });
    const back = "2026-12-04T00:00:00.000Z";
    const { events, effects, after } = givenWhen(
      policy,
      resolvedByHand.events,
      seen(back, { workflowStatus: "NEW" }),
      back,
    );
    expect(events[1]).toMatchObject({ type: "case.reopened", keepProgress: true, sla: breached.state.sla });
    expect(after).toMatchObject({ status: "breached", escalationLevel: 3, breachedAt: breachAt });
    expect(after?.slaDueAt).toBe(breached.state.slaDueAt);
    expect(effects[0]).toMatchObject({
      topic: "case.reopened",
      text: expect.stringContaining("never passed"),
    });
  });
});
