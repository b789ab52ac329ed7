import type { KnownBlock } from "@slack/web-api";
import { extendedSupportPhrase, formatPercent, formatUsd, scopeLabel } from "./format.js";
import { EXPIRING_SOON_DAYS, type Report, type TeamFigures } from "./model.js";
import { REPORT_SECTION_IDS, type ReportSectionKey, teamSectionId } from "./report-sections.js";

/** Slack's mrkdwn treats &, < and > as markup; text from outside (team names) is escaped. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Teams listed one line each; more would make the message a wall. */
const TEAM_LINES = 12;

/**
 * The report in Slack: the few numbers that matter, each linking to its section of the full HTML
 * report when the service has a public URL for it (`detailUrl`); the chart and the HTML file follow
 * in the thread. Returns the blocks and the notification text (what a phone shows).
 */
export function reportSummaryMessage(
  report: Report,
  options: { detailUrl: string | null },
): { text: string; blocks: KnownBlock[] } {
  const o = report.overall;
  const link = (section: ReportSectionKey | { team: string }, label: string) => {
    if (options.detailUrl === null) return label;
    const anchor = typeof section === "string" ? REPORT_SECTION_IDS[section] : teamSectionId(section.team);
    return `<${options.detailUrl}#${anchor}|${label}>`;
  };
  const escalations = o.escalationsByLevel.reduce((sum, entry) => sum + entry.count, 0);
  const slowest = o.timeToRemediate[0];
  const eks = report.extendedSupport;
  const fields = [
    `*Open cases*\n${link("open", String(o.open.total))}, ${link("sla", `${o.sla.openPastDue} past due`)}`,
    `*SLA compliance*\n${link("sla", formatPercent(o.sla.compliance))} (${o.sla.closedWithinSla} of ${o.sla.closedWithDeadline} closed in time)`,
    `*Opened / closed*\n${link("open", `${o.opened} / ${o.closed}`)}${o.reopened > 0 ? `, ${o.reopened} re-opened` : ""}`,
    `*Breaches / escalations*\n${link("escalations", `${o.breaches} / ${escalations}`)}`,
    `*Suppressions blocked*\n${link("suppressions", String(report.suppressionsBlocked.total))}`,
    `*Exceptions*\n${link("exceptions", `${o.exceptions.approved} approved, ${o.exceptions.rejected} rejected, ${o.exceptions.expiringSoon} expiring in ${EXPIRING_SOON_DAYS} days`)}`,
    `*Upgrade dates*\n${link("upgrades", `${o.upgradeDates.missing} missing, ${o.upgradeDates.missed} missed`)}`,
    `*EKS extended support*\n${link("eks", extendedSupportPhrase(eks, `${formatUsd(eks.usdPerHour)}/h (${formatUsd(eks.extraUsdPer30Days)} extra per 30 days)`))}`,
  ];
  if (slowest) {
    fields.push(
      `*Time to remediate*\n${link("remediation", `${slowest.severity}: median ${(slowest.medianMs / 86_400_000).toFixed(1)} days`)}`,
    );
  }
  const teamLine = (figures: TeamFigures) =>
    `• ${link({ team: figures.team ?? "" }, `*${escapeMrkdwn(figures.team ?? "")}*`)}: ${figures.open.total} open, ` +
    `${figures.sla.openPastDue} past due, compliance ${formatPercent(figures.sla.compliance)}`;
  const teams = report.teams.slice(0, TEAM_LINES).map(teamLine);
  if (report.teams.length > TEAM_LINES) teams.push(`and ${report.teams.length - TEAM_LINES} more teams`);
  const blocks: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "Weekly governance report" } },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: `${escapeMrkdwn(scopeLabel(report.team))}, ${report.period.since.slice(0, 10)} to ${report.period.until.slice(0, 10)} (UTC)`,
        },
      ],
    },
    { type: "section", fields: fields.map((text) => ({ type: "mrkdwn", text })) },
  ];
  if (teams.length > 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: teams.join("\n") } });
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text:
          options.detailUrl === null
            ? "The 8-week trend chart and the full report (HTML) are in the thread."
            : `The 8-week trend chart is in the thread. ${link("summary", "Open the full report")}.`,
      },
    ],
  });
  const text =
    `Weekly governance report: ${o.open.total} open cases (${o.sla.openPastDue} past due), ` +
    `SLA compliance ${formatPercent(o.sla.compliance)}, ${o.breaches} breaches.`;
  return { text, blocks };
}
