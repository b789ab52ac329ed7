import { describe, expect, it } from "vitest";
import type { CaseEvent } from "../../src/engine/case.js";
import { nextDueAt } from "../../src/engine/timers.js";
import { examplePolicy, finding, givenWhen } from "../support/engine.js";
import {
  ALICE,
  act,
  BOB,
  CISO,
  DAY,
  echo,
  HOUR,
  notifies,
  play,
  plus,
  SAM,
  SUE,
  seen,
  TIMER,
  types,
  updates,
} from "../support/engine-steps.js";

const policy = examplePolicy();
const CASE_ID = finding().id;
const T0 = "2026-11-02T00:00:00.000Z";
const REQUESTED_AT = "2026-11-10T00:00:00.000Z";
const APPROVED_AT = "2026-11-10T02:00:00.000Z";
const EXPIRES = "2026-11-30T00:00:00.000Z";
// HIGH, first observed 2026-11-01: 50% at 11-16, 75% at 11-23T12:00, due 12-01.
const DUE = "2026-12-01T00:00:00.000Z";
const PAUSED_MS = Date.parse(EXPIRES) - Date.parse(APPROVED_AT); // 19 days 22 hours

const opened = () => play(policy, [[T0, seen(T0)]]);
const request = (expiresAt = EXPIRES, justification = "vendor fix ships in December") =>
  act(ALICE, { action: "exception_request", justification, expiresAt });
const requested = () => play(policy, [[REQUESTED_AT, request()]], opened().events);
const approve = (actor: { user: string; team: string } = SAM) =>
  act(actor, { action: "exception_approve", reason: "compensating control in place" });

/** Requested by platform, approved by security, and the bot's SUPPRESSED has come back. */
function suppressedUnderException() {
  const approved = play(policy, [[APPROVED_AT, approve()]], requested().events);
  return play(
    policy,
    [[plus(APPROVED_AT, 60_000), echo(approved.state, plus(APPROVED_AT, 60_000))]],
    approved.events,
  );
}

describe("engine: exceptions are requested", () => {
  it("given an open case, when the owner team requests an exception, then it is recorded and the counterpart is asked to decide", () => {
    const { events, effects, after } = givenWhen(policy, opened().events, request(), REQUESTED_AT);
    expect(events).toEqual([
      {
        type: "exception.requested",
        at: REQUESTED_AT,
        actor: "U0ALICE",
        reason: "vendor fix ships in December",
        exceptionId: "EXC-1",
        requester: ALICE,
        justification: "vendor fix ships in December",
        expiresAt: EXPIRES,
      },
    ]);
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "exception.requested",
        teams: ["security"],
        mentionLeads: false,
        text: expect.stringContaining("U0ALICE (platform) requests exception EXC-1"),
      },
    ]);
    expect(notifies(effects)[0]?.text).toContain("vendor fix ships in December");
    expect(notifies(effects)[0]?.text).toContain("Team security approves or rejects");
    // A request alone changes nothing about the clock.
    expect(after).toMatchObject({ status: "awaiting_date", exception: { status: "requested" } });
    expect(after?.sla?.pausedSince).toBeNull();
  });

  it("given an open case, when the counterpart team requests an exception, then the owner team is the one to decide", () => {
    const { effects } = givenWhen(
      policy,
      opened().events,
      act(SAM, { action: "exception_request", justification: "scanner false positive", expiresAt: EXPIRES }),
      REQUESTED_AT,
    );
    expect(effects).toMatchObject([{ topic: "exception.requested", teams: ["platform"] }]);
  });

  it("given an open case, when the expiry is a plain day, then it is stored as that day's start in UTC", () => {
    const { events } = givenWhen(policy, opened().events, request("2026-11-30"), REQUESTED_AT);
    expect(events[0]).toMatchObject({ expiresAt: EXPIRES });
  });

  it("given an open case, when the expiry is exactly max_duration away, then it is accepted; one millisecond more is refused", () => {
    const max = plus(REQUESTED_AT, 90 * DAY);
    expect(givenWhen(policy, opened().events, request(max), REQUESTED_AT).events).toHaveLength(1);
    const beyond = plus(max, 1);
    const { events, effects, rejection } = givenWhen(policy, opened().events, request(beyond), REQUESTED_AT);
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
    // Human text says instants to the minute, as everywhere: 90 days after 2026-11-10T00:00Z.
    expect(rejection).toBe(
      "expiry 2027-02-08 00:00 UTC is beyond the policy's maximum (2027-02-08 00:00 UTC)",
    );
  });

  it.each([
    [
      "an expiry in the past",
      request("2026-11-09T00:00:00.000Z"),
      "expiry 2026-11-09 00:00 UTC is not in the future",
    ],
    ["an expiry that is not a date", request("next month"), 'expiry "next month" is not a date'],
    ["a blank justification", request(EXPIRES, "   "), "an exception needs a justification"],
    [
      "a team that is neither owner nor counterpart",
      act(CISO, { action: "exception_request", justification: "x", expiresAt: EXPIRES }),
      "only team platform (owner) or security (counterpart) can request an exception",
    ],
    [
      "a team the policy does not define",
      act(
        { user: "U0EVE", team: "finance" },
        { action: "exception_request", justification: "x", expiresAt: EXPIRES },
      ),
      'there is no team "finance" in the policy',
    ],
  ])("given an open case, when a request comes with %s, then it is refused", (_what, input, message) => {
    const { events, effects, rejection } = givenWhen(policy, opened().events, input, REQUESTED_AT);
    expect(rejection).toBe(message);
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
  });

  it("given a request waiting for a decision, when another request arrives, then it is refused", () => {
    const { rejection, events } = givenWhen(policy, requested().events, request(), APPROVED_AT);
    expect(rejection).toBe("exception EXC-1 is already waiting for a decision");
    expect(events).toEqual([]);
  });

  it("given an approved exception that holds, when another request arrives, then it is refused", () => {
    const { rejection } = givenWhen(
      policy,
      suppressedUnderException().events,
      request(),
      "2026-11-12T00:00:00.000Z",
    );
    expect(rejection).toBe("exception EXC-1 is approved until 2026-11-30 00:00 UTC");
  });
});

describe("engine: exceptions are decided with separation of duties", () => {
  it("given a request by platform, when security approves, then the finding is suppressed with a note naming the exception and its expiry, and the clock pauses", () => {
    const { events, effects, after } = givenWhen(policy, requested().events, approve(), APPROVED_AT);
    expect(types(events)).toEqual(["exception.approved"]);
    expect(events[0]).toMatchObject({
      actor: "U0SAM",
      reason: "compensating control in place",
      exceptionId: "EXC-1",
      by: SAM,
    });
    const [update] = updates(effects);
    expect(update).toMatchObject({
      kind: "securityhub.update",
      caseId: CASE_ID,
      findingId: CASE_ID,
      workflowStatus: "SUPPRESSED",
      purpose: "apply_exception",
    });
    expect(update?.note).toContain("exception EXC-1");
    expect(update?.note).toContain("expires 2026-11-30 00:00 UTC. ");
    expect(update?.note).toContain("requested by U0ALICE (platform), approved by U0SAM (security)");
    expect(update?.note.length).toBeLessThanOrEqual(512);
    expect(events[0]).toMatchObject({ note: update?.note });
    expect(notifies(effects)).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "exception.approved",
        teams: ["platform", "security"],
        mentionLeads: false,
        text: expect.stringContaining("U0SAM (security) approved exception EXC-1"),
      },
    ]);
    expect(after).toMatchObject({
      status: "excepted",
      expectedWorkflowStatus: "SUPPRESSED",
      lastBotUpdate: { workflowStatus: "SUPPRESSED", note: update?.note },
      exception: { status: "approved", decidedBy: SAM, decidedAt: APPROVED_AT },
      sla: { pausedSince: APPROVED_AT, pausedMs: 0 },
    });
    if (!after) throw new Error("no case");
    // While paused only the expiry is due.
    expect(nextDueAt(after, policy)).toBe(EXPIRES);
  });

  it("given a justification longer than a note can hold, when the exception is approved, then the note is cut to 512 characters", () => {
    const given = play(policy, [[REQUESTED_AT, request(EXPIRES, "x".repeat(700))]], opened().events);
    const { effects } = givenWhen(policy, given.events, approve(), APPROVED_AT);
    const note = updates(effects)[0]?.note ?? "";
    expect(note).toHaveLength(512);
    expect(note.endsWith("…")).toBe(true);
    expect(note).toContain("exception EXC-1");
    expect(note).toContain("expires 2026-11-30 00:00 UTC. ");
  });

  it("given a request, when the requester approves it (acting for the other team), then it is refused", () => {
    const { events, effects, rejection } = givenWhen(
      policy,
      requested().events,
      act({ user: ALICE.user, team: "security" }, { action: "exception_approve", reason: null }),
      APPROVED_AT,
    );
    expect(rejection).toBe("the requester cannot decide their own exception");
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
  });

  it("given a request by platform, when another platform member approves it, then it is refused", () => {
    const { rejection, events } = givenWhen(policy, requested().events, approve(BOB), APPROVED_AT);
    expect(rejection).toBe("team platform requested exception EXC-1; it cannot decide it");
    expect(events).toEqual([]);
  });

  it("given a request by platform, when a third team approves it, then it is refused: only the counterpart decides", () => {
    const { rejection } = givenWhen(policy, requested().events, approve(CISO), APPROVED_AT);
    expect(rejection).toBe("only team security can decide exception EXC-1");
  });

  it("given a request by security (the counterpart), when security approves it, then it is refused; platform may", () => {
    const given = play(
      policy,
      [[REQUESTED_AT, act(SAM, { action: "exception_request", justification: "x", expiresAt: EXPIRES })]],
      opened().events,
    );
    expect(givenWhen(policy, given.events, approve(SUE), APPROVED_AT).rejection).toBe(
      "team security requested exception EXC-1; it cannot decide it",
    );
    expect(types(givenWhen(policy, given.events, approve(ALICE), APPROVED_AT).events)).toEqual([
      "exception.approved",
    ]);
  });

  it("given no request, when someone approves, then it is refused", () => {
    expect(givenWhen(policy, opened().events, approve(), APPROVED_AT).rejection).toBe(
      `case ${CASE_ID} has no exception waiting for a decision`,
    );
  });

  it("given a request whose expiry passed before anyone decided, when it is approved, then it is refused", () => {
    const given = play(policy, [[REQUESTED_AT, request("2026-11-12T00:00:00.000Z")]], opened().events);
    const { rejection, events } = givenWhen(policy, given.events, approve(), "2026-11-12T01:00:00.000Z");
    expect(rejection).toBe("exception EXC-1 would have expired at 2026-11-12 00:00 UTC; request a new one");
    expect(events).toEqual([]);
  });

  it("given a request, when security rejects it, then the requester's team and the owner are told and a new request gets a new id", () => {
    const { events, effects, after } = givenWhen(
      policy,
      requested().events,
      act(SAM, { action: "exception_reject", reason: "no compensating control" }),
      APPROVED_AT,
    );
    expect(events).toEqual([
      {
        type: "exception.rejected",
        at: APPROVED_AT,
        actor: "U0SAM",
        reason: "no compensating control",
        exceptionId: "EXC-1",
        by: SAM,
        note: null,
      },
    ]);
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "exception.rejected",
        teams: ["platform"],
        mentionLeads: false,
        text: `U0SAM (security) rejected exception EXC-1 for "${finding().title}": no compensating control.`,
      },
    ]);
    expect(after).toMatchObject({ status: "awaiting_date", exception: { status: "rejected" } });
    expect(after?.sla?.pausedSince).toBeNull();
    const again = givenWhen(
      policy,
      [...requested().events, ...events],
      request(),
      "2026-11-11T00:00:00.000Z",
    );
    expect(again.events[0]).toMatchObject({ type: "exception.requested", exceptionId: "EXC-2" });
  });

  it("given a resolved case, when someone requests an exception, then it is refused", () => {
    const resolved = play(
      policy,
      [["2026-11-05T00:00:00.000Z", seen("2026-11-05T00:00:00.000Z", { complianceStatus: "PASSED" })]],
      opened().events,
    );
    expect(givenWhen(policy, resolved.events, request(), REQUESTED_AT).rejection).toBe(
      `case ${CASE_ID} is resolved; it needs no exception`,
    );
  });
});

describe("engine: the SLA clock pauses under an approved exception", () => {
  it("given an approved exception, when timers fire at the original 50%, 75% and 100% marks, then nothing escalates", () => {
    let given: CaseEvent[] = suppressedUnderException().events;
    for (const at of ["2026-11-16T00:00:00.000Z", "2026-11-23T12:00:00.000Z", "2026-11-29T23:59:59.000Z"]) {
      const { events, effects, after } = givenWhen(policy, given, TIMER, at);
      expect(events).toEqual([]);
      expect(effects).toEqual([]);
      expect(after?.escalationLevel).toBe(0);
      given = [...given, ...events];
    }
  });

  it("given an exception expiring while the finding is suppressed, when the timer fires at the expiry, then the bot re-opens it with a note, the clock resumes where it stopped and both teams are told", () => {
    const { state: before, events: given } = suppressedUnderException();
    expect(before.expectedWorkflowStatus).toBe("SUPPRESSED");
    const { events, effects, after } = givenWhen(policy, given, TIMER, EXPIRES);
    expect(types(events)).toEqual(["exception.expired"]);
    expect(events[0]).toMatchObject({
      actor: "securityhub-governor:timer",
      reason: "the exception reached its expiry",
      exceptionId: "EXC-1",
      reopenTo: "NOTIFIED",
    });
    const [update] = updates(effects);
    expect(update).toMatchObject({
      workflowStatus: "NOTIFIED",
      purpose: "exception_expired",
      caseId: CASE_ID,
    });
    expect(update?.note).toContain("exception EXC-1 expired 2026-11-30 00:00 UTC; ");
    expect(update?.note).toContain("status set back to NOTIFIED");
    expect(update?.note.length).toBeLessThanOrEqual(512);
    expect(events[0]).toMatchObject({ note: update?.note });
    expect(notifies(effects)).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "exception.expired",
        teams: ["platform", "security"],
        mentionLeads: false,
        text: expect.stringContaining(
          "expired: the finding is open again (NOTIFIED) and its SLA clock resumed",
        ),
      },
    ]);
    expect(after).toMatchObject({
      status: "awaiting_date",
      exception: { status: "expired" },
      expectedWorkflowStatus: "NOTIFIED",
      lastBotUpdate: { workflowStatus: "NOTIFIED", note: update?.note },
      sla: { pausedSince: null, pausedMs: PAUSED_MS },
      // Every deadline moves by exactly the paused span.
      slaDueAt: plus(DUE, PAUSED_MS),
      escalationLevel: 0,
    });
    if (!after) throw new Error("no case");
    expect(nextDueAt(after, policy)).toBe(plus("2026-11-16T00:00:00.000Z", PAUSED_MS));

    // The bot's re-open comes back: the loop guard recognises it.
    const back = givenWhen(
      policy,
      [...given, ...events],
      echo(after, plus(EXPIRES, 60_000)),
      plus(EXPIRES, 60_000),
    );
    expect(back.events).toMatchObject([{ type: "finding.observed", ownUpdate: true }]);
    expect(back.effects).toEqual([]);
  });

  it("given an exception that expired while the bot was down, when the timer fires hours late, then the clock resumes from the expiry, not from the late timer", () => {
    const late = plus(EXPIRES, 5 * HOUR);
    const { after } = givenWhen(policy, suppressedUnderException().events, TIMER, late);
    expect(after?.sla).toMatchObject({ pausedSince: null, pausedMs: PAUSED_MS });
    expect(after?.slaDueAt).toBe(plus(DUE, PAUSED_MS));
  });

  it("given an expired exception, when the shifted 50% mark comes, then the ladder fires then and not before", () => {
    const expired = play(policy, [[EXPIRES, TIMER]], suppressedUnderException().events);
    const shifted50 = plus("2026-11-16T00:00:00.000Z", PAUSED_MS);
    expect(givenWhen(policy, expired.events, TIMER, plus(shifted50, -1)).events).toEqual([]);
    const { events } = givenWhen(policy, expired.events, TIMER, shifted50);
    expect(events).toMatchObject([{ type: "escalated", level: 1, notify: ["platform"] }]);
  });

  it("given an exception expired and the finding re-opened, when someone suppresses it again, then it is blocked", () => {
    const expired = play(policy, [[EXPIRES, TIMER]], suppressedUnderException().events);
    const at = "2026-12-01T00:00:00.000Z";
    const { events } = givenWhen(policy, expired.events, seen(at, { workflowStatus: "SUPPRESSED" }), at);
    expect(types(events)).toEqual(["finding.observed", "suppression.blocked"]);
  });

  it("given an approved exception on an untracked case, when Security Hub raises it to HIGH, then the new clock starts paused", () => {
    const info = play(policy, [
      [T0, seen(T0, { severity: "INFORMATIONAL" })],
      [REQUESTED_AT, request()],
      [APPROVED_AT, approve()],
    ]);
    expect(info.state).toMatchObject({ status: "excepted", sla: null });
    const at = "2026-11-12T00:00:00.000Z";
    const { events, after } = givenWhen(policy, info.events, seen(at, { severity: "HIGH" }), at);
    expect(types(events)).toEqual(["finding.observed", "severity.changed"]);
    expect(after).toMatchObject({ status: "excepted", sla: { pausedSince: at } });
    if (!after) throw new Error("no case");
    expect(nextDueAt(after, policy)).toBe(EXPIRES);
    expect(givenWhen(policy, [...info.events, ...events], TIMER, "2026-11-20T00:00:00.000Z").events).toEqual(
      [],
    );
  });

  it("given an approved exception whose SUPPRESSED update failed, when it expires, then nothing is written to Security Hub but the clock resumes", () => {
    const approved = play(
      policy,
      [
        [APPROVED_AT, approve()],
        [
          plus(APPROVED_AT, HOUR),
          {
            type: "effect_failed",
            effect: "securityhub.update",
            purpose: "apply_exception",
            error: "AccessDenied",
          },
        ],
      ],
      requested().events,
    );
    const { events, effects, after } = givenWhen(policy, approved.events, TIMER, EXPIRES);
    expect(events).toMatchObject([{ type: "exception.expired", reopenTo: null, note: null }]);
    expect(updates(effects)).toEqual([]);
    expect(notifies(effects)).toMatchObject([
      { topic: "exception.expired", teams: ["platform", "security"] },
    ]);
    expect(after?.sla).toMatchObject({ pausedSince: null, pausedMs: PAUSED_MS });
  });

  it("given an approved exception past its expiry that no timer has handled yet, when a new exception is requested, then the old one expires first and the clock resumes", () => {
    const at = plus(EXPIRES, HOUR);
    const { events, effects, after } = givenWhen(
      policy,
      suppressedUnderException().events,
      request(plus(at, 10 * DAY)),
      at,
    );
    expect(types(events)).toEqual(["exception.expired", "exception.requested"]);
    expect(events[0]).toMatchObject({ exceptionId: "EXC-1", reopenTo: "NOTIFIED" });
    expect(events[1]).toMatchObject({ exceptionId: "EXC-2" });
    expect(effects.map((e) => (e.kind === "notify" ? e.topic : e.kind))).toEqual([
      "securityhub.update",
      "exception.expired",
      "exception.requested",
    ]);
    expect(after).toMatchObject({
      exception: { id: "EXC-2", status: "requested" },
      sla: { pausedSince: null, pausedMs: PAUSED_MS },
    });

    // Rejecting the new request leaves a running clock.
    const rejected = givenWhen(
      policy,
      [...suppressedUnderException().events, ...events],
      act(SAM, { action: "exception_reject", reason: null }),
      at,
    );
    expect(rejected.after?.sla?.pausedSince).toBeNull();
  });

  it("given a request that lapsed but no timer has handled yet, when a new exception is requested, then the old request lapses first", () => {
    const at = plus(EXPIRES, HOUR);
    const { events, rejection } = givenWhen(policy, requested().events, request(plus(at, 10 * DAY)), at);
    expect(rejection).toBeNull();
    expect(types(events)).toEqual(["exception.expired", "exception.requested"]);
    expect(events[0]).toMatchObject({ exceptionId: "EXC-1", reopenTo: null });
  });

  it("given a request nobody decided, when its expiry passes, then it lapses without touching Security Hub or the clock", () => {
    const { events, effects, after } = givenWhen(policy, requested().events, TIMER, EXPIRES);
    // The ladder ran meanwhile: 50% and 75% of the SLA were used before the lapse.
    expect(types(events)).toEqual(["exception.expired", "escalated", "escalated"]);
    expect(events[0]).toMatchObject({
      reason: "nobody decided before the expiry",
      reopenTo: null,
      note: null,
    });
    expect(updates(effects)).toEqual([]);
    expect(notifies(effects)[0]).toMatchObject({
      topic: "exception.expired",
      teams: ["platform", "security"],
      text: `Exception request EXC-1 for "${finding().title}" lapsed: nobody decided before 2026-11-30 00:00 UTC.`,
    });
    expect(after).toMatchObject({
      exception: { status: "expired" },
      sla: { pausedMs: 0, pausedSince: null },
    });
  });
});

describe("engine: separation of duties across teams", () => {
  it("given a member listed in both teams, when they approve their own team's request speaking for the other team, then it is refused", () => {
    const both = examplePolicy();
    const platform = both.teams.platform;
    const security = both.teams.security;
    if (!platform || !security) throw new Error("example teams missing");
    both.teams.platform = { ...platform, members: ["U0ALICE", "U0DUAL"] };
    both.teams.security = { ...security, members: ["U0SAM", "U0DUAL"] };
    const asked = play(
      both,
      [
        [
          REQUESTED_AT,
          act(
            { user: "U0ALICE", team: "platform" },
            { action: "exception_request", justification: "x", expiresAt: EXPIRES },
          ),
        ],
      ],
      play(both, [[T0, seen(T0)]]).events,
    );
    const { events, rejection } = givenWhen(
      both,
      asked.events,
      act({ user: "U0DUAL", team: "security" }, { action: "exception_approve", reason: null }),
      APPROVED_AT,
    );
    expect(events).toEqual([]);
    expect(rejection).toBe(
      "U0DUAL belongs to team platform, which requested exception EXC-1; they cannot decide it",
    );
  });
});

describe("engine: separation of duties through the adapter's membership", () => {
  it("given a request by platform, when someone the policy does not list but whose membership (a Slack user group) puts them in platform approves for security, then it is refused as separation of duties", () => {
    const asked = play(policy, [[REQUESTED_AT, request()]], opened().events);
    const approver = { user: "U0GROUPED", team: "security" };
    const input = {
      ...act(approver, { action: "exception_approve", reason: null }),
      memberOf: ["platform", "security"],
    };
    const { events, refusal } = givenWhen(policy, asked.events, input, APPROVED_AT);
    expect(events).toEqual([]);
    expect(refusal).toEqual({
      code: "exception.separation_of_duties",
      message: "U0GROUPED belongs to team platform, which requested exception EXC-1; they cannot decide it",
    });
  });

  it("given the same request, when the approver's membership puts them in security only, then the approval is decided", () => {
    const asked = play(policy, [[REQUESTED_AT, request()]], opened().events);
    const input = {
      ...act({ user: "U0GROUPED", team: "security" }, { action: "exception_approve", reason: null }),
      memberOf: ["security"],
    };
    const { refusal, events } = givenWhen(policy, asked.events, input, APPROVED_AT);
    expect(refusal).toBeNull();
    expect(events.map((event) => event.type)).toEqual(["exception.approved"]);
  });
});

describe("engine: a refusal names its code and the field it concerns", () => {
  it("given an open case, when the expiry is past the policy's maximum, then the refusal is expiry.beyond_maximum on field expiry", () => {
    const { refusal } = givenWhen(policy, opened().events, request("2027-06-01T00:00:00.000Z"), REQUESTED_AT);
    expect(refusal).toMatchObject({ code: "expiry.beyond_maximum", field: "expiry" });
  });

  it("given an open case, when the expiry is already past, then the refusal is expiry.past on field expiry", () => {
    const { refusal } = givenWhen(policy, opened().events, request("2026-11-01T00:00:00.000Z"), REQUESTED_AT);
    expect(refusal).toMatchObject({ code: "expiry.past", field: "expiry" });
  });

  it("given a pending request, when another is made, then the refusal is exception.pending with no field", () => {
    const { refusal } = givenWhen(policy, requested().events, request(), APPROVED_AT);
    expect(refusal).toEqual({
      code: "exception.pending",
      message: "exception EXC-1 is already waiting for a decision",
    });
  });
});
