import { formatInstant, formatPeriod, scopeLabel } from "./format.js";
import type { Report } from "./model.js";
import { type Cell, type Fact, type ReportTable, reportSections } from "./report-sections.js";

/**
 * Text from findings (titles, ARNs) must not become Markdown: a `|` would split a table cell, `<…>`
 * could be raw HTML, `*`, `_`, `[` would format or link. Backslash escapes keep the raw file readable.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/\s+/g, " ").replace(/[\\`*_[\]<>|#&~!]/g, (char) => `\\${char}`);
}

/** An identifier as a code span: no formatting inside, only a table's `|` still needs its escape. */
function codeSpan(text: string): string {
  const flat = text.replace(/\s+/g, " ").replaceAll("|", "\\|");
  const longestTicks = Math.max(0, ...(flat.match(/`+/g) ?? []).map((ticks) => ticks.length));
  const fence = "`".repeat(longestTicks + 1);
  return longestTicks === 0 ? `${fence}${flat}${fence}` : `${fence} ${flat} ${fence}`;
}

function cellText(cell: Cell): string {
  if (typeof cell === "number") return String(cell);
  if (typeof cell === "string") return escapeMarkdown(cell);
  return codeSpan(cell.code);
}

function renderTable(table: ReportTable): string[] {
  const lines = [`**${escapeMarkdown(table.caption)}**`, ""];
  if (table.rows.length === 0) return [...lines, escapeMarkdown(table.empty), ""];
  lines.push(`| ${table.columns.map((column) => escapeMarkdown(column.label)).join(" | ")} |`);
  lines.push(`|${table.columns.map((column) => (column.numeric ? " ---: " : " --- ")).join("|")}|`);
  for (const row of table.rows) lines.push(`| ${row.map(cellText).join(" | ")} |`);
  if (table.more) lines.push("", `… ${table.more}.`);
  return [...lines, ""];
}

function renderFacts(facts: Fact[]): string[] {
  if (facts.length === 0) return [];
  return [...facts.map((fact) => `- **${escapeMarkdown(fact.label)}:** ${escapeMarkdown(fact.value)}`), ""];
}

/** The weekly report as Markdown (GitHub-flavoured tables): every figure, every list, the trend. */
export function renderMarkdown(report: Report): string {
  const lines = [
    `# Security Hub governance report: ${escapeMarkdown(scopeLabel(report.team))}`,
    "",
    `Period: ${formatPeriod(report.period)} · generated ${formatInstant(report.generatedAt)}`,
    "",
  ];
  for (const section of reportSections(report)) {
    lines.push(`## ${escapeMarkdown(section.title)}`, "");
    lines.push(...renderFacts(section.facts));
    for (const table of section.tables) lines.push(...renderTable(table));
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
