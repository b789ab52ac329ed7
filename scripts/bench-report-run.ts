/**
 * The measured half of bench:report, in its own process so that its peak RSS is the report's:
 * builds the report of the 7 days before --until from DATABASE_URL and renders every format,
 * --runs times. Prints one JSON line: the times of each run and the peak RSS.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { buildReport } from "../src/report/build-report.js";
import { renderTrendChartPng } from "../src/report/chart.js";
import { renderCsv } from "../src/report/render-csv.js";
import { renderHtml } from "../src/report/render-html.js";
import { renderMarkdown } from "../src/report/render-markdown.js";
import { openStore } from "../src/store/open.js";

const { values } = parseArgs({
  options: { until: { type: "string" }, runs: { type: "string", default: "3" } },
});
const until = new Date(values.until ?? new Date().toISOString());
const since = new Date(until.getTime() - 7 * 86_400_000);
const db = await openStore({ databaseUrl: process.env.DATABASE_URL, dataDir: "unused" });
const reportMs: number[] = [];
const queryMs: number[] = [];
const renderMs: number[] = [];
let last: Awaited<ReturnType<typeof buildReport>> | null = null;
for (let run = 0; run < Number(values.runs); run += 1) {
  const started = performance.now();
  const report = await buildReport(db, { since, until, team: null });
  const built = performance.now();
  const chartPng = await renderTrendChartPng(report);
  const rendered = [
    JSON.stringify(report),
    renderMarkdown(report),
    renderCsv(report),
    renderHtml(report, { chartPng }),
  ];
  const finished = performance.now();
  reportMs.push(finished - started);
  queryMs.push(built - started);
  renderMs.push(finished - built);
  process.stderr.write(
    `bench:report: run ${run + 1}: ${(finished - started).toFixed(0)} ms (queries ${(built - started).toFixed(0)} ms, ` +
      `rendering ${(finished - built).toFixed(0)} ms, ${rendered.reduce((sum, text) => sum + text.length, 0)} characters)\n`,
  );
  last = report;
}
await db.close();
process.stdout.write(
  `${JSON.stringify({
    report_ms: reportMs,
    query_ms: queryMs,
    render_ms: renderMs,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    open: last?.overall.open.total ?? 0,
    closed: last?.overall.closed ?? 0,
  })}\n`,
);
