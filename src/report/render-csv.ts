import { CASE_STATUSES } from "../engine/case.js";
import { DAY_MS } from "../engine/durations.js";
import { SEVERITIES } from "../engine/finding.js";
import { AGE_BUCKETS, type Report, type TeamFigures } from "./model.js";

/**
 * The report as one long-format CSV table (`section,team,metric,key,value`), for spreadsheets and
 * BI tools: one row per figure, per list item field and per trend week. Overall figures have team
 * "all"; durations are days, compliance a ratio from 0 to 1, money USD; an unknown value is empty.
 */

export const CSV_HEADER = ["section", "team", "metric", "key", "value"] as const;

/** The team column for the figures of every team together. */
export const CSV_ALL_TEAMS = "all";

type Value = string | number | null;

interface Row {
  section: string;
  team: string;
  metric: string;
  key: string;
  value: Value;
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Spreadsheets run a cell that starts with = + - @ (or tab, CR) as a formula, and titles and
 * identities come from outside: such text gets a leading apostrophe. Numbers stay numbers.
 */
export function neutralizeFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) && !NUMBER_TEXT.test(text) ? `'${text}` : text;
}

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, and quotes inside it are doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function cellText(value: Value): string {
  if (value === null) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  return neutralizeFormula(value);
}

/** Figures keep more precision than the Markdown and HTML show, but not float noise. */
function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function days(ms: number): number {
  return round(ms / DAY_MS, 3);
}

function teamRows(f: TeamFigures): Row[] {
  const team = f.team ?? CSV_ALL_TEAMS;
  const row = (section: string, metric: string, key: string, value: Value): Row => ({
    section,
    team,
    metric,
    key,
    value,
  });
  return [
    row("open", "total", "", f.open.total),
    ...SEVERITIES.map((severity) => row("open", "by_severity", severity, f.open.bySeverity[severity])),
    ...AGE_BUCKETS.map((bucket) => row("open", "by_age", bucket.label, f.open.byAge[bucket.label])),
    ...CASE_STATUSES.flatMap((status) =>
      status === "resolved" ? [] : [row("open", "by_status", status, f.open.byStatus[status])],
    ),
    row("flow", "opened", "", f.opened),
    row("flow", "reopened", "", f.reopened),
    row("flow", "closed", "", f.closed),
    row("sla", "closed_with_deadline", "", f.sla.closedWithDeadline),
    row("sla", "closed_within_sla", "", f.sla.closedWithinSla),
    row("sla", "compliance", "", f.sla.compliance === null ? null : round(f.sla.compliance, 4)),
    row("sla", "open_past_due", "", f.sla.openPastDue),
    row("sla", "breaches", "", f.breaches),
    ...f.timeToRemediate.flatMap((t) => [
      row("time_to_remediate", "resolved", t.severity, t.count),
      row("time_to_remediate", "mean_days", t.severity, days(t.meanMs)),
      row("time_to_remediate", "median_days", t.severity, days(t.medianMs)),
    ]),
    ...f.escalationsByLevel.map((entry) => row("escalations", "by_level", String(entry.level), entry.count)),
    row("suppressions", "blocked", "", f.suppressionsBlocked),
    row("exceptions", "approved", "", f.exceptions.approved),
    row("exceptions", "rejected", "", f.exceptions.rejected),
    row("exceptions", "expired", "", f.exceptions.expired),
    row("exceptions", "expiring_soon", "", f.exceptions.expiringSoon),
    row("upgrade_dates", "agreed", "", f.upgradeDates.agreed),
    row("upgrade_dates", "missing", "", f.upgradeDates.missing),
    row("upgrade_dates", "missed", "", f.upgradeDates.missed),
  ];
}

/** A list's size rows: `total` in all, `listed` as rows below (fewer once cut at LIST_LIMIT). */
function listSize(section: string, list: { total: number; items: unknown[] }): Row[] {
  return [
    { section, team: CSV_ALL_TEAMS, metric: "total", key: "", value: list.total },
    { section, team: CSV_ALL_TEAMS, metric: "listed", key: "", value: list.items.length },
  ];
}

/** One row per field of a list item (its case_ref, SHG-42, among them), keyed by its case (finding) id. */
function itemRows(section: string, team: string, caseId: string, fields: Record<string, Value>): Row[] {
  return Object.entries(fields).map(([metric, value]) => ({ section, team, metric, key: caseId, value }));
}

function listRows(report: Report): Row[] {
  const suppressions = report.suppressionsBlocked;
  const exceptions = report.exceptionsExpiring;
  const upgrades = report.upgradeDatesMissing;
  return [
    ...listSize("suppression_blocked", suppressions),
    ...suppressions.items.flatMap((item) =>
      itemRows("suppression_blocked", item.team, item.caseId, {
        case_ref: item.caseRef,
        suppressed_by: item.suppressedBy,
        title: item.title,
        account_id: item.accountId,
        blocked_at: item.blockedAt,
      }),
    ),
    ...suppressions.byActor.map((entry) => ({
      section: "suppression_blocked_by_actor",
      team: CSV_ALL_TEAMS,
      metric: "blocked",
      key: entry.actor,
      value: entry.count,
    })),
    ...listSize("exception_expiring", exceptions),
    ...exceptions.items.flatMap((item) =>
      itemRows("exception_expiring", item.team, item.caseId, {
        case_ref: item.caseRef,
        exception_id: item.exceptionId,
        expires_at: item.expiresAt,
        requested_by: item.requestedBy,
        approved_by: item.approvedBy,
        title: item.title,
      }),
    ),
    ...listSize("upgrade_date_missing", upgrades),
    ...upgrades.items.flatMap((item) =>
      itemRows("upgrade_date_missing", item.team, item.caseId, {
        case_ref: item.caseRef,
        days_left: item.daysLeft,
        deadline: item.deadline,
        resource_id: item.resourceId,
        eks_version: item.eksVersion,
        title: item.title,
      }),
    ),
  ];
}

function extendedSupportRows(report: Report): Row[] {
  const ext = report.extendedSupport;
  const row = (metric: string, key: string, value: Value): Row => ({
    section: "eks_extended_support",
    team: CSV_ALL_TEAMS,
    metric,
    key,
    value,
  });
  return [
    row("clusters", "", ext.clusters),
    row("clusters_past_extended_support", "", ext.clustersPastExtendedSupport),
    row("usd_per_hour", "", ext.usdPerHour),
    row("standard_usd_per_hour", "", ext.standardUsdPerHour),
    row("extra_usd_per_30_days", "", round(ext.extraUsdPer30Days, 2)),
    row("hours_in_period", "", ext.hoursInPeriod),
    row("cost_in_period_usd", "", round(ext.costInPeriodUsd, 2)),
    row("extra_in_period_usd", "", round(ext.extraInPeriodUsd, 2)),
    ...ext.byVersion.flatMap((v) => [
      row("clusters_by_version", v.version, v.clusters),
      row("end_of_standard_support", v.version, v.endOfStandardSupport),
      row("end_of_extended_support", v.version, v.endOfExtendedSupport),
      row("status", v.version, v.pastExtendedSupport ? "past_extended_support" : "on_extended_support"),
    ]),
  ];
}

function trendRows(report: Report): Row[] {
  const team = report.team ?? CSV_ALL_TEAMS;
  return report.trend.flatMap((point) => [
    { section: "trend", team, metric: "open", key: point.weekEnding, value: point.open },
    {
      section: "trend",
      team,
      metric: "closed_with_deadline",
      key: point.weekEnding,
      value: point.closedWithDeadline,
    },
    {
      section: "trend",
      team,
      metric: "closed_within_sla",
      key: point.weekEnding,
      value: point.closedWithinSla,
    },
    {
      section: "trend",
      team,
      metric: "compliance",
      key: point.weekEnding,
      value: point.compliance === null ? null : round(point.compliance, 4),
    },
  ]);
}

function reportRows(report: Report): Row[] {
  const row = (metric: string, value: Value): Row => ({
    section: "report",
    team: report.team ?? CSV_ALL_TEAMS,
    metric,
    key: "",
    value,
  });
  return [
    row("generated_at", report.generatedAt),
    row("period_since", report.period.since),
    row("period_until", report.period.until),
  ];
}

/** The weekly report as CSV (RFC 4180, CRLF line ends, header row first). */
export function renderCsv(report: Report): string {
  const rows = [
    ...reportRows(report),
    ...teamRows(report.overall),
    ...report.teams.flatMap(teamRows),
    ...listRows(report),
    ...extendedSupportRows(report),
    ...trendRows(report),
  ];
  const lines = [
    CSV_HEADER.join(","),
    ...rows.map((r) =>
      [r.section, r.team, r.metric, r.key, r.value].map((field) => csvField(cellText(field))).join(","),
    ),
  ];
  return `${lines.join("\r\n")}\r\n`;
}
