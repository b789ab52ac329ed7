import { describe, expect, it } from "vitest";
import type { Report } from "../../src/report/model.js";
import { REPORT_SECTION_IDS } from "../../src/report/report-sections.js";
import { reportSummaryMessage } from "../../src/slack/report-summary.js";
import { sampleReport } from "../support/report-sample.js";

type Field = { type: string; text: string };
type Block = { type: string; fields?: Field[]; text?: { text: string }; elements?: { text: string }[] };

const blocksOf = (report: Report, detailUrl: string | null) =>
  reportSummaryMessage(report, { detailUrl }).blocks as unknown as Block[];
const fieldsOf = (blocks: Block[]) => blocks.find((block) => block.fields)?.fields ?? [];

describe("the weekly report's Slack summary", () => {
  it("given a detail URL, each number links to its section of the full report", () => {
    const report = sampleReport();
    const fields = fieldsOf(blocksOf(report, "https://gov.example.com/reports/abc"));
    const open = fields.find((field) => field.text.startsWith("*Open cases*"));
    expect(open?.text).toBe(
      `*Open cases*\n<https://gov.example.com/reports/abc#${REPORT_SECTION_IDS.open}|${report.overall.open.total}>, ` +
        `<https://gov.example.com/reports/abc#${REPORT_SECTION_IDS.sla}|${report.overall.sla.openPastDue} past due>`,
    );
    const compliance = fields.find((field) => field.text.startsWith("*SLA compliance*"));
    expect(compliance?.text).toContain(`#sla|${((report.overall.sla.compliance ?? 0) * 100).toFixed(1)}%>`);
    for (const field of fields)
      expect(field.text).toMatch(/<https:\/\/gov\.example\.com\/reports\/abc#[a-z-]+\|/);
  });

  it("given no detail URL, the numbers are plain and the message points to the thread", () => {
    const blocks = blocksOf(sampleReport(), null);
    expect(JSON.stringify(blocks)).not.toContain("<http");
    expect(blocks.at(-1)?.elements?.[0]?.text).toBe(
      "The 8-week trend chart and the full report (HTML) are in the thread.",
    );
  });

  it("stays within Block Kit's limits and escapes team names", () => {
    const report = sampleReport();
    const many: Report = {
      ...report,
      teams: Array.from({ length: 30 }, (_, index) => ({ ...report.overall, team: `team-${index}<b>` })),
    };
    const blocks = blocksOf(many, "https://gov.example.com/r/x");
    expect(fieldsOf(blocks).length).toBeLessThanOrEqual(10);
    for (const field of fieldsOf(blocks)) expect(field.text.length).toBeLessThanOrEqual(2000);
    const teams = blocks.find((block) => block.type === "section" && block.text)?.text?.text ?? "";
    expect(teams.length).toBeLessThanOrEqual(3000);
    expect(teams).toContain("team-0&lt;b&gt;");
    expect(teams).not.toContain("<b>");
    expect(teams).toContain("and 18 more teams");
  });

  it("the notification text carries the headline figures", () => {
    const report = sampleReport();
    const { text } = reportSummaryMessage(report, { detailUrl: null });
    expect(text).toContain(`${report.overall.open.total} open cases`);
    expect(text).toContain(`${report.overall.breaches} breaches`);
  });
});
