import { z } from "zod";
import type { Policy } from "../engine/policy.js";
import { ShgovError } from "../errors.js";
import { parseDuration } from "../policy/units.js";
import type { ReportRequest } from "./build-report.js";
import { formatInstant } from "./format.js";

/** The longest period a report covers: the trend looks back 8 weeks anyway; a year is plenty. */
const MAX_PERIOD_MS = 366 * 86_400_000;

/** A duration back from `until` (7d, 12h, 2w) or a date or instant (2026-11-01, 2026-11-01T09:00:00Z). */
const instantOrDuration = z.string().trim().min(1);

/** What a person asks for: `--since 7d --until 2026-11-30 --team platform`, or the same as a query string. */
export const reportQuerySchema = z.object({
  since: instantOrDuration.default("7d"),
  until: instantOrDuration.optional(),
  team: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]+$/, "a team name: letters, digits, - and _")
    .optional(),
});
export type ReportQuery = z.input<typeof reportQuerySchema>;

/** The policy's teams, and those a report lists: every team that owns cases by the routing. */
export function reportTeams(policy: Policy): { known: string[]; owners: string[] } {
  return {
    known: Object.keys(policy.teams).sort(),
    owners: [...new Set(policy.routing.map((rule) => rule.owner))].sort(),
  };
}

export class ReportQueryError extends ShgovError {
  override name = "ReportQueryError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super("report.query_invalid", `${field}: ${message}`);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;

/** A calendar date that exists (2026-02-30 does not). */
function realDate(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return (
    date.getUTCFullYear() === Number(year) &&
    date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === Number(day)
  );
}

/** 2026-11-01 (midnight UTC), or 2026-11-01T09:00[:00[.000]] with Z or an offset (UTC when none). */
function instant(field: string, text: string): Date {
  const fail = () =>
    new ReportQueryError(
      field,
      `"${text}" is neither a duration (7d, 12h, 2w) nor a date (2026-11-01) or instant (2026-11-01T09:00Z)`,
    );
  const date = DATE.exec(text);
  if (date) {
    const [, year = "", month = "", day = ""] = date;
    if (!realDate(year, month, day)) throw fail();
    return new Date(`${text}T00:00:00Z`);
  }
  const at = INSTANT.exec(text);
  if (!at) throw fail();
  const [, year = "", month = "", day = "", hour = "", minute = "", second = "0", zone] = at;
  if (!realDate(year, month, day) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)
    throw fail();
  const parsed = Date.parse(zone ? text : `${text}Z`);
  if (Number.isNaN(parsed)) throw fail();
  return new Date(parsed);
}

/**
 * Turns a person's report query into a period and a team: `since` a duration back from `until`
 * or a date, `until` (default now) a date or instant, `team` one of the policy's teams.
 */
export function parseReportQuery(
  query: ReportQuery,
  now: Date,
  teams: { known: readonly string[]; owners: readonly string[] },
): ReportRequest {
  const parsed = reportQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ReportQueryError(String(issue?.path[0] ?? "query"), issue?.message ?? "invalid");
  }
  const { since: sinceText, until: untilText, team } = parsed.data;
  const until = untilText === undefined ? now : instant("until", untilText);
  if (until.getTime() > now.getTime() + 60_000) {
    throw new ReportQueryError(
      "until",
      `the period cannot end in the future (now is ${formatInstant(now.toISOString())})`,
    );
  }
  const back = parseDuration(sinceText);
  const since = back === null ? instant("since", sinceText) : new Date(until.getTime() - back);
  if (since.getTime() >= until.getTime()) {
    throw new ReportQueryError(
      "since",
      `the period must start before it ends (${formatInstant(until.toISOString())})`,
    );
  }
  if (until.getTime() - since.getTime() > MAX_PERIOD_MS) {
    throw new ReportQueryError("since", "a report covers at most 366 days");
  }
  if (team !== undefined && !teams.known.includes(team)) {
    throw new ReportQueryError("team", `no team "${team}" in the policy (teams: ${teams.known.join(", ")})`);
  }
  return { since, until, team: team ?? null, teams: [...teams.owners] };
}
