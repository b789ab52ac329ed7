import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case, CaseEvent } from "../../src/engine/case.js";
import { EKS_CALENDAR } from "../../src/engine/eks-calendar.js";
import { SEVERITIES } from "../../src/engine/finding.js";
import { buildReport } from "../../src/report/build-report.js";
import type { Report, TeamFigures } from "../../src/report/model.js";
import type { Database } from "../../src/store/database.js";
import { examplePolicy } from "../support/engine.js";
import { type GeneratedCase, generateHistory, storeHistory } from "../support/report-dataset.js";
import { openTestStore, STORE_KINDS } from "../support/stores.js";

/**
 * Every figure of the report against a simple, separate implementation: plain loops over the
 * cases' final states and their events as the engine decided them, with no SQL. The data set is
 * a seeded history of 600 cases over twelve weeks, decided by the real engine.
 */
const UNTIL = "2026-11-30T12:00:00.000Z";
const DAY = 86_400_000;
const WEEK = 7 * DAY;
const SINCE = new Date(Date.parse(UNTIL) - WEEK).toISOString();
const policy = examplePolicy();
const history = generateHistory(policy, {
  seed: 20261130,
  cases: 600,
  until: UNTIL,
  weeksBack: 12,
  // Events after the report's end: the trend must take them out of today's open count.
  afterUntilMs: 2 * DAY,
});

const inPeriod = (at: string, since = SINCE, until = UNTIL) =>
  Date.parse(at) >= Date.parse(since) && Date.parse(at) < Date.parse(until);
const isOpen = (state: Case) => state.status !== "resolved";

/** The separate implementation, one function per figure; `team` null = every team. */
const expected = {
  cases(team: string | null): GeneratedCase[] {
    return history.filter((c) => team === null || c.state.owner === team);
  },
  events(team: string | null, type: string): { c: GeneratedCase; event: CaseEvent }[] {
    return expected
      .cases(team)
      .flatMap((c) => c.events.map((event) => ({ c, event })))
      .filter(({ event }) => event.type === type && inPeriod(event.at));
  },
  figures(team: string | null) {
    const open = expected.cases(team).filter((c) => isOpen(c.state));
    const ageDays = (c: GeneratedCase) => (Date.parse(UNTIL) - Date.parse(c.state.openedAt)) / DAY;
    const count = (type: string) => expected.events(team, type).length;
    const resolutions = expected.events(team, "case.resolved").map(({ event }) => event);
    const withDeadline = resolutions.filter(
      (event) => event.type === "case.resolved" && event.dueAt !== null,
    );
    const within = withDeadline.filter(
      (event) => event.type === "case.resolved" && Date.parse(event.at) <= Date.parse(event.dueAt as string),
    );
    const levels = new Map<number, number>();
    for (const { event } of expected.events(team, "escalated")) {
      if (event.type === "escalated") levels.set(event.level, (levels.get(event.level) ?? 0) + 1);
    }
    return {
      openTotal: open.length,
      bySeverity: Object.fromEntries(
        SEVERITIES.map((s) => [s, open.filter((c) => c.state.severity === s).length]),
      ),
      byAge: {
        "0-7d": open.filter((c) => ageDays(c) < 7).length,
        "7-30d": open.filter((c) => ageDays(c) >= 7 && ageDays(c) < 30).length,
        "30-90d": open.filter((c) => ageDays(c) >= 30 && ageDays(c) < 90).length,
        "90-180d": open.filter((c) => ageDays(c) >= 90 && ageDays(c) < 180).length,
        "180d+": open.filter((c) => ageDays(c) >= 180).length,
      },
      byStatus: Object.fromEntries(
        ["open", "excepted", "awaiting_date", "date_agreed", "breached"].map((s) => [
          s,
          open.filter((c) => c.state.status === s).length,
        ]),
      ),
      pastDue: open.filter(
        (c) =>
          c.state.status !== "excepted" &&
          c.state.slaDueAt !== null &&
          Date.parse(c.state.slaDueAt) < Date.parse(UNTIL),
      ).length,
      opened: count("case.opened"),
      reopened: count("case.reopened"),
      closed: resolutions.length,
      closedWithDeadline: withDeadline.length,
      closedWithinSla: within.length,
      breaches: count("sla.breached"),
      escalations: [...levels.entries()].sort(([a], [b]) => a - b).map(([level, n]) => ({ level, count: n })),
      suppressionsBlocked: count("suppression.blocked"),
      approved: count("exception.approved"),
      rejected: count("exception.rejected"),
      expired: count("exception.expired"),
      agreed: count("date.agreed") + count("date.changed"),
      missed: count("date.missed"),
      expiringSoon: open.filter((c) => {
        const e = c.state.exception;
        if (c.state.status !== "excepted" || e?.status !== "approved") return false;
        const left = Date.parse(e.expiresAt) - Date.parse(UNTIL);
        return left >= 0 && left < 14 * DAY;
      }).length,
      missing: open.filter((c) => c.state.upgrade !== null && c.state.upgrade.agreed === null).length,
    };
  },
  timeToRemediate(team: string | null) {
    const bySeverity = new Map<string, number[]>();
    for (const { event } of expected.events(team, "case.resolved")) {
      if (event.type !== "case.resolved") continue;
      bySeverity.set(event.severity, [...(bySeverity.get(event.severity) ?? []), event.timeToRemediateMs]);
    }
    return [...SEVERITIES]
      .reverse()
      .filter((s) => bySeverity.has(s))
      .map((severity) => {
        const values = [...(bySeverity.get(severity) ?? [])].sort((a, b) => a - b);
        const middle = values.length / 2;
        const median =
          values.length % 2 === 1
            ? (values[Math.floor(middle)] as number)
            : ((values[middle - 1] as number) + (values[middle] as number)) / 2;
        const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
        return { severity, count: values.length, meanMs: Math.round(mean), medianMs: Math.round(median) };
      });
  },
};

function actualFigures(figures: TeamFigures) {
  return {
    openTotal: figures.open.total,
    bySeverity: figures.open.bySeverity,
    byAge: figures.open.byAge,
    byStatus: figures.open.byStatus,
    pastDue: figures.sla.openPastDue,
    opened: figures.opened,
    reopened: figures.reopened,
    closed: figures.closed,
    closedWithDeadline: figures.sla.closedWithDeadline,
    closedWithinSla: figures.sla.closedWithinSla,
    breaches: figures.breaches,
    escalations: figures.escalationsByLevel,
    suppressionsBlocked: figures.suppressionsBlocked,
    approved: figures.exceptions.approved,
    rejected: figures.exceptions.rejected,
    expired: figures.exceptions.expired,
    agreed: figures.upgradeDates.agreed,
    missed: figures.upgradeDates.missed,
    expiringSoon: figures.exceptions.expiringSoon,
    missing: figures.upgradeDates.missing,
  };
}

describe.each(STORE_KINDS)("the governance report's figures (%s)", (kind) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let report: Report;

  beforeAll(async () => {
    ({ db, cleanup } = await openTestStore(kind));
    await storeHistory(db, history);
    report = await buildReport(db, {
      since: new Date(SINCE),
      until: new Date(UNTIL),
      team: null,
      teams: ["platform", "security"],
    });
  }, 120_000);
  afterAll(async () => cleanup?.());

  it("the data set exercises every figure (a report of zeroes would prove nothing)", () => {
    const all = expected.figures(null);
    for (const [name, value] of Object.entries(all)) {
      if (typeof value === "number") expect(value, name).toBeGreaterThan(0);
    }
    expect(all.escalations.length).toBeGreaterThanOrEqual(2);
  });

  it("per team and overall: open cases by severity, age and status; opened, closed; SLA; breaches; escalations; suppressions; exceptions; upgrade dates", () => {
    expect(report.teams.map((t) => t.team)).toEqual(["platform", "security"]);
    expect(actualFigures(report.overall)).toEqual(expected.figures(null));
    for (const team of report.teams)
      expect(actualFigures(team), String(team.team)).toEqual(expected.figures(team.team));
    const sla = report.overall.sla;
    expect(sla.compliance).toBeCloseTo(sla.closedWithinSla / sla.closedWithDeadline, 10);
  });

  it("mean and median time to remediate by severity, per team and over every team", () => {
    expect(report.overall.timeToRemediate).toEqual(expected.timeToRemediate(null));
    for (const team of report.teams)
      expect(team.timeToRemediate).toEqual(expected.timeToRemediate(team.team));
  });

  it("suppressions blocked in the period, each with who set SUPPRESSED", () => {
    const blocked = history
      .flatMap((c) =>
        c.events.flatMap((event, index) => {
          if (event.type !== "suppression.blocked" || !inPeriod(event.at)) return [];
          const attribution = c.events
            .slice(index + 1)
            .find((later) => later.type === "suppression.attributed");
          const who = attribution?.type === "suppression.attributed" ? attribution.suppressedBy : null;
          return [{ caseId: c.state.id, blockedAt: event.at, suppressedBy: who }];
        }),
      )
      .sort((a, b) => b.blockedAt.localeCompare(a.blockedAt) || a.caseId.localeCompare(b.caseId));
    expect(report.suppressionsBlocked.total).toBe(blocked.length);
    expect(
      report.suppressionsBlocked.items.map(({ caseId, blockedAt, suppressedBy }) => ({
        caseId,
        blockedAt,
        suppressedBy,
      })),
    ).toEqual(blocked);
    const byActor = new Map<string, number>();
    for (const b of blocked)
      byActor.set(b.suppressedBy ?? "unknown", (byActor.get(b.suppressedBy ?? "unknown") ?? 0) + 1);
    expect(new Map(report.suppressionsBlocked.byActor.map((a) => [a.actor, a.count]))).toEqual(byActor);
  });

  it("exceptions expiring in the next 14 days and upgrade dates still missing, with the days left", () => {
    const expiring = history
      .filter(
        (c) => isOpen(c.state) && c.state.status === "excepted" && c.state.exception?.status === "approved",
      )
      .filter((c) => {
        const left = Date.parse(c.state.exception?.expiresAt as string) - Date.parse(UNTIL);
        return left >= 0 && left < 14 * DAY;
      })
      .map((c) => ({ caseId: c.state.id, expiresAt: c.state.exception?.expiresAt }))
      .sort(
        (a, b) => String(a.expiresAt).localeCompare(String(b.expiresAt)) || a.caseId.localeCompare(b.caseId),
      );
    expect(report.exceptionsExpiring.items.map(({ caseId, expiresAt }) => ({ caseId, expiresAt }))).toEqual(
      expiring,
    );

    const missing = history.filter(
      (c) => isOpen(c.state) && c.state.upgrade && c.state.upgrade.agreed === null,
    );
    expect(report.upgradeDatesMissing.total).toBe(missing.length);
    for (const item of report.upgradeDatesMissing.items) {
      const c = missing.find((m) => m.state.id === item.caseId);
      expect(c, item.caseId).toBeDefined();
      const deadline = c?.state.upgrade?.deadline ?? null;
      expect(item.deadline).toBe(deadline);
      expect(item.daysLeft).toBe(
        deadline === null ? null : Math.floor((Date.parse(deadline) - Date.parse(UNTIL)) / DAY),
      );
    }
  });

  it("the extended-support cost of clusters past the end of standard support", () => {
    const clusters = new Map<string, string>(); // cluster -> version
    for (const c of history) {
      const version = c.state.upgrade?.eksVersion;
      if (isOpen(c.state) && version && c.state.resourceId) clusters.set(c.state.resourceId, version);
    }
    let payingNow = 0;
    let hours = 0;
    for (const version of clusters.values()) {
      const calendar = EKS_CALENDAR[version];
      if (!calendar) continue;
      const standardEnds = Date.parse(`${calendar.endOfStandardSupport}T00:00:00Z`);
      const extendedEnds = Date.parse(`${calendar.endOfExtendedSupport}T00:00:00Z`);
      if (standardEnds <= Date.parse(UNTIL) && extendedEnds > Date.parse(UNTIL)) payingNow += 1;
      const from = Math.max(standardEnds, Date.parse(SINCE));
      const to = Math.min(extendedEnds, Date.parse(UNTIL));
      if (to > from) hours += (to - from) / 3_600_000;
    }
    expect(payingNow).toBeGreaterThan(0);
    const eks = report.extendedSupport;
    expect(eks.clusters).toBe(payingNow);
    expect(eks.usdPerHour).toBeCloseTo(payingNow * 0.6, 2);
    expect(eks.standardUsdPerHour).toBeCloseTo(payingNow * 0.1, 2);
    expect(eks.extraUsdPer30Days).toBeCloseTo(payingNow * 0.5 * 24 * 30, 2);
    expect(eks.hoursInPeriod).toBeCloseTo(hours, 1);
    expect(eks.costInPeriodUsd).toBeCloseTo(hours * 0.6, 1);
  });

  it("the trend: open cases at the end of each of the last 8 weeks and that week's SLA compliance", () => {
    const expectedTrend = [7, 6, 5, 4, 3, 2, 1, 0].map((weeksBack) => {
      const end = Date.parse(UNTIL) - weeksBack * WEEK;
      const open = history.filter((c) => {
        // Replay: the last opening or resolution before the instant decides.
        let state: "none" | "open" | "resolved" = "none";
        for (const event of c.events) {
          if (Date.parse(event.at) >= end) break;
          if (event.type === "case.opened" || event.type === "case.reopened") state = "open";
          if (event.type === "case.resolved") state = "resolved";
        }
        return state === "open";
      }).length;
      const resolved = history
        .flatMap((c) => c.events)
        .filter(
          (event) =>
            event.type === "case.resolved" &&
            event.dueAt !== null &&
            Date.parse(event.at) >= end - WEEK &&
            Date.parse(event.at) < end,
        );
      const within = resolved.filter(
        (event) =>
          event.type === "case.resolved" && Date.parse(event.at) <= Date.parse(event.dueAt as string),
      ).length;
      return {
        weekEnding: new Date(end).toISOString(),
        open,
        closedWithDeadline: resolved.length,
        closedWithinSla: within,
        compliance: resolved.length === 0 ? null : within / resolved.length,
      };
    });
    expect(report.trend).toEqual(expectedTrend);
  });

  it("for one team, every figure is that team's alone", async () => {
    const platform = await buildReport(db, {
      since: new Date(SINCE),
      until: new Date(UNTIL),
      team: "platform",
      teams: ["platform", "security"],
    });
    expect(platform.teams.map((t) => t.team)).toEqual(["platform"]);
    expect(actualFigures(platform.overall)).toEqual(expected.figures("platform"));
    expect(platform.suppressionsBlocked.items.every((item) => item.team === "platform")).toBe(true);
  });
});
