import type { KnownBlock } from "@slack/web-api";
import { extendedSupportPhrase, formatPercent, formatUsd, scopeLabel } from "../report/format.js";
import { EXPIRING_SOON_DAYS, type Report, type TeamFigures } from "../report/model.js";
import { REPORT_SECTION_IDS, type ReportSectionKey, teamSectionId } from "../report/report-sections.js";
import { FIELD_TEXT_MAX, SECTION_TEXT_MAX } from "./block-kit.js";
import { bold, joinMrkdwn, type Mrkdwn, md, link as mrkdwnLink, mrkdwnText } from "./mrkdwn.js";

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
  // Every text is mrkdwn built with md`…` (src/slack/mrkdwn.ts): team names are escaped.
  const link = (section: ReportSectionKey | { team: string }, label: string | Mrkdwn): Mrkdwn => {
    if (options.detailUrl === null) return md`${label}`;
    const anchor = typeof section === "string" ? REPORT_SECTION_IDS[section] : teamSectionId(section.team);
    return mrkdwnLink(`${options.detailUrl}#${anchor}`, label);
  };
  const escalations = o.escalationsByLevel.reduce((sum, entry) => sum + entry.count, 0);
  const slowest = o.timeToRemediate[0];
  const eks = report.extendedSupport;
  const fields = [
    md`*Open cases*\n${link("open", String(o.open.total))}, ${link("sla", `${o.sla.openPastDue} past due`)}`,
    md`*SLA compliance*\n${link("sla", formatPercent(o.sla.compliance))} (${o.sla.closedWithinSla} of ${o.sla.closedWithDeadline} closed in time)`,
    md`*Opened / closed*\n${link("open", `${o.opened} / ${o.closed}`)}${o.reopened > 0 ? `, ${o.reopened} re-opened` : ""}`,
    md`*Breaches / escalations*\n${link("escalations", `${o.breaches} / ${escalations}`)}`,
    md`*Suppressions blocked*\n${link("suppressions", String(report.suppressionsBlocked.total))}`,
    md`*Exceptions*\n${link("exceptions", `${o.exceptions.approved} approved, ${o.exceptions.rejected} rejected, ${o.exceptions.expiringSoon} expiring in ${EXPIRING_SOON_DAYS} days`)}`,
    md`*Upgrade dates*\n${link("upgrades", `${o.upgradeDates.missing} missing, ${o.upgradeDates.missed} missed`)}`,
    md`*EKS extended support*\n${link("eks", extendedSupportPhrase(eks, `${formatUsd(eks.usdPerHour)}/h (${formatUsd(eks.extraUsdPer30Days)} extra per 30 days)`))}`,
  ];
  if (slowest) {
    fields.push(
      md`*Time to remediate*\n${link("remediation", `${slowest.severity}: median ${(slowest.medianMs / 86_400_000).toFixed(1)} days`)}`,
    );
  }
  const teamLine = (figures: TeamFigures) =>
    md`• ${link({ team: figures.team ?? "" }, bold(figures.team ?? ""))}: ${figures.open.total} open, ${figures.sla.openPastDue} past due, compliance ${formatPercent(figures.sla.compliance)}`;
  const teams = report.teams.slice(0, TEAM_LINES).map(teamLine);
  if (report.teams.length > TEAM_LINES) teams.push(md`and ${report.teams.length - TEAM_LINES} more teams`);
  const blocks: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "Weekly governance report" } },
    {
      type: "context",
      elements: [
        mrkdwnText(
          md`${scopeLabel(report.team)}, ${report.period.since.slice(0, 10)} to ${report.period.until.slice(0, 10)} (UTC)`,
          SECTION_TEXT_MAX,
        ),
      ],
    },
    { type: "section", fields: fields.map((text) => mrkdwnText(text, FIELD_TEXT_MAX)) },
  ];
  if (teams.length > 0) {
    blocks.push({ type: "section", text: mrkdwnText(joinMrkdwn(teams, "\n"), SECTION_TEXT_MAX) });
  }
  blocks.push({
    type: "context",
    elements: [
      mrkdwnText(
        options.detailUrl === null
          ? md`The 8-week trend chart and the full report (HTML) are in the thread.`
          : md`The 8-week trend chart is in the thread. ${link("summary", "Open the full report")}.`,
        SECTION_TEXT_MAX,
      ),
    ],
  });
  // The notification's text is mrkdwn as well; it holds figures only, built the same way.
  const text = md`Weekly governance report: ${o.open.total} open cases (${o.sla.openPastDue} past due), SLA compliance ${formatPercent(o.sla.compliance)}, ${o.breaches} breaches.`;
  return { text: text.text, blocks };
}
