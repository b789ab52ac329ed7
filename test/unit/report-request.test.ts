import { describe, expect, it } from "vitest";
import { parseReportQuery, ReportQueryError } from "../../src/report/report-request.js";

const NOW = new Date("2026-11-30T14:00:00.000Z");
const TEAMS = { known: ["leadership", "platform", "security"], owners: ["platform", "security"] };
const parse = (query: Parameters<typeof parseReportQuery>[0]) => parseReportQuery(query, NOW, TEAMS);
const refusal = (query: Parameters<typeof parseReportQuery>[0]) => {
  try {
    parse(query);
  } catch (error) {
    if (error instanceof ReportQueryError) return error.message;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(query)}`);
};

describe("a report query", () => {
  it("given nothing, is the 7 days before now, every team, listing the owner teams", () => {
    expect(parse({})).toEqual({
      since: new Date("2026-11-23T14:00:00.000Z"),
      until: NOW,
      team: null,
      teams: ["platform", "security"],
    });
  });

  it("given a duration, counts back from --until; given a date, starts at its midnight UTC", () => {
    expect(parse({ since: "2w", until: "2026-11-29" }).since).toEqual(new Date("2026-11-15T00:00:00.000Z"));
    expect(parse({ since: "12h" }).since).toEqual(new Date("2026-11-30T02:00:00.000Z"));
    expect(parse({ since: "2026-11-01" }).since).toEqual(new Date("2026-11-01T00:00:00.000Z"));
  });

  it("given an instant, takes its offset, and UTC when it has none", () => {
    expect(parse({ since: "2026-11-01T09:00Z" }).since).toEqual(new Date("2026-11-01T09:00:00.000Z"));
    expect(parse({ since: "2026-11-01T09:00:00-03:00" }).since).toEqual(new Date("2026-11-01T12:00:00.000Z"));
    expect(parse({ since: "2026-11-01T09:00:30.5" }).since).toEqual(new Date("2026-11-01T09:00:30.500Z"));
  });

  it.each([
    ["last week"],
    ["2026-02-30"],
    ["2026-13-45"],
    ["2026-11-01junk"],
    ["2026-11-01 09:00"],
    ["2026-11-01T25:00Z"],
    ["Nov 1 2026"],
    ["0d"],
  ])("given --since %s, refuses it naming the option", (since) => {
    expect(refusal({ since })).toBe(
      `since: "${since}" is neither a duration (7d, 12h, 2w) nor a date (2026-11-01) or instant (2026-11-01T09:00Z)`,
    );
  });

  it("refuses a period that ends in the future, ends before it starts, or covers more than a year", () => {
    expect(refusal({ until: "2026-12-01" })).toBe(
      "until: the period cannot end in the future (now is 2026-11-30 14:00 UTC)",
    );
    expect(refusal({ since: "2026-11-29", until: "2026-11-28" })).toBe(
      "since: the period must start before it ends (2026-11-28 00:00 UTC)",
    );
    expect(refusal({ since: "2025-01-01" })).toBe("since: a report covers at most 366 days");
  });

  it("takes any team of the policy, also one that owns nothing, and refuses others", () => {
    expect(parse({ team: "leadership" }).team).toBe("leadership");
    expect(refusal({ team: "marketing" })).toBe(
      'team: no team "marketing" in the policy (teams: leadership, platform, security)',
    );
    expect(refusal({ team: "a b" })).toBe("team: a team name: letters, digits, - and _");
  });
});
