import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_HEIGHT_PX, CHART_WIDTH_PX, renderTrendChartPng } from "../../src/report/chart.js";
import { REPORT_SECTION_IDS, renderHtml } from "../../src/report/render-html.js";
import { HOSTILE_TITLE, sampleReport } from "../support/report-sample.js";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = fileURLToPath(new URL("../../test-output/report-html.png", import.meta.url));
const VIEWPORT = { width: 1280, height: 900 };

// Without Chromium the test is skipped and says so, except under CI, which installs it (.ci/run):
// there a missing browser is a broken setup and fails.
const chromiumMissing = !existsSync(CHROMIUM);
const skipForMissingChromium = chromiumMissing && !process.env.CI;
const SKIP_REASON = `${CHROMIUM} is missing; install it with: apt-get update && apt-get install -y --no-install-recommends chromium`;
if (skipForMissingChromium) process.stderr.write(`report-html.test.ts: skipped: ${SKIP_REASON}\n`);

describe.skipIf(skipForMissingChromium)(
  skipForMissingChromium
    ? `the HTML report in headless Chromium (skipped: ${SKIP_REASON})`
    : "the HTML report in headless Chromium",
  () => {
    let browser: Browser | undefined;
    let page: Page;
    let dir = "";
    let url = "";
    const requests: string[] = [];
    const problems: string[] = [];

    beforeAll(async () => {
      if (chromiumMissing) throw new Error(`CI is set and ${SKIP_REASON}`);
      const report = sampleReport();
      const html = renderHtml(report, { chartPng: await renderTrendChartPng(report) });
      dir = await mkdtemp(join(tmpdir(), "shgov-report-"));
      const file = join(dir, "report.html");
      await writeFile(file, html);
      url = pathToFileURL(file).href;

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      const context = await browser.newContext({ viewport: VIEWPORT });
      // data: URLs are part of the file, not requests to anywhere.
      context.on("request", (request) => {
        if (!request.url().startsWith("data:")) requests.push(request.url());
      });
      page = await context.newPage();
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(error.message));
      page.on("dialog", (dialog) => {
        problems.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      await page.goto(url, { waitUntil: "load" });
    });

    afterAll(async () => {
      await browser?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("loads the embedded chart at its full size", async () => {
      const image = await page.locator(`#${REPORT_SECTION_IDS.trend} img`).evaluate((element) => {
        const img = element as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number };
        return { complete: img.complete, width: img.naturalWidth, height: img.naturalHeight };
      });
      expect(image).toEqual({ complete: true, width: CHART_WIDTH_PX, height: CHART_HEIGHT_PX });
      await expect(page.locator(`#${REPORT_SECTION_IDS.trend} img`).getAttribute("alt")).resolves.toMatch(
        /^Trend chart over 8 weeks/,
      );
    });

    it("requests nothing but the page itself, and runs nothing", async () => {
      expect(requests).toEqual([url]);
      expect(problems).toEqual([]);
      expect(await page.locator("script").count()).toBe(0);
    });

    it("shows the hostile title as text", async () => {
      const cell = page.locator(`#${REPORT_SECTION_IDS.suppressions} td.title`).first();
      expect(await cell.textContent()).toBe(HOSTILE_TITLE);
    });

    it("has the overall and per-team tables", async () => {
      const allTeams = page.locator(`#${REPORT_SECTION_IDS.sla} tbody tr`, { hasText: "All teams" });
      expect(await allTeams.locator("td").nth(3).textContent()).toBe("91.7% (11/12)");
      for (const team of ["platform", "security"]) {
        const captions = await page.locator(`#team-${team} caption`).allTextContents();
        expect(captions).toEqual([`Team ${team}: figures`, `Team ${team}: time to remediate (days)`]);
      }
      const platformSla = page.locator("#team-platform tr", { hasText: "SLA compliance" }).locator("td");
      expect(await platformSla.textContent()).toBe("85.7% (6/7)");
    });

    it("has every linked section, and an anchor scrolls to it", async () => {
      for (const id of Object.values(REPORT_SECTION_IDS)) {
        await expect(page.locator(`[id="${id}"]`).count()).resolves.toBe(1);
        expect(await page.locator(`[id="${id}"]`).isVisible()).toBe(true);
      }
      await page.goto(`${url}#${REPORT_SECTION_IDS.eks}`);
      expect(await page.evaluate("window.scrollY")).toBeGreaterThan(0);
      await page.goto(url);
    });

    it("fits the window width (wide tables scroll inside their box) and is saved as a screenshot", async () => {
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(VIEWPORT.width);
      await mkdir(join(SCREENSHOT, ".."), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect((await stat(SCREENSHOT)).size).toBeGreaterThan(50_000);
    });
  },
);
