import { describe, expect, it } from "vitest";
import { decide } from "../../src/engine/decide.js";
import { nextDueAt } from "../../src/engine/timers.js";
import { examplePolicy, givenWhen } from "../support/engine.js";
import { notifies, play, seen, TIMER, types } from "../support/engine-steps.js";

const policy = examplePolicy();
// An S3.1 finding routes by the catch-all: owner security, counterpart platform, no upgrade date.
const S3 = { controlId: "S3.1" };
const OPENED_AT = "2026-11-02T00:00:00.000Z";
// HIGH: 30 days from the first observation (2026-11-01).
const AT_50 = "2026-11-16T00:00:00.000Z";
const AT_75 = "2026-11-23T12:00:00.000Z";
const DUE = "2026-12-01T00:00:00.000Z";

const opened = () => play(policy, [[OPENED_AT, seen(OPENED_AT, S3)]]);

describe("engine: the escalation ladder", () => {
  it("given a new HIGH case, when nothing has happened yet, then the next timer is due at 50% of the SLA", () => {
    const { state } = opened();
    expect(state).toMatchObject({ status: "open", escalationLevel: 0, slaDueAt: DUE });
    expect(nextDueAt(state, policy)).toBe(AT_50);
  });

  it("given a new case, when a timer fires before 50% of the SLA is used, then nothing happens", () => {
    const { events, effects, rejection, after } = givenWhen(
      policy,
      opened().events,
      TIMER,
      "2026-11-15T23:59:59.999Z",
    );
    expect(rejection).toBeNull();
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
    expect(after?.escalationLevel).toBe(0);
  });

  it("given a new case, when the timer fires at 50% of the SLA, then level 1 is recorded and the owner alone is told", () => {
    const { events, effects, after } = givenWhen(policy, opened().events, TIMER, AT_50);
    expect(events).toEqual([
      {
        type: "escalated",
        at: AT_50,
        actor: "securityhub-governor:timer",
        reason: "50% of the SLA used",
        level: 1,
        notify: ["security"],
      },
    ]);
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: after?.id,
        topic: "escalated",
        teams: ["security"],
        mentionLeads: false,
        text: expect.stringContaining(`Escalation level 1:`),
      },
    ]);
    expect(notifies(effects)[0]?.text).toContain("is due 2026-12-01 00:00 UTC.");
    expect(after).toMatchObject({ escalationLevel: 1, status: "open", breachedAt: null });
    if (!after) throw new Error("no case");
    expect(nextDueAt(after, policy)).toBe(AT_75);
  });

  it("given level 1, when the timer fires at 75%, then level 2 tells owner and counterpart and mentions the leads", () => {
    const given = play(policy, [[AT_50, TIMER]], opened().events).events;
    const { events, effects, after } = givenWhen(policy, given, TIMER, AT_75);
    expect(events).toMatchObject([{ type: "escalated", level: 2, notify: ["security", "platform"] }]);
    expect(effects).toMatchObject([
      { kind: "notify", topic: "escalated", teams: ["security", "platform"], mentionLeads: true },
    ]);
    if (!after) throw new Error("no case");
    expect(nextDueAt(after, policy)).toBe(DUE);
  });

  it("given level 2, when the timer fires at 100%, then level 3 records the breach and tells leadership too", () => {
    const given = play(
      policy,
      [
        [AT_50, TIMER],
        [AT_75, TIMER],
      ],
      opened().events,
    ).events;
    const { events, effects, after } = givenWhen(policy, given, TIMER, DUE);
    expect(events).toMatchObject([
      { type: "escalated", level: 3, notify: ["security", "platform", "leadership"] },
      { type: "sla.breached", dueAt: DUE, reason: "the SLA deadline passed" },
    ]);
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({
      kind: "notify",
      topic: "sla.breached",
      teams: ["security", "platform", "leadership"],
      mentionLeads: true,
    });
    expect(notifies(effects)[0]?.text).toContain(`SLA breached:`);
    expect(after).toMatchObject({ status: "breached", breachedAt: DUE, escalationLevel: 3 });
    if (!after) throw new Error("no case");
    expect(nextDueAt(after, policy)).toBeNull();
  });

  it("given a step fired, when the timer fires twice at the same time, then the second yields no events", () => {
    const given = play(policy, [[AT_50, TIMER]], opened().events).events;
    const { events, effects, rejection } = givenWhen(policy, given, TIMER, AT_50);
    expect(rejection).toBeNull();
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
  });

  it("given a new case, when the first timer fires after the deadline, then every level is recorded once in one message", () => {
    const late = "2026-12-03T08:00:00.000Z";
    const { events, effects, after } = givenWhen(policy, opened().events, TIMER, late);
    expect(types(events)).toEqual(["escalated", "escalated", "escalated", "sla.breached"]);
    expect(
      events.filter((e) => e.type === "escalated").map((e) => e.type === "escalated" && e.level),
    ).toEqual([1, 2, 3]);
    expect(events.every((e) => e.at === late)).toBe(true);
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({
      kind: "notify",
      topic: "sla.breached",
      teams: ["security", "platform", "leadership"],
      mentionLeads: true,
    });
    expect(after).toMatchObject({ escalationLevel: 3, status: "breached", breachedAt: late });

    const again = givenWhen(policy, [...opened().events, ...events], TIMER, "2026-12-04T00:00:00.000Z");
    expect(again.events).toEqual([]);
    expect(again.effects).toEqual([]);
  });

  it("given a new case, when the timer fires between 75% and 100%, then levels 1 and 2 fire together as one escalation message", () => {
    const { events, effects, after } = givenWhen(policy, opened().events, TIMER, "2026-11-25T00:00:00.000Z");
    expect(events).toMatchObject([
      { type: "escalated", level: 1, notify: ["security"] },
      { type: "escalated", level: 2, notify: ["security", "platform"] },
    ]);
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({
      topic: "escalated",
      teams: ["security", "platform"],
      mentionLeads: true,
      text: expect.stringContaining("Escalation level 2:"),
    });
    expect(after?.escalationLevel).toBe(2);
  });

  it("given a HIGH case, when Security Hub raises it to CRITICAL, then the marks move earlier and the next timer fires every step now overdue", () => {
    const { events: given, state } = play(
      policy,
      [["2026-11-03T00:00:00.000Z", seen("2026-11-03T00:00:00.000Z", { ...S3, severity: "CRITICAL" })]],
      opened().events,
    );
    // CRITICAL: 7 days from 2026-11-01: 50% is 2026-11-04T12:00, 75% 2026-11-06T06:00, due 2026-11-08.
    expect(state.slaDueAt).toBe("2026-11-08T00:00:00.000Z");
    expect(nextDueAt(state, policy)).toBe("2026-11-04T12:00:00.000Z");
    const { events } = givenWhen(policy, given, TIMER, "2026-11-06T06:00:00.000Z");
    expect(events).toMatchObject([
      { type: "escalated", level: 1 },
      { type: "escalated", level: 2 },
    ]);
  });

  it("given an INFORMATIONAL case, when timers fire, then it never escalates (no clock)", () => {
    const { events: given, state } = play(policy, [
      [OPENED_AT, seen(OPENED_AT, { ...S3, severity: "INFORMATIONAL" })],
    ]);
    expect(nextDueAt(state, policy)).toBeNull();
    const { events, effects } = givenWhen(policy, given, TIMER, "2027-06-01T00:00:00.000Z");
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
  });

  it("given no case, when a timer fires, then it is refused because there is no case", () => {
    const result = decide(null, TIMER, policy, new Date(AT_50));
    expect(result).toEqual({
      events: [],
      effects: [],
      refusal: { code: "case.missing", message: "there is no such case" },
      findingIsNewer: false,
      state: null,
    });
  });
});

describe("engine: a finding that becomes tracked", () => {
  it("given an INFORMATIONAL case seen since 2026-01, when Security Hub reports HIGH in 2026-11, then the clock starts at the change, not at the first observation", () => {
    const first = "2026-01-05T00:00:00.000Z";
    const info = play(policy, [
      [first, seen(first, { severity: "INFORMATIONAL", firstObservedAt: first, controlId: "S3.1" })],
    ]);
    const change = "2026-11-10T00:00:00.000Z";
    const { after, events } = givenWhen(
      policy,
      info.events,
      seen(change, { severity: "HIGH", firstObservedAt: first, controlId: "S3.1" }),
      change,
    );
    expect(events[1]).toMatchObject({ type: "severity.changed", sla: { startAt: change } });
    expect(after?.slaDueAt).toBe("2026-12-10T00:00:00.000Z");
    expect(givenWhen(policy, [...info.events, ...events], TIMER, change).events).toEqual([]);
  });
});
