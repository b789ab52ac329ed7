import type { WebClient } from "@slack/web-api";
import { CronExpressionParser } from "cron-parser";
import type { Logger } from "pino";
import { DAY_MS } from "../engine/durations.js";
import type { Policy } from "../engine/policy.js";
import { recordReportRun } from "../metrics/registry.js";
import { buildReport } from "../report/build-report.js";
import { CHART_HEIGHT_PX, CHART_WIDTH_PX, renderTrendChartPng } from "../report/chart.js";
import type { Report } from "../report/model.js";
import { renderHtml } from "../report/render-html.js";
import { reportTeams } from "../report/report-request.js";
import type { Database } from "../store/database.js";
import {
  claimReportRun,
  finishReportRun,
  ReportClaimLostError,
  type ReportRun,
  updateReportRun,
} from "../store/report-runs.js";
import { classifySlackError } from "./dispatcher.js";
import type { ChannelPacer } from "./pacer.js";
import { reportSummaryMessage } from "./report-summary.js";

/** A report that could not go out on time (service down, Slack down) still goes out within this. */
export const REPORT_GRACE_MS = DAY_MS;
/** A claim whose holder has said nothing for this long is taken over (the holder crashed). */
export const REPORT_CLAIM_STALE_MS = 10 * 60_000;

export interface ReportDeliveryDeps {
  db: Database;
  policy: Policy;
  client: WebClient;
  logger: Logger;
  now: () => Date;
  /** The service's public base URL; when set, each number in Slack links to the full report. */
  publicUrl: string | null;
  /** Who claims the run (host, pid and a random suffix), for the record and the claim's fence. */
  instance: string;
  pacer?: ChannelPacer;
}

export type ReportOutcome =
  | { outcome: "posted"; periodKey: string; ts: string; fileIds: string[] }
  | { outcome: "skipped"; periodKey: string | null; reason: string }
  | { outcome: "abandoned"; periodKey: string; error: string };

/**
 * The last instant `schedule` fired at or before `at`, in the policy's time zone: the end of the
 * period a run at `at` reports on.
 */
export function reportSlot(schedule: string, timezone: string, at: Date): Date {
  return CronExpressionParser.parse(schedule, { currentDate: new Date(at.getTime() + 1), tz: timezone })
    .prev()
    .toDate();
}

/**
 * Posts the report of the period between the schedule's previous slot and its last one (a week
 * for a weekly schedule, daylight saving changes included), once: the period is claimed in
 * report_runs first (another instance, or this one after a restart, finds it taken or posted), and
 * each step (the report built, the summary, the files) is recorded as soon as it is done, so a
 * retry redoes only what is missing and posts the same figures. A failure Slack may get over
 * (5xx, 429, a network error, the database) is recorded and thrown, and the retry schedule tries
 * again within the grace period; one it will not (no such channel, not in it, a missing scope) is
 * abandoned for this period and logged as an error.
 */
export async function deliverScheduledReport(deps: ReportDeliveryDeps, at: Date): Promise<ReportOutcome> {
  const { db, policy, logger } = deps;
  const settings = policy.report;
  if (!settings) return { outcome: "skipped", periodKey: null, reason: "the policy has no report section" };
  const slot = reportSlot(settings.schedule, settings.timezone, at);
  const periodKey = slot.toISOString();
  const now = deps.now();
  if (now.getTime() - slot.getTime() > REPORT_GRACE_MS) {
    return { outcome: "skipped", periodKey, reason: "the slot is more than a day old" };
  }
  const since = reportSlot(settings.schedule, settings.timezone, new Date(slot.getTime() - 1));
  const run = await claimReportRun(
    db,
    {
      periodKey,
      since: since.toISOString(),
      until: periodKey,
      channel: settings.channel,
      claimedBy: deps.instance,
      now: now.toISOString(),
    },
    REPORT_CLAIM_STALE_MS,
  );
  if (!run) {
    recordReportRun("skipped");
    return { outcome: "skipped", periodKey, reason: "already posted, or being posted by another instance" };
  }
  const log = logger.child({ periodKey, channel: run.channel, attempt: run.attempts });
  const progress = { ts: run.ts, fileIds: run.fileIds };
  try {
    await postRun(deps, run, progress);
    await finishReportRun(db, periodKey, deps.instance, { status: "posted", at: deps.now().toISOString() });
    recordReportRun("posted");
    log.info({ ts: progress.ts, fileIds: progress.fileIds }, "weekly report posted");
    return { outcome: "posted", periodKey, ts: progress.ts ?? "", fileIds: progress.fileIds ?? [] };
  } catch (error) {
    if (error instanceof ReportClaimLostError) {
      log.warn("another instance took over the weekly report; this one stops");
      return { outcome: "skipped", periodKey, reason: error.message };
    }
    // Errors of Slack's client are classified as the dispatcher does; anything else (the database,
    // a dropped connection) is worth another try.
    const fromSlack = String((error as { code?: unknown } | null)?.code ?? "").startsWith("slack_webapi_");
    const failure = fromSlack
      ? classifySlackError(error)
      : { kind: "retryable" as const, message: error instanceof Error ? error.message : String(error) };
    if (failure.kind === "rate_limited") deps.pacer?.block(run.channel, failure.retryAfterMs);
    const status = failure.kind === "permanent" ? "abandoned" : "failed";
    await finishReportRun(db, periodKey, deps.instance, {
      status,
      error: failure.message,
      ts: progress.ts,
      fileIds: progress.fileIds,
    }).catch((finishError) => log.error({ err: finishError }, "could not record the report's failure"));
    recordReportRun("failed");
    if (status === "abandoned") {
      log.error(
        { err: error },
        `Slack refused the weekly report (${failure.message}); not retried for this period: check report.channel and that the app is in it`,
      );
      return { outcome: "abandoned", periodKey, error: failure.message };
    }
    log.warn({ err: error }, "weekly report failed; retried within the day");
    throw error;
  }
}

async function postRun(
  deps: ReportDeliveryDeps,
  run: ReportRun,
  progress: { ts: string | null; fileIds: string[] | null },
): Promise<void> {
  const { db, policy, client } = deps;
  const alive = () => deps.now().toISOString();
  let report: Report;
  if (run.report) {
    report = run.report;
  } else {
    report = await buildReport(db, {
      since: new Date(run.since),
      until: new Date(run.until),
      team: null,
      teams: reportTeams(policy).owners,
      generatedAt: deps.now(),
    });
  }
  const chartPng = await renderTrendChartPng(report);
  const html = renderHtml(report, { chartPng });
  if (!run.report)
    await updateReportRun(db, run.periodKey, deps.instance, { claimedAt: alive(), report, html });
  const detailUrl = deps.publicUrl ? `${deps.publicUrl.replace(/\/+$/, "")}/reports/${run.token}` : null;

  let channelId = run.channel;
  if (progress.ts === null) {
    const message = reportSummaryMessage(report, { detailUrl });
    await deps.pacer?.take(run.channel);
    await updateReportRun(db, run.periodKey, deps.instance, { claimedAt: alive() });
    const answer = await client.chat.postMessage({
      channel: run.channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
    });
    if (!answer.ts) throw new Error("chat.postMessage answered without a ts");
    progress.ts = answer.ts;
    channelId = answer.channel ?? run.channel;
    await updateReportRun(db, run.periodKey, deps.instance, { claimedAt: alive(), ts: answer.ts });
  }
  if (progress.fileIds !== null) return;

  const day = run.until.slice(0, 10);
  const upload = await client.filesUploadV2({
    channel_id: channelId,
    thread_ts: progress.ts,
    initial_comment: "Open cases and SLA compliance over the last 8 weeks, and the full report.",
    file_uploads: [
      {
        file: chartPng,
        filename: `governance-trend-${day}.png`,
        title: `Governance trend to ${day}`,
        alt_text: `Open cases and SLA compliance per week over the 8 weeks to ${day} (${CHART_WIDTH_PX}x${CHART_HEIGHT_PX} chart)`,
      },
      {
        file: Buffer.from(html, "utf8"),
        filename: `governance-report-${day}.html`,
        title: `Governance report to ${day}`,
      },
    ],
  });
  const fileIds = (upload.files ?? []).flatMap((completion) =>
    ((completion as { files?: { id?: string }[] }).files ?? []).flatMap((file) => (file.id ? [file.id] : [])),
  );
  progress.fileIds = fileIds;
  await updateReportRun(db, run.periodKey, deps.instance, { claimedAt: alive(), fileIds });
}
