import { describe, expect, it } from "vitest";
import { evolve } from "../../src/engine/case.js";
import { applyEvents, decide, type EngineInput, refusal, refusalEvent } from "../../src/engine/decide.js";
import { CLOUDTRAIL_IDENTITY } from "../../src/engine/inputs.js";
import type { Policy } from "../../src/engine/policy.js";
import { examplePolicy, finding, givenWhen } from "../support/engine.js";
import { ALICE, act, BOB, CISO, notifies, play, SAM, seen, types } from "../support/engine-steps.js";

const policy = examplePolicy();
const CASE_ID = finding().id;
const TITLE = finding().title;
const T0 = "2026-11-02T00:00:00.000Z";
const T1 = "2026-11-03T09:00:00.000Z";
const T2 = "2026-11-03T09:00:30.000Z";
const EXPIRES = "2026-11-30T00:00:00.000Z";

const opened = (p: Policy = policy) => play(p, [[T0, seen(T0)]]);
const blocked = () => play(policy, [[T1, seen(T1, { workflowStatus: "SUPPRESSED" })]], opened().events);

const claim = (actor: { user: string; team: string }) => act(actor, { action: "claim" });
const failed = (purpose: "revert_suppression" | "apply_exception" | "exception_expired"): EngineInput => ({
  type: "effect_failed",
  effect: "securityhub.update",
  purpose,
  error: "AccessDeniedException: not authorized to perform securityhub:BatchUpdateFindings",
});

describe("engine: claiming a case", () => {
  it("given an open case, when a platform member claims it, then they are the assignee", () => {
    const { events, effects, after } = givenWhen(policy, opened().events, claim(ALICE), T1);
    expect(events).toEqual([{ type: "case.claimed", at: T1, actor: "U0ALICE", reason: null, by: ALICE }]);
    expect(effects).toEqual([]);
    expect(after?.assignee).toEqual({ ...ALICE, at: T1 });
  });

  it("given a claimed case, when the same person claims it again, then it is refused", () => {
    const given = play(policy, [[T1, claim(ALICE)]], opened().events);
    const { events, rejection } = givenWhen(policy, given.events, claim(ALICE), T2);
    expect(rejection).toBe("U0ALICE has already claimed this case");
    expect(events).toEqual([]);
  });

  it("given a claimed case, when someone else of the counterpart claims it, then it moves to them and the audit says from whom", () => {
    const given = play(policy, [[T1, claim(ALICE)]], opened().events);
    const { events, after } = givenWhen(policy, given.events, claim(SAM), T2);
    expect(events).toMatchObject([{ type: "case.claimed", reason: "was U0ALICE (platform)", by: SAM }]);
    expect(after?.assignee).toEqual({ ...SAM, at: T2 });
  });

  it("given an open case, when a team that is neither owner nor counterpart claims it, then it is refused", () => {
    expect(givenWhen(policy, opened().events, claim(CISO), T1).rejection).toBe(
      "only team platform (owner) or security (counterpart) can claim this case",
    );
  });

  it.each([
    ["a claim", claim(ALICE)],
    [
      "an exception request",
      act(ALICE, { action: "exception_request", justification: "x", expiresAt: EXPIRES }),
    ],
    ["a date proposal", act(ALICE, { action: "date_propose", date: "2026-11-20" })],
  ])("given no case, when %s arrives, then it is refused", (_what, input) => {
    expect(decide(null, input, policy, new Date(T1))).toEqual({
      events: [],
      effects: [],
      refusal: { code: "case.missing", message: "there is no such case" },
      findingIsNewer: false,
      state: null,
    });
  });
});

describe("engine: team membership", () => {
  // platform lists its members; security lists none (its Slack user group vouches for it).
  const listed: Policy = {
    ...policy,
    teams: {
      ...policy.teams,
      platform: {
        name: "platform",
        reach: { slack: { address: "C0PLATFORM", group: "S0PLATFORM" } },
        leads: ["U0PLATLEAD"],
        members: ["U0ALICE", "U0BOB"],
      },
    },
  };
  const MALLORY = { user: "U0MALLORY", team: "platform" };

  it.each([
    ["claims the case", claim(MALLORY)],
    [
      "requests an exception",
      act(MALLORY, { action: "exception_request", justification: "x", expiresAt: EXPIRES }),
    ],
    ["proposes an upgrade date", act(MALLORY, { action: "date_propose", date: "2026-11-20" })],
  ])(
    "given platform lists its members, when an outsider acting for platform %s, then it is refused",
    (_what, input) => {
      const { events, effects, rejection } = givenWhen(listed, opened(listed).events, input, T1);
      expect(rejection).toBe("U0MALLORY is not a member of team platform");
      expect(events).toEqual([]);
      expect(effects).toEqual([]);
    },
  );

  it("given platform lists its members, when a listed member or the team's lead acts, then it is accepted", () => {
    expect(givenWhen(listed, opened(listed).events, claim(BOB), T1).rejection).toBeNull();
    expect(
      givenWhen(listed, opened(listed).events, claim({ user: "U0PLATLEAD", team: "platform" }), T1).rejection,
    ).toBeNull();
  });

  it("given platform lists its members, when an outsider acting for platform decides security's request, then it is refused", () => {
    const requested = play(
      listed,
      [[T1, act(SAM, { action: "exception_request", justification: "x", expiresAt: EXPIRES })]],
      opened(listed).events,
    );
    expect(
      givenWhen(listed, requested.events, act(MALLORY, { action: "exception_approve", reason: null }), T2)
        .rejection,
    ).toBe("U0MALLORY is not a member of team platform");
    expect(
      types(
        givenWhen(listed, requested.events, act(ALICE, { action: "exception_approve", reason: null }), T2)
          .events,
      ),
    ).toEqual(["exception.approved"]);
  });

  it("given security lists no members (only a lead), when any user acts for security, then the claim is trusted", () => {
    expect(
      givenWhen(listed, opened(listed).events, claim({ user: "U0ANYONE", team: "security" }), T1).rejection,
    ).toBeNull();
  });

  it("given the policy has no such team, when someone acts for it, then it is refused", () => {
    expect(givenWhen(policy, opened().events, claim({ user: "U0EVE", team: "finance" }), T1).rejection).toBe(
      'there is no team "finance" in the policy',
    );
  });
});

describe("engine: who suppressed it (suppressor_found)", () => {
  it("given a blocked suppression, when the finding history names the identity, then it is recorded and both teams are told who did it", () => {
    const identity = "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/mallory";
    const { events, effects, after } = givenWhen(
      policy,
      blocked().events,
      {
        type: "suppressor_found",
        suppressedBy: identity,
        suppressedByType: "BATCH_UPDATE_FINDINGS",
        suppressedAt: T1,
        error: null,
      },
      T2,
    );
    expect(events).toEqual([
      {
        type: "suppression.attributed",
        at: T2,
        actor: "aws:securityhub:history",
        reason: null,
        suppressedBy: identity,
        suppressedByType: "BATCH_UPDATE_FINDINGS",
        suppressedAt: T1,
      },
    ]);
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "suppression.blocked",
        teams: ["platform", "security"],
        mentionLeads: false,
        text: `Suppression blocked: ${identity} set "${TITLE}" (arn:aws:eks:us-east-1:111111111111:cluster/prod) to SUPPRESSED without an approved exception. The bot set it back to NOTIFIED. Team platform owns it; to suppress it, request an exception.`,
      },
    ]);
    expect(after?.suppression).toMatchObject({
      suppressedBy: identity,
      suppressedByType: "BATCH_UPDATE_FINDINGS",
      attributedAt: T2,
      blockedCount: 1,
    });
  });

  it("given a blocked suppression, when the history cannot name anyone, then the teams are still told, without a name", () => {
    const { events, effects, after } = givenWhen(
      policy,
      blocked().events,
      {
        type: "suppressor_found",
        suppressedBy: null,
        suppressedByType: null,
        suppressedAt: null,
        error: "no history record",
      },
      T2,
    );
    expect(events).toMatchObject([
      { type: "suppression.attributed", reason: "no history record", suppressedBy: null },
    ]);
    expect(effects).toMatchObject([
      {
        topic: "suppression.blocked",
        teams: ["platform", "security"],
        text: expect.stringContaining("Suppression blocked: someone the finding history does not name set"),
      },
    ]);
    expect(after?.suppression?.attributedAt).toBe(T2);
  });

  it("given a suppression already attributed, when the same result is delivered again, then nothing is recorded or sent twice", () => {
    const found: EngineInput = {
      type: "suppressor_found",
      suppressedBy: "arn:aws:iam::111111111111:user/mallory",
      suppressedByType: "BATCH_UPDATE_FINDINGS",
      suppressedAt: T1,
      error: null,
    };
    const attributed = play(policy, [[T2, found]], blocked().events);
    expect(givenWhen(policy, attributed.events, found, "2026-11-03T09:01:00.000Z")).toMatchObject({
      events: [],
      effects: [],
      rejection: null,
    });
    // A later, separate block (after the revert showed in Security Hub) is attributed again.
    const reverted = "2026-11-03T12:00:00.000Z";
    const again = "2026-11-04T00:00:00.000Z";
    const reblocked = play(
      policy,
      [
        [reverted, seen(reverted, { workflowStatus: "NOTIFIED" })],
        [again, seen(again, { workflowStatus: "SUPPRESSED" })],
      ],
      attributed.events,
    );
    expect(types(givenWhen(policy, reblocked.events, found, again).events)).toEqual([
      "suppression.attributed",
    ]);
  });

  it("given a case with no blocked suppression, when a suppressor arrives, then nothing happens", () => {
    const result = givenWhen(
      policy,
      opened().events,
      {
        type: "suppressor_found",
        suppressedBy: "arn:x",
        suppressedByType: null,
        suppressedAt: null,
        error: null,
      },
      T2,
    );
    expect(result).toMatchObject({ events: [], effects: [], rejection: null });
  });
});

describe("engine: a dispatcher gave up on an effect (effect_failed)", () => {
  it("given a blocked suppression, when the revert fails for good, then effect.failed is recorded, the owner is told, and the next SUPPRESSED version is blocked again", () => {
    const { events, effects, after } = givenWhen(policy, blocked().events, failed("revert_suppression"), T2);
    expect(events).toEqual([
      {
        type: "effect.failed",
        at: T2,
        actor: "securityhub-governor:dispatcher",
        reason: "AccessDeniedException: not authorized to perform securityhub:BatchUpdateFindings",
        effect: "securityhub.update:revert_suppression",
        error: "AccessDeniedException: not authorized to perform securityhub:BatchUpdateFindings",
        workflowStatus: null,
      },
    ]);
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "effect.failed",
        teams: ["platform"],
        mentionLeads: false,
        text: `The bot could not update "${TITLE}" in Security Hub (revert suppression): AccessDeniedException: not authorized to perform securityhub:BatchUpdateFindings`,
      },
    ]);
    expect(after?.suppression?.revertPending).toBe(false);
    const reimport = "2026-11-03T10:00:00.000Z";
    const next = givenWhen(
      policy,
      [...blocked().events, ...events],
      seen(reimport, { workflowStatus: "SUPPRESSED" }),
      reimport,
    );
    expect(types(next.events)).toEqual(["finding.observed", "suppression.blocked"]);
  });

  it("given an approved exception, when writing SUPPRESSED fails, then the case expects the status Security Hub last showed", () => {
    const approved = play(
      policy,
      [
        [T1, act(ALICE, { action: "exception_request", justification: "x", expiresAt: EXPIRES })],
        [T1, act(SAM, { action: "exception_approve", reason: null })],
      ],
      opened().events,
    );
    expect(approved.state.expectedWorkflowStatus).toBe("SUPPRESSED");
    const { events, effects, after } = givenWhen(policy, approved.events, failed("apply_exception"), T2);
    expect(events).toMatchObject([
      { type: "effect.failed", effect: "securityhub.update:apply_exception", workflowStatus: "NEW" },
    ]);
    expect(effects).toMatchObject([
      { topic: "effect.failed", text: expect.stringContaining("(apply exception)") },
    ]);
    expect(after).toMatchObject({ expectedWorkflowStatus: "NEW", status: "excepted" });
  });

  it("given an expired exception, when re-opening fails, then the bot keeps expecting the re-opened status, so SUPPRESSED seen next is blocked", () => {
    const { events } = givenWhen(policy, opened().events, failed("exception_expired"), T2);
    expect(events).toMatchObject([
      { type: "effect.failed", effect: "securityhub.update:exception_expired", workflowStatus: null },
    ]);
  });
});

describe("engine: a refused action is audited", () => {
  it("given a refusal, when its audit event is applied, then only the version moves: the case is otherwise unchanged", () => {
    const before = opened();
    const input = act(BOB, { action: "date_agree", date: null });
    const { refusal: why } = givenWhen(policy, before.events, input, T1);
    expect(why).not.toBeNull();
    if (input.type !== "human" || why === null) throw new Error("expected a refused human input");
    const event = refusalEvent(input, why, new Date(T1));
    expect(event).toMatchObject({
      type: "action.refused",
      actor: "U0BOB",
      reason: why.message,
      code: why.code,
      by: BOB,
    });
    const after = evolve(before.state, event);
    const { version, updatedAt, ...rest } = after;
    const { version: v0, updatedAt: u0, ...restBefore } = before.state;
    expect(rest).toEqual(restBefore);
    expect(version).toBe(v0 + 1);
    expect([updatedAt, u0]).toEqual([T1, before.state.updatedAt]);
  });

  it("given a refusal, when it is made a decision, then the case it hands back is its event folded onto the case", () => {
    const before = opened();
    const why = { code: "team.not_member" as const, message: "not yours" };
    const decision = refusal(before.state, { ...BOB, action: "date_agree" }, why, new Date(T1));
    expect(decision.events.map((event) => event.type)).toEqual(["action.refused"]);
    expect(decision.state).toEqual(applyEvents(before.state, decision.events));
  });
});

describe("engine: a decision hands back the case after it", () => {
  it("given a blocked suppression, when a person claims it, then the state handed back is the events folded onto the case", () => {
    const before = blocked();
    const decision = decide(before.state, claim(ALICE), policy, new Date(T2));
    expect(decision.events.length).toBeGreaterThan(0);
    expect(decision.state).toEqual(applyEvents(before.state, decision.events));
  });

  it("given a refused input, then the state handed back is the case as it was", () => {
    const before = opened();
    const decision = decide(before.state, claim(CISO), policy, new Date(T1));
    expect(decision.refusal).not.toBeNull();
    expect(decision.state).toBe(before.state);
  });
});

describe("engine: who suppressed it, from CloudTrail", () => {
  const MALLORY = "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/mallory";
  const T3 = "2026-11-03T09:02:00.000Z";
  const caller = {
    arn: MALLORY,
    type: "AssumedRole",
    sessionIssuer: "arn:aws:iam::111111111111:role/PlatformAdmin",
    sourceIp: "198.51.100.7",
  };
  const fromCloudTrail = (note: string | null): EngineInput => ({
    type: "suppressor_found",
    suppressedBy: MALLORY,
    suppressedByType: CLOUDTRAIL_IDENTITY,
    suppressedAt: T1,
    error: null,
    caller,
    note,
  });
  const nobody: EngineInput = {
    type: "suppressor_found",
    suppressedBy: null,
    suppressedByType: null,
    suppressedAt: null,
    error: "the finding history shows no change to SUPPRESSED",
  };

  it("given a block the history could not attribute, when CloudTrail names the caller, then it is recorded and the teams are told who, from where, with their note", () => {
    const unnamed = play(policy, [[T2, nobody]], blocked().events);
    const { events, effects, after } = givenWhen(policy, unnamed.events, fromCloudTrail("risk accepted"), T3);
    expect(events).toEqual([
      {
        type: "suppression.attributed",
        at: T3,
        actor: "aws:cloudtrail",
        reason: null,
        suppressedBy: MALLORY,
        suppressedByType: "CLOUDTRAIL",
        suppressedAt: T1,
        caller,
        note: "risk accepted",
      },
    ]);
    expect(notifies(effects).map((n) => n.text)).toEqual([
      `CloudTrail names who did it: Suppression blocked: ${MALLORY} (AssumedRole of arn:aws:iam::111111111111:role/PlatformAdmin, from 198.51.100.7) set "${TITLE}" (arn:aws:eks:us-east-1:111111111111:cluster/prod) to SUPPRESSED with the note "risk accepted" without an approved exception. The bot set it back to NOTIFIED. Team platform owns it; to suppress it, request an exception.`,
    ]);
    expect(after?.suppression).toMatchObject({ suppressedBy: MALLORY, suppressedByType: "CLOUDTRAIL" });
  });

  it("given a block already attributed to someone, when CloudTrail names a caller too, then nothing is said twice", () => {
    const named = play(policy, [[T2, fromCloudTrail(null)]], blocked().events);
    const { events, effects } = givenWhen(policy, named.events, fromCloudTrail(null), T3);
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
  });

  it("given a case with no blocked suppression, when CloudTrail names a caller, then nothing happens", () => {
    const { events, effects } = givenWhen(policy, opened().events, fromCloudTrail(null), T2);
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
  });

  it("given a blocked suppression, when the call CloudTrail recorded wrote the bot's own note, then it is the bot's and names nobody", () => {
    const before = blocked();
    const botNote = before.state.lastBotUpdate?.note ?? null;
    expect(botNote).not.toBeNull();
    const { events, effects } = givenWhen(policy, before.events, fromCloudTrail(botNote), T2);
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
  });
});
