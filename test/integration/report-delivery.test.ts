import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import type { Policy } from "../../src/engine/policy.js";
import { reportRoutes } from "../../src/http/report-routes.js";
import { createHttpServer } from "../../src/http/server.js";
import { runReportScheduler } from "../../src/queue/report-scheduler.js";
import { CHART_HEIGHT_PX, CHART_WIDTH_PX } from "../../src/report/chart.js";
import { createSlackClient } from "../../src/slack/client.js";
import {
  deliverScheduledReport,
  REPORT_CLAIM_STALE_MS,
  type ReportDeliveryDeps,
  reportSlot,
} from "../../src/slack/report-delivery.js";
import type { Database } from "../../src/store/database.js";
import {
  claimReportRun,
  listReportRuns,
  ReportClaimLostError,
  updateReportRun,
} from "../../src/store/report-runs.js";
import { examplePolicy } from "../support/engine.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";
import { eventually } from "../support/http.js";
import { generateHistory, storeHistory } from "../support/report-dataset.js";
import { deleteQueueKeys } from "../support/service.js";
import { storePerFile } from "../support/stores.js";

/**
 * The weekly report delivered to a fake Slack through the real WebClient: the Block Kit summary
 * with chat.postMessage, then the chart and the HTML report with files.uploadV2 (the URL asked,
 * the bytes posted to it, the upload completed into the summary's thread). Exactly once per period
 * comes from report_runs.
 */
const logger = pino({ level: process.env.TEST_LOG ?? "silent" });
const CHANNEL = "C0SECURITY";
const MONDAY_9_SAO_PAULO = new Date("2026-11-30T12:00:00.000Z");

let fake: FakeSlack;
let db: Database;
const stores = storePerFile("postgres");

beforeAll(async () => {
  fake = await startFakeSlack({ perChannelIntervalMs: 10, burst: 10 });
});
afterAll(async () => {
  await fake.close();
  await stores.close();
});
beforeEach(async () => {
  db = await stores.fresh();
  const policy = examplePolicy();
  await storeHistory(
    db,
    generateHistory(policy, {
      seed: 5,
      cases: 80,
      until: MONDAY_9_SAO_PAULO.toISOString(),
      weeksBack: 10,
      afterUntilMs: 0,
    }),
  );
  fake.reset();
  fake.clearFailures();
});

function deps(
  policy: Policy,
  now: () => Date,
  overrides: Partial<ReportDeliveryDeps> = {},
): ReportDeliveryDeps {
  return {
    db,
    policy,
    client: createSlackClient({ token: "xoxb-test", slackApiUrl: fake.url }),
    logger,
    now,
    publicUrl: null,
    instance: "test-1",
    ...overrides,
  };
}

function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("the weekly report in Slack", () => {
  it("given the policy's schedule, the slot is the last Monday 09:00 in São Paulo", () => {
    const policy = examplePolicy();
    const settings = policy.report;
    if (!settings) throw new Error("the example policy has a report section");
    expect(
      reportSlot(settings.schedule, settings.timezone, new Date("2026-12-02T15:00:00Z")).toISOString(),
    ).toBe(MONDAY_9_SAO_PAULO.toISOString());
    expect(reportSlot(settings.schedule, settings.timezone, MONDAY_9_SAO_PAULO).toISOString()).toBe(
      MONDAY_9_SAO_PAULO.toISOString(),
    );
  });

  it("posts the summary, then the chart and the HTML report in its thread; a second run posts nothing", async () => {
    const policy = examplePolicy();
    const now = () => new Date(MONDAY_9_SAO_PAULO.getTime() + 2_000);
    const outcome = await deliverScheduledReport(deps(policy, now), MONDAY_9_SAO_PAULO);
    expect(outcome).toMatchObject({ outcome: "posted", periodKey: MONDAY_9_SAO_PAULO.toISOString() });

    const [summary, ...others] = fake.messages(CHANNEL);
    expect(others).toEqual([]);
    expect(summary?.text).toMatch(/^Weekly governance report: \d+ open cases/);
    const blocks = JSON.stringify(summary?.blocks);
    expect(blocks).toContain("SLA compliance");
    expect(blocks).toContain("2026-11-23 to 2026-11-30");

    const files = fake.files(CHANNEL);
    expect(files.map((file) => file.filename)).toEqual([
      "governance-trend-2026-11-30.png",
      "governance-report-2026-11-30.html",
    ]);
    for (const file of files) expect(file.threadTs).toBe(summary?.ts);
    const [chart, html] = files;
    expect(pngSize(chart?.bytes as Buffer)).toEqual({ width: CHART_WIDTH_PX, height: CHART_HEIGHT_PX });
    expect(chart?.altText).toMatch(/SLA compliance/);
    expect(html?.bytes?.toString("utf8")).toContain("data:image/png;base64,");

    const again = await deliverScheduledReport(deps(policy, now), MONDAY_9_SAO_PAULO);
    expect(again).toMatchObject({ outcome: "skipped" });
    expect(fake.messages(CHANNEL)).toHaveLength(1);
    expect(fake.calls("files.getUploadURLExternal")).toHaveLength(2);
    const [run] = await listReportRuns(db);
    expect(run).toMatchObject({
      status: "posted",
      ts: summary?.ts,
      attempts: 1,
      fileIds: files.map((f) => f.id),
    });
  });

  it("given the upload fails after the summary went out, the retry uploads the files without posting the summary again", async () => {
    const policy = examplePolicy();
    const now = () => new Date(MONDAY_9_SAO_PAULO.getTime() + 60_000);
    fake.fail({ type: "http", status: 503, calls: 1, method: "files.getUploadURLExternal" });
    await expect(deliverScheduledReport(deps(policy, now), MONDAY_9_SAO_PAULO)).rejects.toThrow();
    const [failed] = await listReportRuns(db);
    expect(failed).toMatchObject({ status: "failed", fileIds: null });
    expect(failed?.ts).toBe(fake.messages(CHANNEL)[0]?.ts);

    // The retry schedule runs later with its own instant; the slot is the same period.
    const retried = await deliverScheduledReport(
      deps(policy, () => new Date(MONDAY_9_SAO_PAULO.getTime() + 600_000), { instance: "test-2" }),
      new Date(MONDAY_9_SAO_PAULO.getTime() + 600_000),
    );
    expect(retried).toMatchObject({ outcome: "posted", ts: failed?.ts });
    expect(fake.messages(CHANNEL)).toHaveLength(1);
    expect(fake.files(CHANNEL)).toHaveLength(2);
    const [run] = await listReportRuns(db);
    expect(run).toMatchObject({ status: "posted", attempts: 2, claimedBy: "test-2" });
  });

  it("given Slack refuses for good (no such channel), the period is abandoned, said at error level, and not retried", async () => {
    const policy = examplePolicy();
    const now = () => new Date(MONDAY_9_SAO_PAULO.getTime() + 1_000);
    fake.fail({ type: "platform_error", error: "channel_not_found", method: "chat.postMessage", calls: 1 });
    const outcome = await deliverScheduledReport(deps(policy, now), MONDAY_9_SAO_PAULO);
    expect(outcome).toEqual({
      outcome: "abandoned",
      periodKey: MONDAY_9_SAO_PAULO.toISOString(),
      error: "channel_not_found",
    });
    const retry = await deliverScheduledReport(
      deps(policy, () => new Date(now().getTime() + 600_000)),
      now(),
    );
    expect(retry).toMatchObject({ outcome: "skipped" });
    const [run] = await listReportRuns(db);
    expect(run).toMatchObject({ status: "abandoned", lastError: "channel_not_found", attempts: 1 });
    expect(fake.messages()).toEqual([]);
  });

  it("given the first attempt failed before posting, the retry posts to the channel the policy names now, with the figures of the first attempt", async () => {
    const first = {
      ...examplePolicy(),
      report: { schedule: "0 9 * * 1", timezone: "America/Sao_Paulo", channel: "C0OLD" },
    };
    const firstAt = new Date(MONDAY_9_SAO_PAULO.getTime() + 1_000);
    fake.fail({ type: "http", status: 503, calls: 1, method: "chat.postMessage" });
    await expect(
      deliverScheduledReport(
        deps(first, () => firstAt),
        MONDAY_9_SAO_PAULO,
      ),
    ).rejects.toThrow();
    const [failed] = await listReportRuns(db);
    expect(failed).toMatchObject({ status: "failed", channel: "C0OLD", ts: null });
    expect(failed?.report?.generatedAt).toBe(firstAt.toISOString());

    const later = new Date(MONDAY_9_SAO_PAULO.getTime() + 600_000);
    const retried = await deliverScheduledReport(
      deps(examplePolicy(), () => later),
      later,
    );
    expect(retried).toMatchObject({ outcome: "posted" });
    expect(fake.messages("C0OLD")).toEqual([]);
    expect(fake.messages(CHANNEL)).toHaveLength(1);
    const html = fake.files(CHANNEL)[1]?.bytes?.toString("utf8") ?? "";
    expect(html).toContain(firstAt.toISOString().slice(0, 16).replace("T", " "));
  });

  it("given a holder silent for 10 minutes, another instance takes the period over and the first one's claim is fenced off", async () => {
    const policy = examplePolicy();
    const claimedAt = new Date(MONDAY_9_SAO_PAULO.getTime() + 1_000);
    const held = await claimReportRun(
      db,
      {
        periodKey: MONDAY_9_SAO_PAULO.toISOString(),
        since: "2026-11-23T12:00:00.000Z",
        until: MONDAY_9_SAO_PAULO.toISOString(),
        channel: CHANNEL,
        claimedBy: "crashed",
        now: claimedAt.toISOString(),
      },
      REPORT_CLAIM_STALE_MS,
    );
    expect(held?.claimedBy).toBe("crashed");
    const early = new Date(claimedAt.getTime() + REPORT_CLAIM_STALE_MS - 1_000);
    expect(
      await deliverScheduledReport(
        deps(policy, () => early, { instance: "b" }),
        early,
      ),
    ).toMatchObject({
      outcome: "skipped",
    });
    const late = new Date(claimedAt.getTime() + REPORT_CLAIM_STALE_MS + 1_000);
    expect(
      await deliverScheduledReport(
        deps(policy, () => late, { instance: "b" }),
        late,
      ),
    ).toMatchObject({
      outcome: "posted",
    });
    await expect(
      updateReportRun(db, MONDAY_9_SAO_PAULO.toISOString(), "crashed", {
        claimedAt: late.toISOString(),
        ts: "1.2",
      }),
    ).rejects.toBeInstanceOf(ReportClaimLostError);
    expect(fake.messages(CHANNEL)).toHaveLength(1);
  });

  it("given a time zone with daylight saving, the period runs from the previous slot: 7 days and an hour across the change", async () => {
    const policy = {
      ...examplePolicy(),
      report: { schedule: "0 9 * * 1", timezone: "America/New_York", channel: CHANNEL },
    };
    const slot = new Date("2026-11-02T14:00:00.000Z"); // Monday 09:00 EST, the day after clocks went back
    await deliverScheduledReport(
      deps(policy, () => new Date(slot.getTime() + 1_000)),
      slot,
    );
    const [run] = await listReportRuns(db);
    expect(run).toMatchObject({ since: "2026-10-26T13:00:00.000Z", until: "2026-11-02T14:00:00.000Z" });
  });

  it("given a slot more than a day old (the service was down all day), nothing is posted late", async () => {
    const policy = examplePolicy();
    const late = new Date(MONDAY_9_SAO_PAULO.getTime() + 2 * 86_400_000);
    const outcome = await deliverScheduledReport(
      deps(policy, () => late),
      late,
    );
    expect(outcome).toMatchObject({ outcome: "skipped", reason: "the slot is more than a day old" });
    expect(fake.messages()).toEqual([]);
  });

  it("with PUBLIC_URL, each number links to its section of the report the service serves behind an unguessable link", async () => {
    const policy = examplePolicy();
    const server = createHttpServer(reportRoutes(db), logger);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await deliverScheduledReport(
        deps(policy, () => new Date(MONDAY_9_SAO_PAULO.getTime() + 1_000), { publicUrl: `${base}/` }),
        MONDAY_9_SAO_PAULO,
      );
      const [run] = await listReportRuns(db);
      const blocks = JSON.stringify(fake.messages(CHANNEL)[0]?.blocks);
      for (const anchor of [
        "open-cases",
        "sla",
        "escalations",
        "suppressions",
        "exceptions",
        "upgrade-dates",
      ]) {
        expect(blocks).toContain(`<${base}/reports/${run?.token}#${anchor}|`);
      }
      expect(run?.token).toMatch(/^[0-9a-f]{32}$/);
      const page = await fetch(`${base}/reports/${run?.token}`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
      const html = await page.text();
      expect(html).toContain('id="sla"');
      expect(html).toBe(fake.files(CHANNEL)[1]?.bytes?.toString("utf8"));
      expect((await fetch(`${base}/reports/${"0".repeat(32)}`)).status).toBe(404);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it("with two instances running the scheduler, each period is posted once, and none again after a restart", async () => {
    // A schedule every 2 s stands in for the weekly one; the clock is the real one.
    const base = examplePolicy();
    const policy: Policy = {
      ...base,
      report: { schedule: "*/2 * * * * *", timezone: "UTC", channel: CHANNEL },
    };
    const env = {
      REDIS_URL: "redis://127.0.0.1:6379",
      QUEUE_PREFIX: `test-report-${randomBytes(4).toString("hex")}`,
    };
    const start = (instance: string) =>
      runReportScheduler(
        env,
        deps(policy, () => new Date(), { instance }),
        { retryEveryMs: 500 },
      );
    onTestFinished(() => deleteQueueKeys(env.REDIS_URL, env.QUEUE_PREFIX));
    const stops = [start("a"), start("b")];
    await eventually(async () => {
      const posted = (await listReportRuns(db)).filter((run) => run.status === "posted");
      if (posted.length < 3) throw new Error(`${posted.length} posted`);
      return posted;
    }, 20_000);
    await Promise.all(stops.map((stop) => stop()));
    const before = (await listReportRuns(db)).filter((run) => run.status === "posted");

    // Restart: the retry schedule's first run looks at the last slot at once.
    const restarted = start("a");
    await eventually(async () => {
      const posted = (await listReportRuns(db)).filter((run) => run.status === "posted");
      if (posted.length < before.length + 2) throw new Error(`${posted.length} posted`);
      return posted;
    }, 20_000);
    await restarted();

    const runs = (await listReportRuns(db)).filter((run) => run.status !== "claimed");
    const messages = fake.messages(CHANNEL);
    // One message per posted period, each period's message the one its row names.
    expect(runs.every((run) => run.status === "posted")).toBe(true);
    expect(messages.map((message) => message.ts).sort()).toEqual(runs.map((run) => run.ts).sort());
    expect(new Set(runs.map((run) => run.periodKey)).size).toBe(runs.length);
    for (const run of before) expect(runs.find((r) => r.periodKey === run.periodKey)?.ts).toBe(run.ts);
  }, 60_000);
});
