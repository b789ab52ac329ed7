import { inflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CHART_HEIGHT_PX,
  CHART_WIDTH_PX,
  renderTrendChartPng,
  renderTrendChartSvg,
  trendChartSpec,
} from "../../src/report/chart.js";
import type { Report } from "../../src/report/model.js";
import { CSV_HEADER, csvField, neutralizeFormula, renderCsv } from "../../src/report/render-csv.js";
import { escapeHtml, REPORT_SECTION_IDS, renderHtml, teamSectionId } from "../../src/report/render-html.js";
import { renderMarkdown } from "../../src/report/render-markdown.js";
import { HOSTILE_TITLE, sampleReport } from "../support/report-sample.js";

/** RFC 4180 as a spreadsheet reads it: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field === "") {
      quoted = true;
    } else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else {
      field += char;
    }
  }
  if (field !== "" || row.length > 0) throw new Error("CSV does not end with CRLF");
  return rows;
}

/** The Markdown table that follows the bold caption line `**caption**`, as lines. */
function markdownTable(markdown: string, caption: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(`**${caption}**`);
  if (start < 0) throw new Error(`no table "${caption}"`);
  const table: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    table.push(line);
  }
  return table;
}

/** Cells of a Markdown table row, split on the pipes that are not escaped. */
function markdownCells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel. */
  pixels: Buffer;
}

/** Enough of PNG to read resvg's output (8-bit RGBA, not interlaced) back into pixels. */
function decodePng(png: Buffer): DecodedPng {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const [bitDepth, colorType, , , interlace] = [png[24], png[25], png[26], png[27], png[28]];
  if (bitDepth !== 8 || colorType !== 6 || interlace !== 0) throw new Error("not 8-bit RGBA");
  const idat: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    if (type === "IDAT") idat.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] ?? 0;
      const left = x >= 4 ? (pixels[y * stride + x - 4] ?? 0) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const upLeft = x >= 4 && y > 0 ? (pixels[(y - 1) * stride + x - 4] ?? 0) : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = Math.floor((left + up) / 2);
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  return { width, height, pixels };
}

/** Pixels whose colour is within `tolerance` (per channel) of #rrggbb. */
function countColor(image: DecodedPng, hex: string, tolerance = 24): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let i = 0; i < image.pixels.length; i += 4) {
    const near =
      Math.abs((image.pixels[i] ?? 0) - (r ?? 0)) <= tolerance &&
      Math.abs((image.pixels[i + 1] ?? 0) - (g ?? 0)) <= tolerance &&
      Math.abs((image.pixels[i + 2] ?? 0) - (b ?? 0)) <= tolerance;
    if (near) count++;
  }
  return count;
}

/** Runs of consecutive weeks that have a compliance figure: the line's separate pieces. */
function complianceRuns(report: Report): number {
  let runs = 0;
  let previous: number | null = null;
  for (const point of report.trend) {
    if (point.compliance !== null && previous === null) runs++;
    previous = point.compliance;
  }
  return runs;
}

describe("renderMarkdown", () => {
  const report = sampleReport();
  const markdown = renderMarkdown(report);

  it("names the scope and the period", () => {
    expect(markdown.split("\n")[0]).toBe("# Security Hub governance report: all teams");
    expect(markdown).toContain(
      "Period: 2026-11-16 00:00 UTC to 2026-11-23 00:00 UTC · generated 2026-11-23 07:00 UTC",
    );
  });

  it("has the figures of each team and of all teams, SLA compliance as a percentage with its counts", () => {
    const sla = markdownTable(markdown, "Cases and SLA in the period").map(markdownCells);
    expect(sla[0]).toEqual([
      "Team",
      "Opened",
      "Reopened",
      "Closed",
      "SLA compliance (within / closed with a deadline)",
      "Open past due",
      "Breaches",
    ]);
    expect(sla.slice(2)).toEqual([
      ["platform", "6", "1", "8", "85.7% (6/7)", "3", "2"],
      ["security", "4", "0", "5", "100.0% (5/5)", "1", "1"],
      ["All teams", "10", "1", "13", "91.7% (11/12)", "4", "3"],
    ]);
    const severity = markdownTable(markdown, "Open cases by severity").map(markdownCells);
    expect(severity[0]).toEqual(["Team", "Total", "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]);
    expect(severity[4]).toEqual(["All teams", "25", "3", "7", "9", "5", "1"]);
    expect(markdownTable(markdown, "Open cases by age").map(markdownCells)[2]).toEqual([
      "platform",
      "4",
      "5",
      "4",
      "3",
      "1",
    ]);
  });

  it("gives time to remediate in days with one decimal", () => {
    const rows = markdownTable(markdown, "Time to remediate, cases resolved in the period (days)").map(
      markdownCells,
    );
    expect(rows).toContainEqual(["platform", "HIGH", "3", "9.3", "8.0"]);
    expect(rows).toContainEqual(["All teams", "MEDIUM", "5", "18.6", "17.0"]);
  });

  it("lists escalation levels that occurred in any team, 0 where a team had none", () => {
    const rows = markdownTable(markdown, "Escalations in the period by level").map(markdownCells);
    expect(rows[0]).toEqual(["Team", "Level 1", "Level 2", "Level 3", "Total"]);
    expect(rows[3]).toEqual(["security", "2", "0", "0", "2"]);
  });

  it("escapes pipes and markup in titles so every row keeps the header's columns", () => {
    const rows = markdownTable(markdown, "Blocked suppressions");
    const header = rows[0] ?? "";
    for (const row of rows) expect(markdownCells(row)).toHaveLength(markdownCells(header).length);
    const hostile = rows.find((row) => row.includes("`SHG-1`")) ?? "";
    expect(hostile).toContain("\\| port 22");
    expect(markdown).not.toContain("<script>");
    expect(hostile).toContain("\\<script\\>");
  });

  it("says who made each blocked suppression, and the summary by identity", () => {
    const items = markdownTable(markdown, "Blocked suppressions").map(markdownCells);
    expect(items.find((row) => row[0] === "`SHG-4`")?.[4]).toBe(
      "`arn:aws:iam::222222222222:role/ci-deployer`",
    );
    expect(items.find((row) => row[0] === "`SHG-5`")?.[4]).toBe("unknown");
    expect(markdownTable(markdown, "Who set SUPPRESSED").map(markdownCells).slice(2)).toEqual([
      [
        "`arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c/alice@example.com`",
        "3",
      ],
      ["`arn:aws:iam::222222222222:role/ci-deployer`", "1"],
      ["unknown", "1"],
    ]);
  });

  it("names the listed cases by their human id in the Case column", () => {
    for (const caption of [
      "Blocked suppressions",
      "Exceptions expiring within 14 days",
      "Upgrade dates missing",
    ]) {
      const rows = markdownTable(markdown, caption).map(markdownCells);
      expect(rows[0]?.[0], caption).toBe("Case");
      expect(
        rows.slice(2).every((row) => /^`SHG-\d+`$/.test(row[0] ?? "")),
        caption,
      ).toBe(true);
    }
  });

  it("lists expiring exceptions and missing upgrade dates with the days left", () => {
    const exceptions = markdownTable(markdown, "Exceptions expiring within 14 days").map(markdownCells);
    expect(exceptions[2]?.slice(0, 4)).toEqual(["`SHG-10`", "platform", "`EXC-7`", "2026-11-30 00:00 UTC"]);
    const missing = markdownTable(markdown, "Upgrade dates missing").map(markdownCells);
    expect(missing.map((row) => row[5])).toEqual(["Days left", "---:", "-3", "12", "-"]);
  });

  it("gives the EKS extended support cost against standard support", () => {
    expect(markdown).toContain("- **Clusters on extended support:** 3");
    expect(markdown).toContain("- **Cost now:** $1.80 per hour, against $0.30 on standard support");
    expect(markdown).toContain("- **Extra per 30 days:** $1,080.00");
    expect(markdown).toContain(
      "- **In the period:** 504 cluster-hours, $302.40 ($252.00 more than standard support)",
    );
    expect(markdown).toContain("- **Clusters past the end of extended support:** 1");
    // Every version past the end of standard support, each saying whether extended support still runs.
    expect(
      markdownTable(markdown, "EKS versions past the end of standard support").map(markdownCells).slice(2),
    ).toEqual([
      ["1.30", "1", "2025-07-23", "2026-07-23", "past the end of extended support"],
      ["1.31", "1", "2025-11-26", "2026-11-26", "on extended support"],
      ["1.32", "2", "2026-03-23", "2027-03-23", "on extended support"],
    ]);
    // The summary counts what the table lists, in words that say what is counted.
    expect(markdown).toContain(
      "- **EKS extended support:** 3 clusters on extended support, $1,080.00 extra per 30 days; 1 cluster past the end of extended support",
    );
  });

  it("has the trend with n/a, not 0%, for weeks without anything to measure", () => {
    const trend = markdownTable(markdown, "Open cases and SLA compliance by week").map(markdownCells);
    expect(trend).toHaveLength(2 + report.trend.length);
    expect(trend[3]).toEqual(["12 Oct 2026", "33", "0", "0", "n/a"]);
    expect(trend.at(-1)).toEqual(["23 Nov 2026", "25", "12", "11", "91.7%"]);
  });

  it("says how many more there are when a list was cut", () => {
    const cut = sampleReport();
    cut.suppressionsBlocked.total = 250;
    const text = renderMarkdown(cut);
    expect(text).toContain("… and 245 more.");
    expect(markdown).not.toContain("more.");
  });

  it("says None for an empty list instead of an empty table", () => {
    const empty = sampleReport();
    empty.exceptionsExpiring = { total: 0, items: [] };
    const text = renderMarkdown(empty);
    expect(text).toContain("**Exceptions expiring within 14 days**\n\nNone.");
  });
});

describe("renderCsv", () => {
  const report = sampleReport();
  const csv = renderCsv(report);
  const rows = parseCsv(csv);
  const [header, ...body] = rows;
  const value = (section: string, team: string, metric: string, key = ""): string | undefined =>
    body.find((r) => r[0] === section && r[1] === team && r[2] === metric && r[3] === key)?.[4];

  it("is one long table with the header and five fields in every row", () => {
    expect(header).toEqual([...CSV_HEADER]);
    for (const row of body) expect(row).toHaveLength(5);
    expect(csv.endsWith("\r\n")).toBe(true);
  });

  it("parses back into the report's numbers, overall as team all", () => {
    expect(Number(value("open", "all", "total"))).toBe(25);
    expect(Number(value("open", "platform", "by_severity", "CRITICAL"))).toBe(2);
    expect(Number(value("open", "security", "by_age", "30-90d"))).toBe(2);
    expect(Number(value("open", "all", "by_status", "awaiting_date"))).toBe(3);
    expect(Number(value("flow", "platform", "reopened"))).toBe(1);
    expect(Number(value("sla", "all", "compliance"))).toBeCloseTo(11 / 12, 4);
    expect(Number(value("sla", "security", "open_past_due"))).toBe(1);
    expect(Number(value("time_to_remediate", "platform", "mean_days", "HIGH"))).toBe(9.25);
    expect(Number(value("time_to_remediate", "all", "median_days", "MEDIUM"))).toBe(17);
    expect(Number(value("escalations", "all", "by_level", "2"))).toBe(2);
    expect(Number(value("exceptions", "security", "expired"))).toBe(1);
    expect(Number(value("upgrade_dates", "platform", "missing"))).toBe(3);
    expect(Number(value("eks_extended_support", "all", "extra_usd_per_30_days"))).toBe(1080);
    expect(Number(value("eks_extended_support", "all", "clusters_by_version", "1.32"))).toBe(2);
    expect(Number(value("eks_extended_support", "all", "clusters_past_extended_support"))).toBe(1);
    expect(value("eks_extended_support", "all", "status", "1.30")).toBe("past_extended_support");
    expect(value("eks_extended_support", "all", "status", "1.32")).toBe("on_extended_support");
    expect(Number(value("trend", "all", "open", "2026-10-12T00:00:00.000Z"))).toBe(33);
  });

  it("leaves a compliance without anything measured empty, not 0", () => {
    expect(value("trend", "all", "compliance", "2026-10-12T00:00:00.000Z")).toBe("");
    expect(Number(value("trend", "all", "compliance", "2026-10-19T00:00:00.000Z"))).toBe(0.6);
  });

  it("has a row per list item field, keyed by case id, and the list sizes", () => {
    expect(value("suppression_blocked", "security", "suppressed_by", "case-0004")).toBe(
      "arn:aws:iam::222222222222:role/ci-deployer",
    );
    expect(value("suppression_blocked", "security", "suppressed_by", "case-0005")).toBe("");
    expect(value("suppression_blocked_by_actor", "all", "blocked", "unknown")).toBe("1");
    expect(value("suppression_blocked", "all", "total")).toBe("5");
    expect(value("exception_expiring", "security", "approved_by", "case-0011")).toBe("U0PAT");
    expect(value("upgrade_date_missing", "platform", "days_left", "case-0020")).toBe("-3");
    expect(value("upgrade_date_missing", "platform", "days_left", "case-0022")).toBe("");
  });

  it("gives each listed case its human id beside the finding id that keys its rows", () => {
    expect(value("suppression_blocked", "security", "case_ref", "case-0004")).toBe("SHG-4");
    expect(value("exception_expiring", "security", "case_ref", "case-0011")).toBe("SHG-11");
    expect(value("upgrade_date_missing", "platform", "case_ref", "case-0020")).toBe("SHG-20");
  });

  it("quotes the hostile title and defuses its formula, and it reads back as the title", () => {
    const line = csv.split("\r\n").find((l) => l.includes("case-0001") && l.includes(",title,"));
    expect(line).toBe(
      `suppression_blocked,platform,title,case-0001,"'${HOSTILE_TITLE.replaceAll('"', '""')}"`,
    );
    expect(value("suppression_blocked", "platform", "title", "case-0001")).toBe(`'${HOSTILE_TITLE}`);
  });

  it("defuses text that a spreadsheet would run, and leaves numbers alone", () => {
    expect(neutralizeFormula("=1+2")).toBe("'=1+2");
    expect(neutralizeFormula("+44 20 7946 0000")).toBe("'+44 20 7946 0000");
    expect(neutralizeFormula("-2+3")).toBe("'-2+3");
    expect(neutralizeFormula("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(neutralizeFormula("\t=cmd")).toBe("'\t=cmd");
    expect(neutralizeFormula("-3")).toBe("-3");
    expect(neutralizeFormula("-1.5e3")).toBe("-1.5e3");
    expect(neutralizeFormula("+7")).toBe("+7");
    expect(neutralizeFormula("arn:aws:iam::1:role/x")).toBe("arn:aws:iam::1:role/x");
  });

  it("quotes fields with commas, quotes and line breaks (RFC 4180)", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\r\nlines")).toBe('"two\r\nlines"');
    const multiline = sampleReport();
    const first = multiline.suppressionsBlocked.items[0];
    if (first) first.title = "line one\nline, two";
    const parsed = parseCsv(renderCsv(multiline));
    expect(parsed.find((r) => r[2] === "title" && r[3] === "case-0001")?.[4]).toBe("line one\nline, two");
  });
});

describe("renderHtml", () => {
  const report = sampleReport();
  const chartPng = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
  const html = renderHtml(report, { chartPng });

  it("escapes the hostile title: no markup of its own reaches the page", () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(escapeHtml(HOSTILE_TITLE));
    expect(escapeHtml(HOSTILE_TITLE)).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(escapeHtml(`"'&`)).toBe("&quot;&#39;&amp;");
  });

  it("escapes a hostile team name in headings, ids and links", () => {
    const hostile = sampleReport();
    const platform = hostile.teams[0];
    if (platform) platform.team = 'x"><img src=x onerror=alert(1)>';
    const page = renderHtml(hostile, { chartPng });
    expect(page).not.toContain("<img src=x");
    expect(page).not.toContain('"><img');
  });

  it("has every section anchor exactly once, and one per team", () => {
    for (const id of Object.values(REPORT_SECTION_IDS)) {
      expect(html.split(`id="${id}"`)).toHaveLength(2);
    }
    expect(teamSectionId("platform")).toBe("team-platform");
    expect(html).toContain('<section id="team-platform">');
    expect(html).toContain('<section id="team-security">');
    expect(teamSectionId("a b")).not.toBe(teamSectionId("a-b"));
  });

  it("embeds the chart as a data: URL with alt text, and refers to nothing outside the file", () => {
    const src = /<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"[^>]*alt="([^"]+)"/.exec(html);
    expect(Buffer.from(src?.[1] ?? "", "base64")).toEqual(chartPng);
    expect(src?.[2]).toBe(
      "Trend chart over 8 weeks: open cases went from 31 to 25; SLA compliance in the last week 91.7%.",
    );
    const references = [...html.matchAll(/\b(?:src|href|action|srcset)="([^"]*)"/g)].map((m) => m[1] ?? "");
    for (const reference of references) expect(reference).toMatch(/^(#|data:image\/png;base64,)/);
    expect(html).not.toMatch(/<link|@import|url\(/i);
  });

  it("has the period, the generation time and the tables with captions", () => {
    expect(html).toContain("2026-11-16 00:00 UTC</time> to <time");
    expect(html).toContain('generated <time datetime="2026-11-23T07:00:12.345Z">2026-11-23 07:00 UTC</time>');
    expect(html).toContain("<caption>Cases and SLA in the period</caption>");
    expect(html).toContain('<th scope="row">All teams</th>');
    expect(html).toContain('<td class="num">91.7% (11/12)</td>');
    expect(html).toContain("<caption>Team platform: figures</caption>");
    expect(html).toContain("<caption>EKS versions past the end of standard support</caption>");
    expect(html).toContain(
      "3 clusters on extended support, $1,080.00 extra per 30 days; 1 cluster past the end of extended support",
    );
  });
});

describe("trend chart", () => {
  const report = sampleReport();
  let svg = "";
  let png: Buffer = Buffer.alloc(0);
  let renderMs = 0;

  beforeAll(async () => {
    svg = await renderTrendChartSvg(report);
    const started = performance.now();
    png = await renderTrendChartPng(report);
    renderMs = performance.now() - started;
  });

  it("is a PNG of exactly the documented size", () => {
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.toString("latin1", 12, 16)).toBe("IHDR");
    expect(png.readUInt32BE(16)).toBe(CHART_WIDTH_PX);
    expect(png.readUInt32BE(20)).toBe(CHART_HEIGHT_PX);
    // Generous: it takes ~100 ms; seconds would mean something is wrong (e.g. a browser or network).
    expect(renderMs).toBeLessThan(5_000);
  });

  it("draws a bar per week and the compliance line broken where a week has no figure", () => {
    const bars = /<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)<\/g>/s.exec(svg)?.[1] ?? "";
    expect(bars.match(/<path /g)).toHaveLength(report.trend.length);
    const line = /<g class="mark-line role-mark[^"]*"[^>]*>.*?\bd="([^"]+)"/s.exec(svg)?.[1] ?? "";
    expect(line.match(/M/g)).toHaveLength(complianceRuns(report));
    expect(complianceRuns(report)).toBe(3);
    const points = /<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/s.exec(svg)?.[1] ?? "";
    expect(points.match(/<path /g)).toHaveLength(report.trend.filter((p) => p.compliance !== null).length);
  });

  it("shows bars, the line and text in the PNG itself", () => {
    const image = decodePng(png);
    const total = image.width * image.height;
    expect(countColor(image, "#6baed6") / total).toBeGreaterThan(0.1);
    // Orange is the compliance series: line, points and their labels.
    expect(countColor(image, "#d95f02") / total).toBeGreaterThan(0.004);
    // Dark pixels are text (title, labels): with no font found they would be missing.
    expect(countColor(image, "#101010", 60) / total).toBeGreaterThan(0.01);
  });

  it("names the team, or all teams, and the period in the title", () => {
    const spec = trendChartSpec({ ...report, team: "platform" });
    const title = JSON.stringify(spec.title);
    expect(title).toContain("team platform");
    expect(title).toContain("Report period 2026-11-16 00:00 – 2026-11-23 00:00 UTC");
    expect(JSON.stringify(trendChartSpec(report).title)).toContain("all teams");
  });

  it("keeps its size with no trend data and with a long team name", async () => {
    for (const variant of [
      { ...report, trend: [] },
      { ...report, team: "x".repeat(200), trend: report.trend.map((p) => ({ ...p, open: p.open * 10_000 })) },
    ]) {
      const image = await renderTrendChartPng(variant);
      expect([image.readUInt32BE(16), image.readUInt32BE(20)]).toEqual([CHART_WIDTH_PX, CHART_HEIGHT_PX]);
    }
  });
});
