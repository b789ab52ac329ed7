import { describe, expect, it } from "vitest";
import { type Case, type CaseEvent, evolve, exceptionHolds } from "../../src/engine/case.js";
import { applyEvents, decide, type EngineInput } from "../../src/engine/decide.js";
import type { Finding, Severity, WorkflowStatus } from "../../src/engine/finding.js";
import { NOTE_MAX } from "../../src/engine/notes.js";
import { nextDueAt } from "../../src/engine/timers.js";
import { examplePolicy, finding, givenWhen, observed } from "../support/engine.js";
import {
  ALICE,
  act,
  BOB,
  CISO,
  DAY,
  HOUR,
  play,
  plus,
  SAM,
  SUE,
  seen,
  TIMER,
  types,
} from "../support/engine-steps.js";

const policy = examplePolicy();
const T0 = "2026-11-02T00:00:00.000Z";
const AT_50 = "2026-11-16T00:00:00.000Z";
const opened = () => play(policy, [[T0, seen(T0)]]);
const request = (expiresAt: string) =>
  act(ALICE, { action: "exception_request", justification: "waiting for the vendor", expiresAt });

describe("engine: when the case next needs the engine (nextDueAt)", () => {
  it("given a new case, then the next due time is the first escalation step", () => {
    expect(nextDueAt(opened().state, policy)).toBe(AT_50);
  });

  it("given a pending request expiring before the next step, then its expiry comes first", () => {
    const { state } = play(policy, [[T0, request("2026-11-10T00:00:00.000Z")]], opened().events);
    expect(nextDueAt(state, policy)).toBe("2026-11-10T00:00:00.000Z");
  });

  it("given a pending request expiring after the next step, then the step comes first", () => {
    const { state } = play(policy, [[T0, request("2026-11-20T00:00:00.000Z")]], opened().events);
    expect(nextDueAt(state, policy)).toBe(AT_50);
  });

  it("given an approved exception on an agreed date, then only the expiry is due (ladder and reminders wait)", () => {
    const { state } = play(
      policy,
      [
        [T0, act(ALICE, { action: "date_propose", date: "2026-11-28" })],
        [T0, act(SAM, { action: "date_agree", date: null })],
        [T0, request("2026-11-25T00:00:00.000Z")],
        [T0, act(SAM, { action: "exception_approve", reason: null })],
      ],
      opened().events,
    );
    expect(state.status).toBe("excepted");
    expect(nextDueAt(state, policy)).toBe("2026-11-25T00:00:00.000Z");
  });

  it("given an exception that expired past the agreed date, when the timer fires, then the date is missed at once", () => {
    const given = play(
      policy,
      [
        [T0, act(ALICE, { action: "date_propose", date: "2026-11-20" })],
        [T0, act(SAM, { action: "date_agree", date: null })],
        [T0, request("2026-11-25T00:00:00.000Z")],
        [T0, act(SAM, { action: "exception_approve", reason: null })],
      ],
      opened().events,
    );
    const { events, after } = givenWhen(policy, given.events, TIMER, "2026-11-25T00:00:00.000Z");
    expect(types(events)).toEqual(["exception.expired", "date.missed", "sla.breached"]);
    expect(after?.status).toBe("breached");
  });

  it("given an untracked or a resolved case, then nothing is due", () => {
    expect(
      nextDueAt(
        play(policy, [[T0, seen(T0, { severity: "INFORMATIONAL", controlId: "S3.1" })]]).state,
        policy,
      ),
    ).toBeNull();
    expect(
      nextDueAt(play(policy, [[T0, seen(T0, { complianceStatus: "PASSED" })]]).state, policy),
    ).toBeNull();
  });
});

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => {
    const item = items[int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  };
  return { next, int, pick };
}

type Rng = ReturnType<typeof prng>;

const PEOPLE = [ALICE, BOB, SAM, SUE, CISO];
const SEVERITIES: Severity[] = ["HIGH", "HIGH", "CRITICAL", "MEDIUM", "LOW", "INFORMATIONAL"];
const STATUSES: WorkflowStatus[] = [
  "NEW",
  "NOTIFIED",
  "NOTIFIED",
  "NOTIFIED",
  "SUPPRESSED",
  "SUPPRESSED",
  "RESOLVED",
];
const VERSIONS = [null, "1.34", "1.35", "1.31", "1.99"];
const resource = finding().resources[0];

function day(iso: string): string {
  return iso.slice(0, 10);
}

function randomObservation(rng: Rng, c: Case | null, now: string): EngineInput {
  const roll = rng.next();
  // The bot's own update coming back (same provider version, later ProcessedAt, the bot's note).
  if (c?.lastBotUpdate && roll < 0.15) {
    return observed(
      finding({
        updatedAt: c.latest.updatedAt,
        processedAt: now,
        severity: c.severity,
        workflowStatus: c.lastBotUpdate.workflowStatus,
        note: { text: c.lastBotUpdate.note, updatedBy: "securityhub-governor" },
      }),
    );
  }
  const updatedAt = c && roll < 0.25 ? plus(c.latest.updatedAt, -rng.int(5) * DAY) : now; // sometimes stale
  const version = rng.pick(VERSIONS);
  const overrides: Partial<Finding> = {
    updatedAt,
    processedAt: updatedAt,
    severity: c && rng.next() < 0.75 ? c.severity : rng.pick(SEVERITIES),
    workflowStatus: rng.pick(STATUSES),
    complianceStatus: rng.next() < 0.07 ? "PASSED" : "FAILED",
    recordState: rng.next() < 0.02 ? "ARCHIVED" : "ACTIVE",
    controlId: c ? (c.controlId ?? null) : rng.pick(["EKS.2", "EKS.2", "S3.1"]),
    note: rng.next() < 0.5 ? null : { text: "looked at it", updatedBy: "someone" },
  };
  if (resource) {
    overrides.resources = [
      { ...resource, details: version ? { AwsEksCluster: { Version: version } } : null },
    ];
  }
  return observed(finding(overrides));
}

function memberOf(rng: Rng, teams: string[]): { user: string; team: string } {
  const team = rng.pick(teams);
  return rng.pick(PEOPLE.filter((person) => person.team === team));
}

/** Mostly someone entitled to act (so the sequence gets somewhere), sometimes anyone. */
function randomHuman(rng: Rng, c: Case, now: string): EngineInput {
  const anyone = rng.next() < 0.25;
  const roleTeams = [c.owner, c.counterpart];
  const deadline = c.upgrade?.deadline ? Date.parse(c.upgrade.deadline) : Date.parse(plus(now, 40 * DAY));
  const daysLeft = Math.max(1, Math.floor((deadline - Date.parse(now)) / DAY));
  const date = day(plus(now, (rng.int(daysLeft + 3) - 1) * DAY));
  const proposal = c.upgrade?.proposal ?? null;
  const pending = c.exception?.status === "requested" ? c.exception : null;
  const kinds = ["claim", "request", "decide", "decide", "propose", "counter", "agree", "agree"] as const;
  // Cases without an upgrade rule refuse every date action; ask them rarely.
  const kind = c.upgrade || rng.next() < 0.1 ? rng.pick(kinds) : rng.pick(kinds.slice(0, 4));
  switch (kind) {
    case "claim":
      return act(anyone ? rng.pick(PEOPLE) : memberOf(rng, roleTeams), { action: "claim" });
    case "request":
      return act(anyone ? rng.pick(PEOPLE) : memberOf(rng, roleTeams), {
        action: "exception_request",
        justification: rng.next() < 0.1 ? "" : "x".repeat(rng.int(700) + 1),
        expiresAt: plus(now, (rng.int(100) + 1) * DAY - rng.int(2) * HOUR),
      });
    case "decide": {
      const deciders = pending ? roleTeams.filter((team) => team !== pending.requester.team) : roleTeams;
      const who = anyone || deciders.length === 0 ? rng.pick(PEOPLE) : memberOf(rng, deciders);
      return rng.next() < 0.75
        ? act(who, { action: "exception_approve", reason: rng.next() < 0.5 ? null : "ok" })
        : act(who, { action: "exception_reject", reason: null });
    }
    case "propose":
    case "counter": {
      const teams = c.upgrade?.teams ?? roleTeams;
      const who = anyone ? rng.pick(PEOPLE) : memberOf(rng, teams);
      return act(who, { action: kind === "propose" ? "date_propose" : "date_counter", date });
    }
    case "agree": {
      const waiting = (c.upgrade?.teams ?? roleTeams).filter(
        (team) => !proposal?.acceptedBy.some((accepted) => accepted.team === team),
      );
      const who = anyone || waiting.length === 0 ? rng.pick(PEOPLE) : memberOf(rng, waiting);
      const named = rng.next() < 0.8 ? (proposal?.date ?? date) : date;
      return act(who, { action: "date_agree", date: rng.next() < 0.5 ? null : named });
    }
  }
}

function randomInput(rng: Rng, c: Case | null, now: string): EngineInput {
  if (c === null) return randomObservation(rng, c, now);
  const roll = rng.next();
  if (roll < 0.25) return randomObservation(rng, c, now);
  if (roll < 0.5) return TIMER;
  if (roll < 0.9) return randomHuman(rng, c, now);
  if (roll < 0.95) {
    return {
      type: "suppressor_found",
      suppressedBy: rng.next() < 0.7 ? "arn:aws:iam::111111111111:user/mallory" : null,
      suppressedByType: "BATCH_UPDATE_FINDINGS",
      suppressedAt: now,
      error: null,
    };
  }
  return {
    type: "effect_failed",
    effect: "securityhub.update",
    purpose: rng.pick(["revert_suppression", "apply_exception", "exception_expired"] as const),
    error: "ConcurrentUpdateError",
  };
}

function advance(rng: Rng, c: Case | null, now: string): string {
  const due = c ? nextDueAt(c, policy) : null;
  const roll = rng.next();
  // Often land exactly on the next due time, where off-by-one mistakes live.
  if (due && Date.parse(due) > Date.parse(now) && roll < 0.3) return due;
  if (roll < 0.45) return now;
  if (roll < 0.7) return plus(now, rng.int(12) * HOUR);
  return plus(now, rng.int(8) * DAY + rng.int(24) * HOUR);
}

describe("engine: properties over random input sequences", () => {
  const SEEDS = 60;
  const STEPS = 80;

  it("given any sequence of inputs, then replaying the events from nothing gives the case built step by step, and after a timer nothing is due at or before now", () => {
    const teamNames = new Set(Object.keys(policy.teams));
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const rng = prng(seed);
      let now = "2026-11-01T06:00:00.000Z";
      let state: Case | null = null;
      const log: CaseEvent[] = [];
      const seenTypes = new Set<string>();
      for (let step = 0; step < STEPS; step += 1) {
        now = advance(rng, state, now);
        const input = randomInput(rng, state, now);
        const where = `seed ${seed}, step ${step} (${input.type}${input.type === "human" ? `:${input.action}` : ""} at ${now})`;
        const result = decide(state, input, policy, new Date(now));

        if (result.refusal !== null) {
          expect(result.events, where).toEqual([]);
          expect(result.effects, where).toEqual([]);
          expect(result.refusal.message.length, where).toBeGreaterThan(0);
          continue;
        }
        for (const event of result.events) {
          expect(event.at, where).toBe(now);
          seenTypes.add(event.type);
        }
        for (const effect of result.effects) {
          if (effect.kind === "securityhub.update") {
            expect(effect.note.length, where).toBeGreaterThan(0);
            expect(effect.note.length, where).toBeLessThanOrEqual(NOTE_MAX);
          }
          if (effect.kind === "notify") {
            expect(effect.teams.length, where).toBeGreaterThan(0);
            for (const team of effect.teams) expect(teamNames.has(team), where).toBe(true);
          }
        }

        state = result.events.reduce<Case | null>((c, event) => evolve(c, event), state);
        log.push(...result.events);
        if (!state) continue;
        expect(state.version, where).toBe(log.length);

        if (input.type === "timer_due") {
          const due = nextDueAt(state, policy);
          if (due !== null)
            expect(Date.parse(due), `${where}: next due ${due}`).toBeGreaterThan(Date.parse(now));
          // Timers are idempotent: firing again at the same instant decides nothing.
          const again = decide(state, TIMER, policy, new Date(now));
          expect(again.events, where).toEqual([]);
          expect(again.effects, where).toEqual([]);
        }
        // An exception that holds keeps the clock stopped, and only an approved exception stops it.
        if (state.status === "excepted" && exceptionHolds(state, now) && state.sla) {
          expect(state.sla.pausedSince, where).not.toBeNull();
        }
        if (state.sla?.pausedSince) expect(state.exception?.status, where).toBe("approved");
        if (step % 20 === 19) expect(applyEvents(null, log), where).toEqual(state);
      }
      expect(applyEvents(null, log), `seed ${seed}`).toEqual(state);
      expect(seenTypes.size, `seed ${seed} exercised too little`).toBeGreaterThan(3);
    }
  });
});
