import { renderAsync } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { formatDay, formatInstant, scopeLabel } from "./format.js";
import type { Report } from "./model.js";

/**
 * The trend chart is laid out at CHART_LAYOUT_WIDTH x CHART_LAYOUT_HEIGHT (title, axes and labels
 * included) and rasterised at CHART_SCALE, so the PNG is exactly CHART_WIDTH_PX x CHART_HEIGHT_PX
 * and its text stays sharp on high-density screens and in Slack previews.
 */
export const CHART_LAYOUT_WIDTH = 600;
export const CHART_LAYOUT_HEIGHT = 300;
export const CHART_SCALE = 2;
export const CHART_WIDTH_PX = CHART_LAYOUT_WIDTH * CHART_SCALE;
export const CHART_HEIGHT_PX = CHART_LAYOUT_HEIGHT * CHART_SCALE;

/** Fonts installed on the CI image and in Debian's fonts-dejavu-core; the SVG names them explicitly. */
const CHART_FONT = "DejaVu Sans";

const OPEN_COLOR = "#6baed6";
const OPEN_LABEL_COLOR = "#08306b";
const COMPLIANCE_COLOR = "#d95f02";

const CHART_PADDING = 12;

/** The x axis: the ISO instant keeps weeks apart even if two ended on the same day; labels show the day. */
const weekAxis = {
  field: "weekEnding",
  type: "ordinal",
  sort: null,
  title: "Week ending (UTC)",
  axis: { labelAngle: 0, labelExpr: "utcFormat(toDate(datum.value), '%-d %b')" },
} as const;

/** The 8-week trend: open cases as bars (left axis), SLA compliance as a line (right axis, 0-100%). */
export function trendChartSpec(report: Report): TopLevelSpec {
  const values = report.trend.map((point) => ({
    weekEnding: point.weekEnding,
    open: point.open,
    // Null stays null: the line breaks there instead of dropping to 0% for a week with nothing to measure.
    compliancePct: point.compliance === null ? null : Math.round(point.compliance * 1000) / 10,
  }));
  const last = report.trend.at(-1)?.weekEnding ?? report.period.until;
  const hasGaps = report.trend.some((point) => point.compliance === null);
  // An all-zero domain would put 0 mid-height; [0, 1] keeps the baseline at the bottom.
  const openScale = values.some((value) => value.open > 0) ? { zero: true } : { domain: [0, 1] };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: CHART_LAYOUT_WIDTH,
    height: CHART_LAYOUT_HEIGHT,
    autosize: { type: "fit", contains: "padding" },
    padding: CHART_PADDING,
    background: "white",
    title: {
      text: "Open cases and SLA compliance",
      subtitle: [
        report.trend.length === 0
          ? `No trend data · ${scopeLabel(report.team)}`
          : `${report.trend.length} weeks to ${formatDay(last)} · ${scopeLabel(report.team)}`,
        `Report period ${formatInstant(report.period.since).replace(" UTC", "")} – ${formatInstant(report.period.until)}`,
        ...(hasGaps ? ["Gaps: weeks in which no case with a deadline was closed"] : []),
      ],
      anchor: "start",
      // Layout measures text by estimate (no canvas in Node): a long team name must be cut, not
      // allowed to push the plot narrower.
      limit: CHART_LAYOUT_WIDTH - 2 * CHART_PADDING,
    },
    data: { values },
    encoding: { x: weekAxis },
    layer: [
      {
        layer: [
          {
            mark: { type: "bar", color: OPEN_COLOR, width: { band: 0.6 } },
            encoding: {
              y: {
                field: "open",
                type: "quantitative",
                title: "Open cases",
                scale: openScale,
                axis: { orient: "left", titleColor: OPEN_LABEL_COLOR, tickMinStep: 1, format: "d" },
              },
            },
          },
          {
            // Counts sit at the foot of the bars, where the compliance line (mostly high) does not cross.
            mark: { type: "text", baseline: "bottom", dy: -4, color: OPEN_LABEL_COLOR, fontWeight: "bold" },
            encoding: {
              y: { datum: 0, type: "quantitative" },
              text: { field: "open", type: "quantitative" },
            },
          },
        ],
      },
      {
        layer: [
          {
            mark: {
              type: "line",
              color: COMPLIANCE_COLOR,
              strokeWidth: 2.5,
              point: { filled: true, size: 60, color: COMPLIANCE_COLOR },
              invalid: "break-paths-show-domains",
            },
            encoding: {
              y: {
                field: "compliancePct",
                type: "quantitative",
                title: "SLA compliance (%)",
                scale: { domain: [0, 100] },
                axis: { orient: "right", titleColor: COMPLIANCE_COLOR, format: "d" },
              },
            },
          },
          {
            mark: { type: "text", baseline: "bottom", dy: -8, color: COMPLIANCE_COLOR, fontWeight: "bold" },
            encoding: {
              y: { field: "compliancePct", type: "quantitative" },
              text: { field: "compliancePct", type: "quantitative", format: ".0f" },
            },
          },
        ],
      },
    ],
    resolve: { scale: { y: "independent" } },
    config: {
      font: CHART_FONT,
      title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: "#444" },
      axis: { labelFontSize: 12, titleFontSize: 12, labelColor: "#222", titleFontWeight: "bold" },
      view: { stroke: null },
    },
  };
}

/** The chart as SVG, laid out at CHART_LAYOUT_WIDTH x CHART_LAYOUT_HEIGHT; no browser, no network. */
export async function renderTrendChartSvg(report: Report): Promise<string> {
  const view = new vega.View(vega.parse(compile(trendChartSpec(report)).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The chart as a PNG of exactly CHART_WIDTH_PX x CHART_HEIGHT_PX; rasterised off the event loop. */
export async function renderTrendChartPng(report: Report): Promise<Buffer> {
  const svg = await renderTrendChartSvg(report);
  const image = await renderAsync(svg, {
    fitTo: { mode: "zoom", value: CHART_SCALE },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT, sansSerifFamily: CHART_FONT },
  });
  if (image.width !== CHART_WIDTH_PX || image.height !== CHART_HEIGHT_PX) {
    // The layout overflowed its fixed size (e.g. an unexpectedly long label): say so rather than hand
    // Slack and the HTML report an image of another size than documented.
    throw new Error(
      `trend chart rendered at ${image.width}x${image.height}, expected ${CHART_WIDTH_PX}x${CHART_HEIGHT_PX}`,
    );
  }
  return image.asPng();
}
