import { DAY_MS } from "../engine/durations.js";
import { formatInstant } from "../engine/time-text.js";
import type { ReportPeriod, TeamFigures } from "./model.js";

/** An instant as "2026-11-23 07:00 UTC", a calendar day as it is: the one formatter of every human text. */
export { formatInstant };

/** Display formats shared by the report's renderers, so Markdown, HTML and the chart say the same thing. */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const usd = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** "91.7%"; "n/a" when nothing was measured, never 0% (which would read as a failure). */
export function formatPercent(ratio: number | null): string {
  return ratio === null ? "n/a" : `${(ratio * 100).toFixed(1)}%`;
}

/** "91.7% (11/12)": the percentage with what it was computed from. */
export function formatCompliance(sla: {
  compliance: number | null;
  closedWithinSla: number;
  closedWithDeadline: number;
}): string {
  return `${formatPercent(sla.compliance)} (${sla.closedWithinSla}/${sla.closedWithDeadline})`;
}

/** Milliseconds as days with one decimal: "9.3". */
export function formatDays(ms: number): string {
  return (ms / DAY_MS).toFixed(1);
}

export function formatUsd(amount: number): string {
  return usd.format(amount);
}

/** "1 cluster", "2 clusters", "no cluster". */
export function clusterCount(count: number): string {
  if (count === 0) return "no cluster";
  return `${count} cluster${count === 1 ? "" : "s"}`;
}

/**
 * The EKS extended-support figure in one phrase, the same in every renderer: the clusters on
 * extended support (what costs extra) and, apart, those past its end. `money` is what follows the
 * first count ("$360.00 extra per 30 days"); "no cluster" when there is neither.
 */
export function extendedSupportPhrase(
  ext: { clusters: number; clustersPastExtendedSupport: number },
  money: string,
): string {
  const past = ext.clustersPastExtendedSupport;
  if (ext.clusters === 0 && past === 0) return "no cluster";
  const on =
    ext.clusters === 0
      ? "no cluster on extended support"
      : `${clusterCount(ext.clusters)} on extended support, ${money}`;
  return past === 0 ? on : `${on}; ${clusterCount(past)} past the end of extended support`;
}

/** "23 Nov 2026", in UTC so the output does not depend on the machine's time zone. */
export function formatDay(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

export function formatPeriod(period: ReportPeriod): string {
  return `${formatInstant(period.since)} to ${formatInstant(period.until)}`;
}

/** The name of a figures row: the team, or "All teams" for the figures of every team together. */
export function teamLabel(figures: TeamFigures): string {
  return figures.team ?? "All teams";
}

/** What the report covers: "team platform" or "all teams". */
export function scopeLabel(team: string | null): string {
  return team === null ? "all teams" : `team ${team}`;
}

/** "and 3 more" when a list was cut at LIST_LIMIT; empty when everything is listed. */
export function moreNote(list: { total: number; items: unknown[] }): string {
  const more = list.total - list.items.length;
  return more > 0 ? `and ${more} more` : "";
}

/**
 * The rows of a comparison table: one per team, then the total of every team. A report asked for one
 * team has that team's rows only, since its total would repeat them.
 */
export function figureRows(report: {
  team: string | null;
  overall: TeamFigures;
  teams: TeamFigures[];
}): TeamFigures[] {
  if (report.team !== null && report.teams.length > 0) return report.teams;
  return [...report.teams, report.overall];
}
