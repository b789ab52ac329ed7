import { describe, expect, it } from "vitest";
import { exceptionNote } from "../../src/engine/notes.js";
import { nextDueAt } from "../../src/engine/timers.js";
import { examplePolicy, finding, givenWhen, observed } from "../support/engine.js";
import {
  ALICE,
  act,
  DAY,
  echo,
  notifies,
  play,
  plus,
  SAM,
  seen,
  types,
  updates,
  version,
} from "../support/engine-steps.js";

const policy = examplePolicy();
const T0 = "2026-11-02T00:00:00.000Z";
const T1 = "2026-11-03T09:00:00.000Z";
const T2 = "2026-11-03T09:05:00.000Z";
const CASE_ID = finding().id;

const opened = () => play(policy, [[T0, seen(T0)]]);

/** The case after someone suppressed it at T1 and the bot blocked it. */
const blocked = () => play(policy, [[T1, seen(T1, { workflowStatus: "SUPPRESSED" })]], opened().events);

describe("engine: a suppression without an exception is blocked", () => {
  it("given an open case, when a newer version arrives SUPPRESSED, then the bot blocks it, reverts it with a note and asks who did it", () => {
    const { events, effects, after, findingIsNewer } = givenWhen(
      policy,
      opened().events,
      seen(T1, { workflowStatus: "SUPPRESSED" }),
      T1,
    );
    expect(findingIsNewer).toBe(true);
    expect(types(events)).toEqual(["finding.observed", "suppression.blocked"]);
    expect(events[1]).toMatchObject({
      actor: "aws:securityhub",
      reason: "SUPPRESSED without an approved, unexpired exception",
      revertTo: "NOTIFIED",
    });
    const [update] = updates(effects);
    expect(update).toMatchObject({
      kind: "securityhub.update",
      caseId: CASE_ID,
      findingId: CASE_ID,
      productArn: finding().productArn,
      format: "asff",
      accountId: "111111111111",
      workflowStatus: "NOTIFIED",
      purpose: "revert_suppression",
    });
    expect(update?.note.length).toBeLessThanOrEqual(512);
    expect(update?.note).toContain("suppression blocked and status set back to NOTIFIED");
    expect(update?.note).toContain("team platform");
    expect(update?.note).toContain("team security approves");
    // No finding id in the text: reverts with the same owner share a note and are batched.
    expect(update?.note).not.toContain(CASE_ID);
    expect(events[1]).toMatchObject({ note: update?.note });
    // Who suppressed it is looked up from the version before the suppression on.
    expect(effects).toContainEqual({
      kind: "securityhub.find_suppressor",
      caseId: CASE_ID,
      findingId: CASE_ID,
      productArn: finding().productArn,
      format: "asff",
      since: T0,
    });
    // The teams are told once the suppressor is known (suppressor_found), not before.
    expect(notifies(effects)).toEqual([]);
    expect(after).toMatchObject({
      expectedWorkflowStatus: "NOTIFIED",
      lastBotUpdate: { workflowStatus: "NOTIFIED", note: update?.note },
      suppression: { blockedAt: T1, suppressedBy: null, blockedCount: 1 },
      status: "awaiting_date",
    });
  });

  it("given no case, when the first observation is already SUPPRESSED, then the case is opened and the suppression blocked", () => {
    const { events, effects, after } = givenWhen(policy, [], seen(T0, { workflowStatus: "SUPPRESSED" }), T0);
    expect(types(events)).toEqual(["case.opened", "finding.observed", "suppression.blocked"]);
    // HIGH is at the example's per-finding threshold: the new case is announced, then blocked.
    expect(effects.map((e) => e.kind)).toEqual([
      "notify",
      "securityhub.update",
      "securityhub.find_suppressor",
    ]);
    expect(effects[0]).toMatchObject({ topic: "case.opened", teams: ["platform"] });
    expect(updates(effects)[0]).toMatchObject({ workflowStatus: "NOTIFIED", purpose: "revert_suppression" });
    expect(effects[2]).toMatchObject({ kind: "securityhub.find_suppressor", since: null });
    expect(after).toMatchObject({
      owner: "platform",
      expectedWorkflowStatus: "NOTIFIED",
      latest: { workflowStatus: "SUPPRESSED" },
      suppression: { blockedCount: 1 },
    });
  });

  it("given a blocked suppression, when the bot's revert comes back as a newer observation with its note, then only the observation is recorded (loop guard)", () => {
    const { state, events: given } = blocked();
    const { events, effects, after, findingIsNewer } = givenWhen(policy, given, echo(state, T2), T2);
    expect(findingIsNewer).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "finding.observed",
      ownUpdate: true,
      stale: false,
      reason: "the bot's own update coming back",
    });
    expect(effects).toEqual([]);
    expect(after).toMatchObject({
      expectedWorkflowStatus: "NOTIFIED",
      latest: { workflowStatus: "NOTIFIED", processedAt: T2 },
      suppression: { blockedCount: 1 },
    });
  });

  it("given an approved exception, when the bot's own SUPPRESSED comes back as a newer observation with its note, then only the observation is recorded (loop guard)", () => {
    const approved = play(
      policy,
      [
        [
          T1,
          act(ALICE, {
            action: "exception_request",
            justification: "vendor fix",
            expiresAt: plus(T1, 30 * DAY),
          }),
        ],
        [T1, act(SAM, { action: "exception_approve", reason: null })],
      ],
      opened().events,
    );
    const { events, effects, after } = givenWhen(policy, approved.events, echo(approved.state, T2), T2);
    expect(events).toMatchObject([
      { type: "finding.observed", ownUpdate: true, stale: false, version: { workflowStatus: "SUPPRESSED" } },
    ]);
    expect(effects).toEqual([]);
    expect(after).toMatchObject({
      status: "excepted",
      expectedWorkflowStatus: "SUPPRESSED",
      suppression: null,
    });
  });

  it("given a blocked suppression, when someone suppresses it again (the bot's note still on it), then it is blocked again", () => {
    const { state, events: given } = blocked();
    const back = play(policy, [[T2, echo(state, T2)]], given);
    const again = "2026-11-04T10:00:00.000Z";
    const { events, effects, after } = givenWhen(
      policy,
      back.events,
      echo(back.state, again, { workflowStatus: "SUPPRESSED" }),
      again,
    );
    expect(types(events)).toEqual(["finding.observed", "suppression.blocked"]);
    expect(events[0]).toMatchObject({ ownUpdate: false });
    expect(effects.map((e) => e.kind)).toEqual(["securityhub.update", "securityhub.find_suppressor"]);
    expect(effects[1]).toMatchObject({ since: T2 });
    expect(after?.suppression).toMatchObject({ blockedAt: again, blockedCount: 2 });
  });

  it("given the bot's revert on the finding, when Security Hub later archives the finding with that note still on it, then the case is resolved (the loop guard does not hide provider changes)", () => {
    const { state, events: given } = blocked();
    const back = play(policy, [[T2, echo(state, T2)]], given);
    const later = "2026-11-05T00:00:00.000Z";
    const archived = version(later, {
      workflowStatus: "NOTIFIED",
      recordState: "ARCHIVED",
      note: { text: back.state.lastBotUpdate?.note ?? "", updatedBy: "securityhub-governor" },
    });
    const { events, after } = givenWhen(policy, back.events, observed(archived), later);
    expect(events[0]).toMatchObject({ type: "finding.observed", ownUpdate: false });
    expect(types(events)).toEqual(["finding.observed", "case.resolved"]);
    expect(after?.status).toBe("resolved");
  });

  it("given the bot's revert on the finding, when Security Hub re-imports it with a new severity and the note unchanged, then the severity change is applied", () => {
    const { state, events: given } = blocked();
    const back = play(policy, [[T2, echo(state, T2)]], given);
    const later = "2026-11-05T00:00:00.000Z";
    const critical = version(later, {
      workflowStatus: "NOTIFIED",
      severity: "CRITICAL",
      note: { text: back.state.lastBotUpdate?.note ?? "", updatedBy: "securityhub-governor" },
    });
    const { events, after } = givenWhen(policy, back.events, observed(critical), later);
    expect(types(events)).toEqual(["finding.observed", "severity.changed"]);
    expect(after?.severity).toBe("CRITICAL");
  });

  it("given a case, when an older SUPPRESSED version arrives late, then it is recorded as stale and nothing is blocked", () => {
    const given = play(policy, [[T1, seen(T1)]], opened().events);
    const { events, effects, before, after, findingIsNewer } = givenWhen(
      policy,
      given.events,
      seen(T0, { workflowStatus: "SUPPRESSED" }),
      T2,
    );
    expect(findingIsNewer).toBe(false);
    expect(events).toMatchObject([{ type: "finding.observed", stale: true, ownUpdate: false }]);
    expect(effects).toEqual([]);
    expect(after).toEqual({ ...before, version: (before?.version ?? 0) + 1, updatedAt: T2 });
  });

  it("given a blocked suppression whose revert has not shown yet, when a re-import still carrying SUPPRESSED arrives, then it is not blocked twice", () => {
    const later = "2026-11-04T00:00:00.000Z";
    const { events, effects } = givenWhen(
      policy,
      blocked().events,
      seen(later, { workflowStatus: "SUPPRESSED" }),
      later,
    );
    expect(types(events)).toEqual(["finding.observed"]);
    expect(effects).toEqual([]);
  });

  it("given an approved exception whose SUPPRESSED update failed, when someone sets SUPPRESSED in the console, then the suppression is accepted under the exception", () => {
    const expiresAt = plus(T1, 30 * DAY);
    const given = play(
      policy,
      [
        [T1, act(ALICE, { action: "exception_request", justification: "vendor patch pending", expiresAt })],
        [T1, act(SAM, { action: "exception_approve", reason: null })],
        [
          T2,
          {
            type: "effect_failed",
            effect: "securityhub.update",
            purpose: "apply_exception",
            error: "AccessDenied",
          },
        ],
      ],
      opened().events,
    );
    expect(given.state.expectedWorkflowStatus).toBe("NEW");
    const later = "2026-11-04T00:00:00.000Z";
    const { events, effects, after } = givenWhen(
      policy,
      given.events,
      seen(later, { workflowStatus: "SUPPRESSED" }),
      later,
    );
    expect(types(events)).toEqual(["finding.observed", "suppression.accepted"]);
    expect(events[1]).toMatchObject({
      exceptionId: "EXC-1",
      reason: "exception EXC-1 holds until 2026-12-03 09:00 UTC",
    });
    expect(effects).toEqual([]);
    expect(after).toMatchObject({
      status: "excepted",
      expectedWorkflowStatus: "SUPPRESSED",
      suppression: null,
    });
  });

  it("given a blocked suppression, then the SLA clock keeps running (blocking is not an exception)", () => {
    const { state } = blocked();
    expect(state.sla?.pausedSince).toBeNull();
    expect(nextDueAt(state, policy)).toBe("2026-11-16T00:00:00.000Z");
  });
});

describe("engine: notes stay storable", () => {
  const noteFor = (justification: string) =>
    exceptionNote(
      {
        id: "EXC-1",
        status: "requested",
        requester: { user: "U0ALICE", team: "platform" },
        justification,
        expiresAt: "2026-12-01T00:00:00.000Z",
        requestedAt: "2026-11-10T00:00:00.000Z",
        decidedBy: null,
        decidedAt: null,
        decisionReason: null,
      },
      { user: "U0SAM", team: "security" },
    );

  it("given a justification with an emoji across the 512-character cut, when the exception is approved, then the note is cut before the emoji, not inside it", () => {
    const prefix = noteFor("x").indexOf("Justification: ") + "Justification: ".length;
    // The emoji's two UTF-16 units land on positions 510 and 511 of the note.
    const note = noteFor(`${"x".repeat(510 - prefix)}😀${"y".repeat(100)}`);
    expect(note.length).toBe(511);
    expect(note.endsWith("x…")).toBe(true);
    expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(note)).toBe(false);
  });
});
