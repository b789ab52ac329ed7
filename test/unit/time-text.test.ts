import { describe, expect, it } from "vitest";
import { caseDetailText } from "../../src/cli/format-cases.js";
import type { CaseEvent } from "../../src/engine/case.js";
import { applyEvents, decide, type EngineInput } from "../../src/engine/decide.js";
import type { Effect } from "../../src/engine/effects.js";
import { calendarDay, formatInstant } from "../../src/engine/time-text.js";
import { formatInstant as reportFormatInstant } from "../../src/report/format.js";
import { when } from "../../src/slack/block-kit.js";
import type { CaseDetail } from "../../src/store/cases.js";
import { examplePolicy } from "../support/engine.js";
import { ALICE, act, DAY, plus, SAM, seen, TIMER } from "../support/engine-steps.js";

const policy = examplePolicy();
/** An ISO 8601 instant as machines write it: what no human text may contain. */
const ISO_INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

describe("time in human text", () => {
  it("says an instant to the minute in UTC, and leaves a calendar day as it is", () => {
    expect(formatInstant("2026-12-20T09:58:00.000Z")).toBe("2026-12-20 09:58 UTC");
    expect(formatInstant("2026-12-20T09:58:59.999Z")).toBe("2026-12-20 09:58 UTC");
    expect(formatInstant("2026-12-20T10:58:00+01:00")).toBe("2026-12-20 09:58 UTC");
    expect(formatInstant("2026-12-20")).toBe("2026-12-20");
    expect(formatInstant("next month")).toBe("next month");
    expect(calendarDay("2026-12-20T23:59:00.000Z")).toBe("2026-12-20");
    expect(calendarDay("2026-12-20")).toBe("2026-12-20");
  });

  it("is one formatter: the report's and Slack's are the engine's", () => {
    expect(reportFormatInstant).toBe(formatInstant);
    expect(when("2026-11-21T12:00:00.000Z")).toBe("2026-11-21 12:00 UTC");
  });
});

describe("the engine's human texts say instants as people write them", () => {
  const T0 = "2026-11-02T00:00:00.000Z";
  const REQUESTED = "2026-11-10T00:00:00.000Z";
  const EXPIRES = "2026-11-30T00:00:00.000Z";
  const TITLE = "EKS clusters should run on a supported Kubernetes version";

  /** Runs the steps and keeps every text a person reads: notifications, audit reasons, notes, refusals. */
  function texts(steps: [string, EngineInput][]) {
    let state = applyEvents(null, []);
    const events: CaseEvent[] = [];
    const effects: Effect[] = [];
    const refusals: string[] = [];
    for (const [at, input] of steps) {
      const decision = decide(state, input, policy, new Date(at));
      if (decision.refusal) refusals.push(decision.refusal.message);
      events.push(...decision.events);
      effects.push(...decision.effects);
      state = applyEvents(state, decision.events);
    }
    const notes = [
      ...effects.flatMap((e) => (e.kind === "securityhub.update" ? [e.note] : [])),
      ...events.flatMap((e) => ("note" in e && typeof e.note === "string" ? [e.note] : [])),
    ];
    return {
      state,
      events,
      notifications: effects.flatMap((e) => (e.kind === "notify" ? [e.text] : [])),
      reasons: events.flatMap((e) => (e.reason ? [e.reason] : [])),
      notes,
      refusals,
    };
  }

  const story = texts([
    [T0, seen(T0)],
    [plus(T0, 14 * DAY), TIMER],
    [REQUESTED, act(ALICE, { action: "exception_request", justification: "vendor fix", expiresAt: EXPIRES })],
    [REQUESTED, act(ALICE, { action: "exception_request", justification: "again", expiresAt: EXPIRES })],
    [plus(REQUESTED, 2 * 3_600_000), act(SAM, { action: "exception_approve", reason: null })],
    [
      plus(REQUESTED, 4 * 3_600_000),
      act(ALICE, { action: "exception_request", justification: "more", expiresAt: EXPIRES }),
    ],
    [EXPIRES, TIMER],
    [
      plus(EXPIRES, DAY),
      act(ALICE, { action: "exception_request", justification: "x", expiresAt: "2026-11-01T00:00:00.000Z" }),
    ],
    [plus(EXPIRES, 2 * DAY), seen(plus(EXPIRES, 2 * DAY), { workflowStatus: "SUPPRESSED" })],
    [plus(EXPIRES, 30 * DAY), TIMER],
  ]);

  it("has no ISO 8601 instant in any notification, reason, note or refusal", () => {
    const all = [...story.notifications, ...story.reasons, ...story.notes, ...story.refusals];
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((text) => ISO_INSTANT.test(text))).toEqual([]);
  });

  it("says the due time of a new case, an escalation and a breach to the minute", () => {
    expect(story.notifications).toContain(
      `New HIGH finding for team platform: "${TITLE}" (111111111111, us-east-1), due 2026-12-01 00:00 UTC.`,
    );
    expect(story.notifications).toContain(
      `Escalation level 1: "${TITLE}" (HIGH, owner platform) is due 2026-12-01 00:00 UTC.`,
    );
    // The exception paused the clock from 11-10 02:00 to 11-30 00:00: 19 days 22 hours later.
    expect(story.notifications).toContain(
      `SLA breached: "${TITLE}" (HIGH, owner platform) was due 2026-12-20 22:00 UTC and is not remediated.`,
    );
  });

  it("says the expiry of an exception to the minute in the request, the approval, the note and the refusals", () => {
    expect(story.notifications).toContain(
      `U0ALICE (platform) requests exception EXC-1 for "${TITLE}" until 2026-11-30 00:00 UTC: vendor fix. Team security approves or rejects.`,
    );
    expect(story.notifications).toContain(
      `U0SAM (security) approved exception EXC-1 for "${TITLE}" until 2026-11-30 00:00 UTC. The finding is suppressed and its SLA clock paused.`,
    );
    expect(story.notes).toContainEqual(
      expect.stringContaining(
        "approved by U0SAM (security), expires 2026-11-30 00:00 UTC. Justification: vendor fix",
      ),
    );
    expect(story.notes).toContainEqual(
      expect.stringContaining("exception EXC-1 expired 2026-11-30 00:00 UTC; status set back to NOTIFIED"),
    );
    expect(story.refusals).toEqual([
      "exception EXC-1 is already waiting for a decision",
      "exception EXC-1 is approved until 2026-11-30 00:00 UTC",
      "expiry 2026-11-01 00:00 UTC is not in the future",
    ]);
  });

  it("shows a case in the CLI with the same instants, while the case itself keeps ISO 8601", () => {
    const c = story.state;
    if (!c) throw new Error("no case");
    expect(c.exception?.expiresAt).toBe(EXPIRES);
    const detail = {
      ref: "SHG-1",
      case: c,
      events: story.events.map((event, index) => ({
        seq: index + 1,
        type: event.type,
        actor: event.actor,
        at: event.at,
        reason: event.reason,
        data: {},
        hash: "",
      })),
      outbox: [{ kind: "notify", status: "done", createdAt: T0, summary: "platform: New HIGH finding" }],
    } as CaseDetail;
    const text = caseDetailText(detail);
    expect(text).toMatch(/^SLA due +2026-12-20 22:00 UTC$/m);
    expect(text).toMatch(/^first observed +2026-11-01 00:00 UTC$/m);
    expect(text).toMatch(
      /^exception +EXC-1 expired, until 2026-11-30 00:00 UTC, requested by U0ALICE \(platform\)$/m,
    );
    expect(text).toMatch(/^suppression +blocked 1x, last 2026-12-02 00:00 UTC by unknown$/m);
    expect(text).toMatch(/^1 +2026-11-02 00:00 UTC +case\.opened /m);
    expect(text).toMatch(/^notify +done +2026-11-02 00:00 UTC +platform: New HIGH finding$/m);
    expect(text).not.toMatch(ISO_INSTANT);
  });
});
