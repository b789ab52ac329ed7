import type { WebClient } from "@slack/web-api";
import { CronExpressionParser } from "cron-parser";
import type { Logger } from "pino";
import type { Policy } from "../engine/policy.js";
import { recordReportRun } from "../metrics/registry.js";
import type { ChannelPacer } from "../slack/pacer.js";
import type { Database } from "../store/database.js";
import { claimReportRun, finishReportRun, type ReportRun, updateReportRun } from "../store/report-runs.js";
import { buildReport } from "./build-report.js";
import { CHART_HEIGHT_PX, CHART_WIDTH_PX, renderTrendChartPng } from "./chart.js";
import { renderHtml } from "./render-html.js";
import { reportTeams } from "./report-routes.js";
import { reportSummaryMessage } from "./slack-summary.js";

const DAY_MS = 86_400_000;
/** The report covers the week before its scheduled instant. */
export const REPORT_PERIOD_MS = 7 * DAY_MS;
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
  /** Who claims the run (host and pid), for the record. */
  instance: string;
  pacer?: ChannelPacer;
}

export type ReportOutcome =
  | { outcome: "posted"; periodKey: string; ts: string; fileIds: string[] }
  | { outcome: "skipped"; periodKey: string | null; reason: string };

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
 * Posts the report of the period that ended at the schedule's last slot, once: the period is
 * claimed in report_runs first (another instance, or this one after a restart, finds it taken or
 * posted), and each step (summary, files) is recorded as soon as it is done, so a retry after a
 * failure or a crash redoes only what is missing. Failures are recorded and thrown: the retry
 * schedule tries again within the grace period.
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
  const run = await claimReportRun(
    db,
    {
      periodKey,
      since: new Date(slot.getTime() - REPORT_PERIOD_MS).toISOString(),
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
  try {
    const posted = await postRun(deps, run, slot);
    await finishReportRun(db, periodKey, deps.instance, { status: "posted", at: deps.now().toISOString() });
    recordReportRun("posted");
    log.info({ ts: posted.ts, fileIds: posted.fileIds }, "weekly report posted");
    return { outcome: "posted", periodKey, ...posted };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await finishReportRun(db, periodKey, deps.instance, { status: "failed", error: message }).catch(() => {});
    recordReportRun("failed");
    log.warn({ err: error }, "weekly report failed; retried within the day");
    throw error;
  }
}

async function postRun(
  deps: ReportDeliveryDeps,
  run: ReportRun,
  slot: Date,
): Promise<{ ts: string; fileIds: string[] }> {
  const { db, policy, client } = deps;
  const report = await buildReport(db, {
    since: new Date(run.since),
    until: slot,
    team: null,
    teams: reportTeams(policy).owners,
  });
  const chartPng = await renderTrendChartPng(report);
  const html = renderHtml(report, { chartPng });
  await updateReportRun(db, run.periodKey, deps.instance, { html });
  const detailUrl = deps.publicUrl ? `${deps.publicUrl.replace(/\/+$/, "")}/reports/${run.token}` : null;

  let ts = run.ts;
  let channelId = run.channel;
  if (ts === null) {
    const message = reportSummaryMessage(report, { detailUrl });
    await deps.pacer?.take(run.channel);
    const answer = await client.chat.postMessage({
      channel: run.channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
    });
    if (!answer.ts) throw new Error("chat.postMessage answered without a ts");
    ts = answer.ts;
    channelId = answer.channel ?? run.channel;
    await updateReportRun(db, run.periodKey, deps.instance, { ts });
  }
  if (run.fileIds !== null) return { ts, fileIds: run.fileIds };

  const day = run.until.slice(0, 10);
  const upload = await client.filesUploadV2({
    channel_id: channelId,
    thread_ts: ts,
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
  await updateReportRun(db, run.periodKey, deps.instance, { fileIds });
  return { ts, fileIds };
}
