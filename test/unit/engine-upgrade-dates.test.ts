import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/engine/finding.js";
import type { Policy } from "../../src/engine/policy.js";
import { nextDueAt } from "../../src/engine/timers.js";
import { examplePolicy, finding, givenWhen } from "../support/engine.js";
import {
  ALICE,
  act,
  BOB,
  CISO,
  DAY,
  notifies,
  play,
  SAM,
  SUE,
  seen,
  TIMER,
  types,
} from "../support/engine-steps.js";

const policy = examplePolicy();
const CASE_ID = finding().id;
const TITLE = finding().title;
const T0 = "2026-11-02T00:00:00.000Z";
const P = "2026-11-10T09:00:00.000Z";
const DATE = "2026-12-01";
// EKS 1.34 leaves standard support on 2026-12-02 (src/engine/eks-calendar.ts).
const EOSS_134 = "2026-12-02T00:00:00.000Z";

function withDetails(
  details: Record<string, unknown> | null,
  extra: Partial<Finding> = {},
): Partial<Finding> {
  const resource = finding().resources[0];
  if (!resource) throw new Error("the finding has no resource");
  return { resources: [{ ...resource, details }], ...extra };
}
const ASFF_134 = withDetails({ AwsEksCluster: { Version: "1.34", Name: "prod" } });
const OCSF_134 = withDetails({ version: "1.34", name: "prod" }, { format: "ocsf" });

const opened = (overrides: Partial<Finding> = ASFF_134, p: Policy = policy) =>
  play(p, [[T0, seen(T0, overrides)]]);
const propose = (date = DATE, by: { user: string; team: string } = ALICE) =>
  act(by, { action: "date_propose", date });
const counter = (date: string, by: { user: string; team: string } = SAM) =>
  act(by, { action: "date_counter", date });
const agree = (by: { user: string; team: string } = SAM, date: string | null = null) =>
  act(by, { action: "date_agree", date });

const proposed = () => play(policy, [[P, propose()]], opened().events);
const agreed = () =>
  play(
    policy,
    [
      [P, propose()],
      [P, agree()],
    ],
    opened().events,
  );

describe("engine: the upgrade deadline of an EKS.2 case", () => {
  it("given an ASFF finding of an EKS 1.34 cluster, when the case opens, then the deadline is the end of standard support and both teams must agree a date", () => {
    const { state } = opened();
    expect(state.status).toBe("awaiting_date");
    expect(state.upgrade).toEqual({
      rule: "eks-version",
      teams: ["platform", "security"],
      deadline: EOSS_134,
      deadlineSource: "EKS 1.34 end of standard support",
      eksVersion: "1.34",
      proposal: null,
      agreed: null,
      remindersSent: 0,
      missed: false,
    });
  });

  it("given an OCSF finding with the version in the resource data, when the case opens, then the same calendar deadline applies", () => {
    const { state } = opened(OCSF_134);
    expect(state.format).toBe("ocsf");
    expect(state.upgrade).toMatchObject({ deadline: EOSS_134, eksVersion: "1.34" });
  });

  it("given a patch version (1.34.2), when the case opens, then the minor version is looked up", () => {
    const { state } = opened(withDetails({ AwsEksCluster: { Version: "1.34.2" } }));
    expect(state.upgrade?.eksVersion).toBe("1.34");
  });

  it("given no EKS version in the finding, when the case opens, then the SLA deadline is the limit", () => {
    const { state } = opened(withDetails(null));
    expect(state.upgrade).toMatchObject({
      eksVersion: null,
      deadline: "2026-12-01T00:00:00.000Z",
      deadlineSource: "SLA deadline, since the EKS version is unknown",
    });
  });

  it("given a version the bundled calendar does not know, when the case opens, then the SLA deadline is the limit and dates after it are refused", () => {
    const { events, state } = opened(withDetails({ AwsEksCluster: { Version: "1.99" } }));
    expect(state.upgrade).toMatchObject({
      eksVersion: "1.99",
      deadline: "2026-12-01T00:00:00.000Z",
      deadlineSource: "SLA deadline, since EKS version 1.99 is not in the bundled calendar",
    });
    expect(givenWhen(policy, events, propose("2026-12-01"), P).rejection).toBe(
      "2026-12-01 is not before the deadline 2026-12-01 (SLA deadline, since EKS version 1.99 is not in the bundled calendar)",
    );
    expect(types(givenWhen(policy, events, propose("2026-11-30"), P).events)).toEqual(["date.proposed"]);
  });

  it("given a rule limited by end_of_extended_support, when the case opens, then the extended date is the deadline", () => {
    const extended: Policy = {
      ...policy,
      upgradeDates: policy.upgradeDates.map((rule) => ({
        ...rule,
        mustBeBefore: { kind: "eks_calendar", milestone: "end_of_extended_support" },
      })),
    };
    const { state } = opened(ASFF_134, extended);
    expect(state.upgrade).toMatchObject({
      deadline: "2027-12-02T00:00:00.000Z",
      deadlineSource: "EKS 1.34 end of extended support",
    });
  });

  it("given a rule limited by a duration, when the case opens, then the deadline counts from the first observation", () => {
    const sixtyDays: Policy = {
      ...policy,
      upgradeDates: policy.upgradeDates.map((rule) => ({
        ...rule,
        mustBeBefore: { kind: "after_first_observed", ms: 60 * DAY },
      })),
    };
    const { state } = opened(ASFF_134, sixtyDays);
    expect(state.upgrade).toMatchObject({
      deadline: "2026-12-31T00:00:00.000Z",
      deadlineSource: "first observation plus the policy's duration",
    });
  });

  it.each([
    ["ASFF", ASFF_134],
    ["OCSF", OCSF_134],
  ])(
    "given an %s EKS 1.34 case, when a date on or after the end of standard support is proposed, then it is refused",
    (_format, overrides) => {
      const given = opened(overrides).events;
      for (const date of ["2026-12-02", "2026-12-15"]) {
        const { events, effects, rejection } = givenWhen(policy, given, propose(date), P);
        expect(rejection).toBe(
          `${date} is not before the deadline 2026-12-02 (EKS 1.34 end of standard support)`,
        );
        expect(events).toEqual([]);
        expect(effects).toEqual([]);
      }
      expect(givenWhen(policy, given, propose("2026-12-01"), P).rejection).toBeNull();
    },
  );

  it.each([
    ["2026-02-30", '"2026-02-30" is not a date (expected YYYY-MM-DD)'],
    ["12/01/2026", '"12/01/2026" is not a date (expected YYYY-MM-DD)'],
    ["2026-11-09", "2026-11-09 is in the past"],
  ])("given an EKS case, when %s is proposed, then it is refused", (date, message) => {
    expect(givenWhen(policy, opened().events, propose(date), P).rejection).toBe(message);
  });

  it("given an EKS case, when today is proposed, then it is accepted (the upgrade may happen today)", () => {
    expect(givenWhen(policy, opened().events, propose("2026-11-10"), P).rejection).toBeNull();
  });
});

describe("engine: both teams agree an upgrade date", () => {
  it("given an EKS case, when platform proposes a date, then it is recorded and security is asked", () => {
    const { events, effects, after } = givenWhen(policy, opened().events, propose(), P);
    expect(events).toEqual([
      { type: "date.proposed", at: P, actor: "U0ALICE", reason: null, date: DATE, by: ALICE },
    ]);
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "date.proposed",
        teams: ["security"],
        mentionLeads: false,
        text: `U0ALICE (platform) proposes upgrade date ${DATE} for "${TITLE}". Team security: agree or counter.`,
      },
    ]);
    expect(after).toMatchObject({
      status: "awaiting_date",
      upgrade: { proposal: { date: DATE, proposedBy: ALICE, acceptedBy: [ALICE] }, agreed: null },
    });
  });

  it("given a proposal by platform, when security agrees, then the date is agreed, both teams are told and it becomes the deadline", () => {
    const { events, effects, after } = givenWhen(policy, proposed().events, agree(SAM, DATE), P);
    expect(events).toEqual([
      {
        type: "date.agreed",
        at: P,
        actor: "U0SAM",
        reason: null,
        date: DATE,
        previousDate: null,
        by: [ALICE, SAM],
      },
    ]);
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "date.agreed",
        teams: ["platform", "security"],
        mentionLeads: false,
        text: `Upgrade date agreed: ${DATE} for "${TITLE}", by U0ALICE (platform) and U0SAM (security).`,
      },
    ]);
    expect(after).toMatchObject({
      status: "date_agreed",
      slaDueAt: "2026-12-02T00:00:00.000Z",
      upgrade: { proposal: null, agreed: { date: DATE, at: P, by: [ALICE, SAM] }, remindersSent: 0 },
    });
    if (!after) throw new Error("no case");
    // First reminder: 14 days before the day.
    expect(nextDueAt(after, policy)).toBe("2026-11-17T00:00:00.000Z");
  });

  it("given an agreed date, when the same agreement is clicked again, then it is refused and nothing is recorded", () => {
    for (const who of [SAM, SUE]) {
      const { events, effects, rejection } = givenWhen(policy, agreed().events, agree(who, DATE), P);
      expect(rejection).toBe(`the date ${DATE} is already agreed`);
      expect(events).toEqual([]);
      expect(effects).toEqual([]);
    }
  });

  it("given a proposal by platform, when another platform member agrees, then it is refused: the team already accepted", () => {
    const { rejection, events } = givenWhen(policy, proposed().events, agree(BOB), P);
    expect(rejection).toBe(`team platform has already accepted ${DATE}`);
    expect(events).toEqual([]);
  });

  it("given no proposal, when someone agrees, then it is refused", () => {
    expect(givenWhen(policy, opened().events, agree(), P).rejection).toBe(
      "there is no proposed date to agree to",
    );
  });

  it("given a team outside the rule's agree list, when it proposes, then it is refused", () => {
    expect(givenWhen(policy, opened().events, propose(DATE, CISO), P).rejection).toBe(
      "only teams platform and security agree the upgrade date of this case",
    );
  });

  it("given a proposal, when security counters, then the counter replaces it and platform is asked", () => {
    const { events, effects, after } = givenWhen(policy, proposed().events, counter("2026-11-28"), P);
    expect(events).toEqual([
      { type: "date.countered", at: P, actor: "U0SAM", reason: null, date: "2026-11-28", by: SAM },
    ]);
    expect(effects).toMatchObject([
      {
        topic: "date.proposed",
        teams: ["platform"],
        text: `U0SAM (security) counters with upgrade date 2026-11-28 for "${TITLE}". Team platform: agree or counter.`,
      },
    ]);
    expect(after?.upgrade?.proposal).toMatchObject({
      date: "2026-11-28",
      proposedBy: SAM,
      acceptedBy: [SAM],
    });
  });

  it("given a counter, when platform agrees to the date it proposed earlier, then it is refused: the date on the table changed", () => {
    const given = play(policy, [[P, counter("2026-11-28")]], proposed().events);
    expect(givenWhen(policy, given.events, agree(ALICE, DATE), P).rejection).toBe(
      `the date on the table is now 2026-11-28, not ${DATE}`,
    );
    const { events } = givenWhen(policy, given.events, agree(ALICE, "2026-11-28"), P);
    expect(events).toMatchObject([{ type: "date.agreed", date: "2026-11-28", by: [SAM, ALICE] }]);
  });

  it("given a proposal by the other team, when a team proposes instead of countering, then it is recorded as a counter", () => {
    const { events } = givenWhen(policy, proposed().events, propose("2026-11-27", SAM), P);
    expect(types(events)).toEqual(["date.countered"]);
  });

  it("given no proposal (or only the team's own), when it counters, then it is refused", () => {
    const message = "there is no proposal from another team to counter; propose a date instead";
    expect(givenWhen(policy, opened().events, counter("2026-11-28"), P).rejection).toBe(message);
    expect(givenWhen(policy, proposed().events, counter("2026-11-28", BOB), P).rejection).toBe(message);
  });

  it("given three teams must agree and two accepted, when the third counters, then the earlier acceptances are reset", () => {
    const three: Policy = {
      ...policy,
      upgradeDates: policy.upgradeDates.map((rule) => ({
        ...rule,
        agree: ["owner", "counterpart", "leadership"],
      })),
    };
    const given = play(
      three,
      [
        [P, propose()],
        [P, agree(SAM)],
      ],
      opened(ASFF_134, three).events,
    );
    expect(types(given.events.slice(-2))).toEqual(["date.proposed", "date.accepted"]);
    expect(given.state.upgrade?.proposal?.acceptedBy).toEqual([ALICE, SAM]);
    expect(given.state.status).toBe("awaiting_date");

    const countered = play(three, [[P, counter("2026-11-25", CISO)]], given.events);
    expect(countered.state.upgrade?.proposal).toMatchObject({ date: "2026-11-25", acceptedBy: [CISO] });
    const { events: second } = givenWhen(three, countered.events, agree(SAM), P);
    expect(second).toEqual([
      { type: "date.accepted", at: P, actor: "U0SAM", reason: null, date: "2026-11-25", by: SAM },
    ]);
    const { events: third, after } = givenWhen(three, [...countered.events, ...second], agree(ALICE), P);
    expect(third).toMatchObject([{ type: "date.agreed", date: "2026-11-25", by: [CISO, SAM, ALICE] }]);
    expect(after?.status).toBe("date_agreed");
  });

  it("given a proposed date that has since passed, when the other team agrees, then it is refused", () => {
    const given = play(policy, [[P, propose("2026-11-12")]], opened().events);
    expect(givenWhen(policy, given.events, agree(), "2026-11-13T00:00:00.000Z").rejection).toBe(
      "2026-11-12 is in the past",
    );
  });
});

describe("engine: changing an agreed date needs both teams again", () => {
  const CHANGE_AT = "2026-11-12T00:00:00.000Z";

  it("given an agreed date, when platform proposes another, then the agreed date stands until security agrees", () => {
    const { events, effects, after } = givenWhen(policy, agreed().events, propose("2026-11-25"), CHANGE_AT);
    expect(events).toEqual([
      {
        type: "date.proposed",
        at: CHANGE_AT,
        actor: "U0ALICE",
        reason: `change of the agreed date ${DATE}`,
        date: "2026-11-25",
        by: ALICE,
      },
    ]);
    expect(effects).toMatchObject([
      {
        topic: "date.proposed",
        teams: ["security"],
        text: expect.stringContaining(`(agreed date today: ${DATE})`),
      },
    ]);
    expect(after).toMatchObject({
      status: "date_agreed",
      slaDueAt: "2026-12-02T00:00:00.000Z",
      upgrade: { agreed: { date: DATE }, proposal: { date: "2026-11-25" } },
    });
  });

  it("given a change proposed, when security agrees, then date.changed records the previous date and reminders start over", () => {
    // The 14-day reminder for the old date went out.
    const given = play(policy, [["2026-11-17T00:00:00.000Z", TIMER]], agreed().events);
    expect(given.state.upgrade?.remindersSent).toBe(1);
    const change = play(policy, [["2026-11-18T00:00:00.000Z", propose("2026-11-30")]], given.events);
    const { events, effects, after } = givenWhen(
      policy,
      change.events,
      agree(SAM, "2026-11-30"),
      "2026-11-18T01:00:00.000Z",
    );
    expect(events).toEqual([
      {
        type: "date.changed",
        at: "2026-11-18T01:00:00.000Z",
        actor: "U0SAM",
        reason: `was ${DATE}`,
        date: "2026-11-30",
        previousDate: DATE,
        by: [ALICE, SAM],
      },
    ]);
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "date.agreed",
        teams: ["platform", "security"],
        mentionLeads: false,
        text: `Upgrade date changed from ${DATE} to 2026-11-30 for "${TITLE}", by U0ALICE (platform) and U0SAM (security).`,
      },
    ]);
    expect(after).toMatchObject({
      status: "date_agreed",
      slaDueAt: "2026-12-01T00:00:00.000Z",
      upgrade: { agreed: { date: "2026-11-30" }, proposal: null, remindersSent: 0 },
    });
  });

  it("given an agreed date and no proposal, when the same date is proposed, then it is refused", () => {
    expect(givenWhen(policy, agreed().events, propose(DATE), CHANGE_AT).rejection).toBe(
      `${DATE} is already the agreed date`,
    );
  });
});

describe("engine: reminders before the agreed date, and a missed date is a breach", () => {
  // Agreed on 2026-11-10 for 2026-12-01: reminders on 11-17 (14d), 11-24 (7d) and 11-30 (1d).
  const R14 = "2026-11-17T00:00:00.000Z";
  const R7 = "2026-11-24T00:00:00.000Z";
  const R1 = "2026-11-30T00:00:00.000Z";
  const END = "2026-12-02T00:00:00.000Z";

  it("given an agreed date, when the SLA ladder's 50% mark passes, then nothing escalates: the agreed date replaced the ladder", () => {
    const { events, effects } = givenWhen(policy, agreed().events, TIMER, "2026-11-16T00:00:00.000Z");
    expect(events).toEqual([]);
    expect(effects).toEqual([]);
  });

  it.each([
    [R14, 1, 14, R7],
    [R7, 2, 7, R1],
    [R1, 3, 1, END],
  ])(
    "given an agreed date, when the timer fires at %s, then reminder %i tells both teams (%i day(s) left)",
    (at, count, daysLeft, next) => {
      const earlier = [R14, R7, R1].slice(0, count - 1).map((mark): [string, typeof TIMER] => [mark, TIMER]);
      const given = play(policy, earlier, agreed().events);
      const { events, effects, after } = givenWhen(policy, given.events, TIMER, at);
      expect(events).toEqual([
        {
          type: "date.reminded",
          at,
          actor: "securityhub-governor:timer",
          reason: `${daysLeft} day(s) before the agreed date`,
          date: DATE,
          remindersSent: count,
        },
      ]);
      expect(effects).toEqual([
        {
          kind: "notify",
          caseId: CASE_ID,
          topic: "date.reminder",
          teams: ["platform", "security"],
          mentionLeads: false,
          text: `Reminder: "${TITLE}" is to be upgraded on ${DATE} (${daysLeft} day(s) left), as agreed by U0ALICE (platform) and U0SAM (security).`,
        },
      ]);
      if (!after) throw new Error("no case");
      expect(nextDueAt(after, policy)).toBe(next);
      expect(givenWhen(policy, [...given.events, ...events], TIMER, at).events).toEqual([]);
    },
  );

  it("given an agreed date and no reminder sent, when the first timer fires after all three marks, then one reminder message is sent", () => {
    const at = "2026-11-30T06:00:00.000Z";
    const { events, effects, after } = givenWhen(policy, agreed().events, TIMER, at);
    expect(events).toMatchObject([
      { type: "date.reminded", remindersSent: 3, reason: "1 day(s) before the agreed date" },
    ]);
    expect(notifies(effects)).toHaveLength(1);
    if (!after) throw new Error("no case");
    expect(nextDueAt(after, policy)).toBe(END);
  });

  it("given an agreed date, when the day ends unresolved, then the date is missed, the SLA breached and leadership told with the leads mentioned", () => {
    const reminded = play(
      policy,
      [
        [R14, TIMER],
        [R7, TIMER],
        [R1, TIMER],
      ],
      agreed().events,
    );
    const { events, effects, after } = givenWhen(policy, reminded.events, TIMER, END);
    expect(events).toEqual([
      {
        type: "date.missed",
        at: END,
        actor: "securityhub-governor:timer",
        reason: "the agreed upgrade date passed unresolved",
        date: DATE,
      },
      {
        type: "sla.breached",
        at: END,
        actor: "securityhub-governor:timer",
        reason: "the agreed upgrade date passed",
        dueAt: END,
      },
    ]);
    expect(effects).toEqual([
      {
        kind: "notify",
        caseId: CASE_ID,
        topic: "date.missed",
        teams: ["platform", "security", "leadership"],
        mentionLeads: true,
        text: `Breach: the upgrade date ${DATE} agreed for "${TITLE}" (owner platform) passed and the finding is not resolved.`,
      },
    ]);
    expect(after).toMatchObject({ status: "breached", breachedAt: END, upgrade: { missed: true } });
    if (!after) throw new Error("no case");
    expect(nextDueAt(after, policy)).toBeNull();
    expect(
      givenWhen(policy, [...reminded.events, ...events], TIMER, "2026-12-03T00:00:00.000Z").events,
    ).toEqual([]);
  });

  it("given an agreed date and no reminder sent, when the first timer fires after the day ended, then only the miss is recorded", () => {
    const { events } = givenWhen(policy, agreed().events, TIMER, "2026-12-05T00:00:00.000Z");
    expect(types(events)).toEqual(["date.missed", "sla.breached"]);
  });

  it("given an agreed date, when the finding is resolved before the day, then no reminder or miss follows", () => {
    const fixed = play(
      policy,
      [
        [
          "2026-11-20T00:00:00.000Z",
          seen("2026-11-20T00:00:00.000Z", { ...ASFF_134, complianceStatus: "PASSED" }),
        ],
      ],
      agreed().events,
    );
    expect(fixed.state.status).toBe("resolved");
    expect(nextDueAt(fixed.state, policy)).toBeNull();
    expect(givenWhen(policy, fixed.events, TIMER, END).events).toEqual([]);
  });
});

describe("engine: a policy without upgrade_dates", () => {
  const plain: Policy = { ...policy, upgradeDates: [] };

  it("given no upgrade_dates rule, when an EKS.2 finding arrives, then the case is a plain open case on the SLA ladder", () => {
    const { state } = opened(ASFF_134, plain);
    expect(state).toMatchObject({ status: "open", upgrade: null, slaDueAt: "2026-12-01T00:00:00.000Z" });
    expect(nextDueAt(state, plain)).toBe("2026-11-16T00:00:00.000Z");
  });

  it.each([
    ["proposes", propose()],
    ["counters", counter(DATE)],
    ["agrees", agree()],
  ])(
    "given no upgrade_dates rule, when someone %s a date, then it is refused with a clear message",
    (_what, input) => {
      const { events, effects, rejection } = givenWhen(plain, opened(ASFF_134, plain).events, input, P);
      expect(rejection).toBe(
        `case ${CASE_ID} needs no upgrade date: no upgrade_dates rule of the policy matches it`,
      );
      expect(events).toEqual([]);
      expect(effects).toEqual([]);
    },
  );

  it("given the example policy, when a finding that is not EKS.2 gets a date proposal, then it is refused the same way", () => {
    const s3 = play(policy, [[T0, seen(T0, { controlId: "S3.1", id: "s3-finding" })]]);
    expect(givenWhen(policy, s3.events, propose(DATE, SAM), P).rejection).toBe(
      "case s3-finding needs no upgrade date: no upgrade_dates rule of the policy matches it",
    );
  });
});

describe("engine: a cluster already past a support milestone", () => {
  it("given EKS 1.31 (standard support ended 2025-11-26), when the case opens in 2026-11, then the limit is the end of extended support", () => {
    const { state } = opened(withDetails({ AwsEksCluster: { Version: "1.31" } }));
    expect(state.upgrade).toMatchObject({
      deadline: "2026-11-26T00:00:00.000Z",
      deadlineSource:
        "EKS 1.31 end of extended support, since its end of standard support passed on 2025-11-26",
    });
  });

  it("given EKS 1.29 (extended support ended 2026-03-23), when the case opens, then the SLA deadline is the limit, so a date can still be agreed", () => {
    const { state, events } = opened(withDetails({ AwsEksCluster: { Version: "1.29" } }));
    expect(state.upgrade).toMatchObject({
      deadline: "2026-12-01T00:00:00.000Z",
      deadlineSource:
        "SLA deadline, since EKS 1.29 end of standard support passed on 2025-03-23 and its end of extended support on 2026-03-23",
    });
    const { rejection } = givenWhen(policy, events, propose("2026-11-25"), P);
    expect(rejection).toBeNull();
  });

  it("given every limit already passed, when a date is proposed, then any future date is accepted", () => {
    const late = "2026-12-05T00:00:00.000Z";
    const { state, events } = play(policy, [
      [late, seen(late, withDetails({ AwsEksCluster: { Version: "1.28" } }))],
    ]);
    expect(state.upgrade).toMatchObject({ deadline: null });
    expect(state.upgrade?.deadlineSource).toBe(
      "no deadline left: EKS 1.28 end of standard support (2024-11-26), its end of extended support (2025-11-26) and the SLA deadline (2026-12-01 00:00 UTC) have passed; any future date can be agreed",
    );
    expect(givenWhen(policy, events, propose("2027-06-01"), late).rejection).toBeNull();
  });
});

describe("engine: one person cannot agree for both teams", () => {
  it("given a proposal by U0ALICE for platform, when U0ALICE agrees for security, then it is refused", () => {
    const { events, rejection } = givenWhen(
      policy,
      proposed().events,
      act({ user: "U0ALICE", team: "security" }, { action: "date_agree", date: null }),
      P,
    );
    expect(events).toEqual([]);
    expect(rejection).toBe(
      "U0ALICE has already accepted 2026-12-01 for team platform; another member of team security must agree",
    );
  });
});
