import { CHART_HEIGHT_PX, CHART_WIDTH_PX } from "./chart.js";
import { formatInstant, formatPercent, scopeLabel } from "./format.js";
import type { Report } from "./model.js";
import {
  type Cell,
  type Fact,
  REPORT_SECTION_IDS,
  type ReportSection,
  type ReportTable,
  reportSections,
  type TeamSection,
  teamSections,
} from "./report-sections.js";

export { REPORT_SECTION_IDS, teamSectionId } from "./report-sections.js";

export interface HtmlOptions {
  /** The trend chart (renderTrendChartPng), embedded so the file needs nothing else. */
  chartPng: Buffer;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Titles and ARNs come from outside: every piece of data goes through here before it reaches the page. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * Defence in depth: should anything slip past escaping, the page still cannot run a script or
 * fetch anything; inline styles and the data: image are all it needs.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

const STYLE = `
:root { color-scheme: light; --line: #d0d7de; --muted: #57606a; --head: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1f2328; background: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin: 24px 0 8px; }
.meta { color: var(--muted); margin: 0 0 16px; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0; margin: 0 0 8px; }
nav a { color: #0969da; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 8px; margin: 0 0 16px; }
dl.facts div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
dl.facts dt { color: var(--muted); font-size: 0.85rem; }
dl.facts dd { margin: 0; font-weight: 600; }
.table-wrap { overflow-x: auto; margin: 0 0 16px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; white-space: nowrap; }
th, td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top; text-align: left; }
thead th { background: var(--head); }
tbody tr:nth-child(even) { background: #fbfcfd; }
.num { text-align: right; white-space: nowrap; }
code { font: 0.85em/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
code.id { white-space: nowrap; }
td.title { min-width: 16em; }
.empty, .more { color: var(--muted); margin: 0 0 16px; }
figure { margin: 0 0 16px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
@media print { nav { display: none; } h2 { break-after: avoid; } table { break-inside: auto; } }
`;

function cellHtml(cell: Cell): string {
  if (typeof cell === "number") return String(cell);
  if (typeof cell === "string") return escapeHtml(cell);
  // ARNs have no spaces: offer line breaks after their ":" and "/" so a column need not be as wide as
  // one; short ids (case-0001, account numbers) stay on one line.
  if (!/[:/]/.test(cell.code)) return `<code class="id">${escapeHtml(cell.code)}</code>`;
  return `<code>${escapeHtml(cell.code).replace(/[:/]/g, "$&<wbr>")}</code>`;
}

function tableHtml(table: ReportTable): string {
  if (table.rows.length === 0) {
    return `<h3>${escapeHtml(table.caption)}</h3>\n<p class="empty">${escapeHtml(table.empty)}</p>`;
  }
  const head = table.columns
    .map(
      (column) => `<th scope="col"${column.numeric ? ' class="num"' : ""}>${escapeHtml(column.label)}</th>`,
    )
    .join("");
  const body = table.rows
    .map((row) => {
      const cells = row.map((cell, index) => {
        const column = table.columns[index];
        const isTitle = column?.label === "Title";
        // The first column names the row (a team, a case, a week): a row header for screen readers.
        const tag = index === 0 ? "th" : "td";
        const scope = index === 0 ? ' scope="row"' : "";
        const cls = column?.numeric ? ' class="num"' : isTitle ? ' class="title"' : "";
        return `<${tag}${scope}${cls}>${cellHtml(cell)}</${tag}>`;
      });
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("\n");
  const more = table.more ? `\n<p class="more">… ${escapeHtml(table.more)}</p>` : "";
  return (
    `<div class="table-wrap"><table>\n<caption>${escapeHtml(table.caption)}</caption>\n` +
    `<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>${more}`
  );
}

function factsHtml(facts: Fact[]): string {
  if (facts.length === 0) return "";
  const items = facts.map(
    (fact) => `<div><dt>${escapeHtml(fact.label)}</dt><dd>${escapeHtml(fact.value)}</dd></div>`,
  );
  return `<dl class="facts">\n${items.join("\n")}\n</dl>`;
}

/** What the chart shows, in words, for screen readers and for when images are off. */
function chartAlt(report: Report): string {
  const first = report.trend[0];
  const last = report.trend.at(-1);
  if (!first || !last) return "Trend chart: no trend data.";
  return (
    `Trend chart over ${report.trend.length} weeks: open cases went from ${first.open} to ${last.open}; ` +
    `SLA compliance in the last week ${formatPercent(last.compliance)}.`
  );
}

function chartHtml(report: Report, png: Buffer): string {
  return (
    `<figure><img src="data:image/png;base64,${png.toString("base64")}" width="${CHART_WIDTH_PX}" ` +
    `height="${CHART_HEIGHT_PX}" alt="${escapeHtml(chartAlt(report))}"></figure>`
  );
}

function sectionHtml(section: ReportSection, report: Report, options: HtmlOptions): string {
  const id = REPORT_SECTION_IDS[section.key];
  const chart = section.key === "trend" ? chartHtml(report, options.chartPng) : "";
  const parts = [
    `<h2 id="${id}-heading">${escapeHtml(section.title)}</h2>`,
    chart,
    factsHtml(section.facts),
    ...section.tables.map(tableHtml),
  ];
  return `<section id="${id}" aria-labelledby="${id}-heading">\n${parts.filter(Boolean).join("\n")}\n</section>`;
}

function teamHtml(team: TeamSection): string {
  return `<section id="${escapeHtml(team.id)}">\n<h3>${escapeHtml(team.title)}</h3>\n${team.tables.map(tableHtml).join("\n")}\n</section>`;
}

function teamsHtml(teams: TeamSection[]): string {
  const id = REPORT_SECTION_IDS.teams;
  const body =
    teams.length === 0 ? `<p class="empty">No team owns a case.</p>` : teams.map(teamHtml).join("\n");
  return `<section id="${id}" aria-labelledby="${id}-heading">\n<h2 id="${id}-heading">Teams</h2>\n${body}\n</section>`;
}

function navHtml(sections: ReportSection[], teams: TeamSection[]): string {
  const links = [
    ...sections.map((section) => [REPORT_SECTION_IDS[section.key], section.title]),
    ...teams.map((team) => [team.id, team.title]),
  ];
  const items = links.map(
    ([id, title]) => `<li><a href="#${escapeHtml(id ?? "")}">${escapeHtml(title ?? "")}</a></li>`,
  );
  return `<nav aria-label="Sections"><ul>\n${items.join("\n")}\n</ul></nav>`;
}

/**
 * The weekly report as one self-contained HTML file: inline CSS, the chart as a data: URL, no
 * script and no request to anywhere. Sections carry REPORT_SECTION_IDS, teams teamSectionId(team).
 */
export function renderHtml(report: Report, options: HtmlOptions): string {
  const title = `Security Hub governance report: ${scopeLabel(report.team)}`;
  const sections = reportSections(report);
  const teams = teamSections(report);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Period: <time datetime="${escapeHtml(report.period.since)}">${escapeHtml(formatInstant(report.period.since))}</time> to <time datetime="${escapeHtml(report.period.until)}">${escapeHtml(formatInstant(report.period.until))}</time> · generated <time datetime="${escapeHtml(report.generatedAt)}">${escapeHtml(formatInstant(report.generatedAt))}</time></p>
${navHtml(sections, teams)}
${sections.map((section) => sectionHtml(section, report, options)).join("\n")}
${teamsHtml(teams)}
</main>
</body>
</html>
`;
}
