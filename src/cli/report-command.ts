import { writeFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { loadEnv } from "../config/env.js";
import { ShgovError } from "../errors.js";
import { loadPolicyDir } from "../policy/load.js";
import { renderTrendChartPng } from "../report/chart.js";
import type { Report } from "../report/model.js";
import { renderCsv } from "../report/render-csv.js";
import { renderHtml } from "../report/render-html.js";
import { renderMarkdown } from "../report/render-markdown.js";
import { parseReportQuery, type ReportQuery, reportTeams } from "../report/report-request.js";
import { openCaseReader } from "./case-reader.js";

export const REPORT_FORMATS = ["md", "csv", "json", "html"] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The report could not be written: said in one line, without a stack. */
export class ReportOutputError extends ShgovError {
  override name = "ReportOutputError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("report.output_failed", message, options);
  }
}

interface ReportOptions {
  since: string;
  until?: string;
  team?: string;
  format: ReportFormat;
  out?: string;
}

/** `shgov report`: the governance report of a period, in the format asked, to stdout or a file. */
export function addReportCommand(program: Command): void {
  program
    .command("report")
    .description(
      "print the governance report of a period: open cases, SLA compliance, time to remediate, escalations, blocked suppressions, exceptions, upgrade dates, EKS extended-support cost, 8-week trend",
    )
    .option(
      "--since <when>",
      "start of the period: a duration back from --until (7d, 12h, 2w) or a date",
      "7d",
    )
    .option("--until <when>", "end of the period: a date or instant (default: now)")
    .option("--team <team>", "only the cases this team owns")
    .addOption(
      new Option(
        "--format <format>",
        "md (Markdown), csv, json, or html (one self-contained file with the chart)",
      )
        .choices([...REPORT_FORMATS])
        .default("md"),
    )
    .option("--out <file>", "write to this file instead of stdout")
    .action(async (options: ReportOptions) => {
      const env = loadEnv();
      const policy = await loadPolicyDir(env.WORKFLOWS_DIR);
      const query: ReportQuery = {
        since: options.since,
        ...(options.until !== undefined ? { until: options.until } : {}),
        ...(options.team !== undefined ? { team: options.team } : {}),
      };
      // Validated here first, so a bad option is named before anything is opened.
      const request = parseReportQuery(query, new Date(), reportTeams(policy));
      // PostgreSQL directly; embedded PGlite through the service that holds it (GET /api/report).
      const reader = await openCaseReader(env);
      const report = await reader.report(request).finally(() => reader.close());
      const text = await render(report, options.format);
      if (options.out) {
        await writeFile(options.out, text).catch((error: NodeJS.ErrnoException) => {
          throw new ReportOutputError(`cannot write ${options.out}: ${error.code ?? error.message}`);
        });
        process.stderr.write(`shgov: wrote the ${options.format} report to ${options.out}\n`);
      } else {
        process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      }
    });
}

async function render(report: Report, format: ReportFormat): Promise<string> {
  switch (format) {
    case "md":
      return renderMarkdown(report);
    case "csv":
      return renderCsv(report);
    case "json":
      return JSON.stringify(report, null, 2);
    case "html":
      return renderHtml(report, { chartPng: await renderTrendChartPng(report) });
  }
}
