import { OPEN_STATUSES } from "../engine/case.js";
import { SEVERITIES } from "../engine/finding.js";
import {
  extendedSupportPhrase,
  figureRows,
  formatCompliance,
  formatDay,
  formatDays,
  formatInstant,
  formatPercent,
  formatUsd,
  moreNote,
  teamLabel,
} from "./format.js";
import { AGE_BUCKETS, EXPIRING_SOON_DAYS, type Report, type TeamFigures } from "./model.js";

/**
 * The report's content as sections of facts and tables, written once and serialised by the Markdown
 * and HTML renderers, so both say the same thing in the same order. Text here is raw: each renderer
 * escapes it for its own format.
 */

/** Anchors of the HTML report's sections; Slack messages link to them, so they must not change. */
export const REPORT_SECTION_IDS = {
  summary: "summary",
  open: "open-cases",
  sla: "sla",
  remediation: "time-to-remediate",
  escalations: "escalations",
  suppressions: "suppressions",
  exceptions: "exceptions",
  upgrades: "upgrade-dates",
  eks: "eks-extended-support",
  trend: "trend",
  teams: "teams",
} as const;
export type ReportSectionKey = keyof typeof REPORT_SECTION_IDS;

/** The anchor of one team's figures in the HTML report: "team-platform". */
export function teamSectionId(team: string): string {
  // Policy team names are [a-z0-9_-]; anything else is spelled out so two names never share an id.
  return `team-${team.replace(/[^A-Za-z0-9_-]/g, (char) => `.${char.codePointAt(0)?.toString(16)}.`)}`;
}

/** A table cell: text, a count or amount (right-aligned), or an identifier such as an ARN (monospace). */
export type Cell = string | number | { code: string };

export interface Column {
  label: string;
  numeric?: boolean;
}

export interface ReportTable {
  caption: string;
  columns: Column[];
  rows: Cell[][];
  /** Said instead of the table when it has no rows. */
  empty: string;
  /** "and N more" when the list behind the table was cut at LIST_LIMIT, else "". */
  more: string;
}

export interface Fact {
  label: string;
  value: string;
}

export interface ReportSection {
  key: ReportSectionKey;
  title: string;
  facts: Fact[];
  tables: ReportTable[];
}

export interface TeamSection {
  id: string;
  title: string;
  tables: ReportTable[];
}

/** Most severe first, as people read them. */
const SEVERITIES_DESC = [...SEVERITIES].reverse();

function statusLabel(status: string): string {
  return status.replaceAll("_", " ");
}

function table(
  caption: string,
  columns: (string | Column)[],
  rows: Cell[][],
  empty = "None.",
  more = "",
): ReportTable {
  return {
    caption,
    columns: columns.map((column) => (typeof column === "string" ? { label: column } : column)),
    rows,
    empty,
    more,
  };
}

function num(label: string): Column {
  return { label, numeric: true };
}

function code(text: string | null, absent = "unknown"): Cell {
  return text === null ? absent : { code: text };
}

function escalationLevels(rows: TeamFigures[]): number[] {
  const levels = new Set(rows.flatMap((figures) => figures.escalationsByLevel.map((entry) => entry.level)));
  return [...levels].sort((a, b) => a - b);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

export function summaryFacts(report: Report): Fact[] {
  const o = report.overall;
  const ext = report.extendedSupport;
  return [
    { label: "Open cases", value: `${o.open.total}, of which ${o.sla.openPastDue} past their SLA deadline` },
    { label: "In the period", value: `${o.opened} opened, ${o.reopened} reopened, ${o.closed} closed` },
    {
      label: "SLA compliance",
      value:
        o.sla.compliance === null
          ? "n/a: no case with a deadline was closed"
          : `${formatPercent(o.sla.compliance)} (${o.sla.closedWithinSla} of ${o.sla.closedWithDeadline} closed with a deadline were within it)`,
    },
    {
      label: "SLA breaches and escalations",
      value: `${o.breaches} breaches, ${sum(o.escalationsByLevel.map((entry) => entry.count))} escalations`,
    },
    { label: "Suppressions blocked", value: `${o.suppressionsBlocked}` },
    {
      label: "Exceptions",
      value: `${o.exceptions.approved} approved, ${o.exceptions.rejected} rejected, ${o.exceptions.expired} expired; ${o.exceptions.expiringSoon} expire within ${EXPIRING_SOON_DAYS} days`,
    },
    {
      label: "Upgrade dates",
      value: `${o.upgradeDates.agreed} agreed, ${o.upgradeDates.missing} missing, ${o.upgradeDates.missed} missed`,
    },
    {
      label: "EKS extended support",
      value: extendedSupportPhrase(ext, `${formatUsd(ext.extraUsdPer30Days)} extra per 30 days`),
    },
  ];
}

function openTables(rows: TeamFigures[]): ReportTable[] {
  return [
    table(
      "Open cases by severity",
      ["Team", num("Total"), ...SEVERITIES_DESC.map(num)],
      rows.map((f) => [teamLabel(f), f.open.total, ...SEVERITIES_DESC.map((s) => f.open.bySeverity[s])]),
    ),
    table(
      "Open cases by age",
      ["Team", ...AGE_BUCKETS.map((bucket) => num(bucket.label))],
      rows.map((f) => [teamLabel(f), ...AGE_BUCKETS.map((bucket) => f.open.byAge[bucket.label])]),
    ),
    table(
      "Open cases by status",
      ["Team", ...OPEN_STATUSES.map((status) => num(statusLabel(status)))],
      rows.map((f) => [teamLabel(f), ...OPEN_STATUSES.map((status) => f.open.byStatus[status])]),
    ),
  ];
}

function slaTable(rows: TeamFigures[]): ReportTable {
  return table(
    "Cases and SLA in the period",
    [
      "Team",
      num("Opened"),
      num("Reopened"),
      num("Closed"),
      num("SLA compliance (within / closed with a deadline)"),
      num("Open past due"),
      num("Breaches"),
    ],
    rows.map((f) => [
      teamLabel(f),
      f.opened,
      f.reopened,
      f.closed,
      formatCompliance(f.sla),
      f.sla.openPastDue,
      f.breaches,
    ]),
  );
}

function remediationTable(rows: TeamFigures[]): ReportTable {
  return table(
    "Time to remediate, cases resolved in the period (days)",
    ["Team", "Severity", num("Resolved"), num("Mean days"), num("Median days")],
    rows.flatMap((f) =>
      f.timeToRemediate.map((t) => [
        teamLabel(f),
        t.severity,
        t.count,
        formatDays(t.meanMs),
        formatDays(t.medianMs),
      ]),
    ),
    "No case was resolved in the period.",
  );
}

function escalationTable(rows: TeamFigures[]): ReportTable {
  const levels = escalationLevels(rows);
  return table(
    "Escalations in the period by level",
    ["Team", ...levels.map((level) => num(`Level ${level}`)), num("Total")],
    levels.length === 0
      ? []
      : rows.map((f) => [
          teamLabel(f),
          ...levels.map((level) => f.escalationsByLevel.find((entry) => entry.level === level)?.count ?? 0),
          sum(f.escalationsByLevel.map((entry) => entry.count)),
        ]),
    "No escalation in the period.",
  );
}

function suppressionTables(report: Report, rows: TeamFigures[]): ReportTable[] {
  const list = report.suppressionsBlocked;
  return [
    table(
      "Suppressions blocked in the period",
      ["Team", num("Blocked")],
      rows.map((f) => [teamLabel(f), f.suppressionsBlocked]),
    ),
    table(
      "Who set SUPPRESSED",
      ["Identity", num("Blocked")],
      list.byActor.map((entry) => [
        entry.actor === "unknown" ? "unknown" : { code: entry.actor },
        entry.count,
      ]),
    ),
    table(
      "Blocked suppressions",
      ["Case", "Team", "Account", "Blocked at", "Suppressed by", "Title"],
      list.items.map((item) => [
        { code: item.caseRef },
        item.team,
        { code: item.accountId },
        formatInstant(item.blockedAt),
        code(item.suppressedBy),
        item.title,
      ]),
      "None.",
      moreNote(list),
    ),
  ];
}

function exceptionTables(report: Report, rows: TeamFigures[]): ReportTable[] {
  const list = report.exceptionsExpiring;
  return [
    table(
      "Exceptions in the period",
      [
        "Team",
        num("Approved"),
        num("Rejected"),
        num("Expired"),
        num(`Expiring within ${EXPIRING_SOON_DAYS} days`),
      ],
      rows.map((f) => [
        teamLabel(f),
        f.exceptions.approved,
        f.exceptions.rejected,
        f.exceptions.expired,
        f.exceptions.expiringSoon,
      ]),
    ),
    table(
      `Exceptions expiring within ${EXPIRING_SOON_DAYS} days`,
      ["Case", "Team", "Exception", "Expires", "Requested by", "Approved by", "Title"],
      list.items.map((item) => [
        { code: item.caseRef },
        item.team,
        { code: item.exceptionId },
        formatInstant(item.expiresAt),
        { code: item.requestedBy },
        code(item.approvedBy, "not recorded"),
        item.title,
      ]),
      "None.",
      moreNote(list),
    ),
  ];
}

function upgradeTables(report: Report, rows: TeamFigures[]): ReportTable[] {
  const list = report.upgradeDatesMissing;
  return [
    table(
      "Upgrade dates",
      ["Team", num("Agreed in the period"), num("Missing now"), num("Missed in the period")],
      rows.map((f) => [teamLabel(f), f.upgradeDates.agreed, f.upgradeDates.missing, f.upgradeDates.missed]),
    ),
    table(
      "Upgrade dates missing",
      ["Case", "Team", "Resource", "EKS version", "Agree before", num("Days left"), "Title"],
      list.items.map((item) => [
        { code: item.caseRef },
        item.team,
        code(item.resourceId, "-"),
        item.eksVersion ?? "-",
        item.deadline === null ? "no deadline" : formatInstant(item.deadline),
        item.daysLeft === null ? "-" : item.daysLeft,
        item.title,
      ]),
      "None.",
      moreNote(list),
    ),
  ];
}

function eksFacts(report: Report): Fact[] {
  const ext = report.extendedSupport;
  if (ext.clusters === 0 && ext.clustersPastExtendedSupport === 0) {
    return [{ label: "Clusters on extended support", value: "none with an open case" }];
  }
  return [
    { label: "Clusters on extended support", value: `${ext.clusters}` },
    { label: "Clusters past the end of extended support", value: `${ext.clustersPastExtendedSupport}` },
    {
      label: "Cost now",
      value: `${formatUsd(ext.usdPerHour)} per hour, against ${formatUsd(ext.standardUsdPerHour)} on standard support`,
    },
    { label: "Extra per 30 days", value: formatUsd(ext.extraUsdPer30Days) },
    {
      label: "In the period",
      value: `${ext.hoursInPeriod} cluster-hours, ${formatUsd(ext.costInPeriodUsd)} (${formatUsd(ext.extraInPeriodUsd)} more than standard support)`,
    },
  ];
}

function eksTable(report: Report): ReportTable {
  return table(
    "EKS versions past the end of standard support",
    ["Version", num("Clusters"), "End of standard support", "End of extended support", "Status"],
    report.extendedSupport.byVersion.map((v) => [
      v.version,
      v.clusters,
      formatInstant(v.endOfStandardSupport),
      formatInstant(v.endOfExtendedSupport),
      v.pastExtendedSupport ? "past the end of extended support" : "on extended support",
    ]),
  );
}

function trendTable(report: Report): ReportTable {
  return table(
    "Open cases and SLA compliance by week",
    ["Week ending", num("Open"), num("Closed with a deadline"), num("Within SLA"), num("SLA compliance")],
    report.trend.map((point) => [
      formatDay(point.weekEnding),
      point.open,
      point.closedWithDeadline,
      point.closedWithinSla,
      formatPercent(point.compliance),
    ]),
    "No trend data.",
  );
}

/** Every section but the per-team one, in reading order. */
export function reportSections(report: Report): ReportSection[] {
  const rows = figureRows(report);
  const section = (key: ReportSectionKey, title: string, tables: ReportTable[], facts: Fact[] = []) => ({
    key,
    title,
    facts,
    tables,
  });
  return [
    section("summary", "Summary", [], summaryFacts(report)),
    section("open", "Open cases", openTables(rows)),
    section("sla", "Cases and SLA compliance", [slaTable(rows)]),
    section("remediation", "Time to remediate", [remediationTable(rows)]),
    section("escalations", "Escalations", [escalationTable(rows)]),
    section("suppressions", "Suppressions blocked", suppressionTables(report, rows)),
    section("exceptions", "Exceptions", exceptionTables(report, rows)),
    section("upgrades", "Upgrade dates", upgradeTables(report, rows)),
    section("eks", "EKS extended support", [eksTable(report)], eksFacts(report)),
    section("trend", `Trend (${report.trend.length} weeks)`, [trendTable(report)]),
  ];
}

/** One block per team with all of its figures, for links from the team's own Slack channel. */
export function teamSections(report: Report): TeamSection[] {
  return report.teams.map((f) => {
    const team = f.team ?? "All teams";
    return {
      id: teamSectionId(team),
      title: `Team ${team}`,
      tables: [
        table(
          `Team ${team}: figures`,
          ["Figure", num("Value")],
          [
            ["Open cases", f.open.total],
            ...SEVERITIES_DESC.map((s): Cell[] => [`Open ${s}`, f.open.bySeverity[s]]),
            ...AGE_BUCKETS.map((bucket): Cell[] => [`Open ${bucket.label}`, f.open.byAge[bucket.label]]),
            ...OPEN_STATUSES.map((status): Cell[] => [
              `Open, ${statusLabel(status)}`,
              f.open.byStatus[status],
            ]),
            ["Opened in the period", f.opened],
            ["Reopened in the period", f.reopened],
            ["Closed in the period", f.closed],
            ["SLA compliance (within / closed with a deadline)", formatCompliance(f.sla)],
            ["Open past due", f.sla.openPastDue],
            ["SLA breaches", f.breaches],
            ...f.escalationsByLevel.map((entry): Cell[] => [
              `Escalations, level ${entry.level}`,
              entry.count,
            ]),
            ["Suppressions blocked", f.suppressionsBlocked],
            ["Exceptions approved", f.exceptions.approved],
            ["Exceptions rejected", f.exceptions.rejected],
            ["Exceptions expired", f.exceptions.expired],
            [`Exceptions expiring within ${EXPIRING_SOON_DAYS} days`, f.exceptions.expiringSoon],
            ["Upgrade dates agreed", f.upgradeDates.agreed],
            ["Upgrade dates missing", f.upgradeDates.missing],
            ["Upgrade dates missed", f.upgradeDates.missed],
          ],
        ),
        table(
          `Team ${team}: time to remediate (days)`,
          ["Severity", num("Resolved"), num("Mean days"), num("Median days")],
          f.timeToRemediate.map((t) => [t.severity, t.count, formatDays(t.meanMs), formatDays(t.medianMs)]),
          "No case was resolved in the period.",
        ),
      ],
    };
  });
}
