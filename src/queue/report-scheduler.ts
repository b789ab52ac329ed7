import type { Logger } from "pino";
import type { Env } from "../config/env.js";
import {
  deliverScheduledReport,
  type ReportDeliveryDeps,
  type ReportOutcome,
} from "../slack/report-delivery.js";
import { runScheduledJob } from "./scheduled-job.js";

export const REPORT_QUEUE = "weekly-report";
export const REPORT_SCHEDULER_ID = "weekly-report";
export const REPORT_RETRY_QUEUE = "weekly-report-retry";
export const REPORT_RETRY_SCHEDULER_ID = "weekly-report-retry";
/** How often a report that did not go out (Slack or the service was down) is tried again. */
export const REPORT_RETRY_EVERY_MS = 10 * 60_000;

/**
 * The weekly report's schedule: a BullMQ job scheduler on the policy's `report.schedule` in
 * `report.timezone` (one per queue prefix, however many instances start it), and a second one every
 * 10 minutes that delivers the last slot's report if it has not gone out yet (a run that failed, or
 * was missed while the service or Redis was down), within a day of the slot. Exactly once per
 * period comes from report_runs, not from the queue: whichever run claims the period posts it.
 */
export function runReportScheduler(
  env: Pick<Env, "REDIS_URL" | "QUEUE_PREFIX">,
  deps: ReportDeliveryDeps,
  options: { retryEveryMs?: number } = {},
): () => Promise<void> {
  const settings = deps.policy.report;
  if (!settings) return async () => {};
  const logger: Logger = deps.logger;
  const onCompleted = (outcome: ReportOutcome) => {
    if (outcome.outcome === "skipped" && outcome.reason.startsWith("the slot is")) return;
    logger.debug({ outcome }, "weekly report run");
  };
  const stopOnTime = runScheduledJob(env, logger, {
    queue: REPORT_QUEUE,
    schedulerId: REPORT_SCHEDULER_ID,
    jobName: "report",
    repeat: { pattern: settings.schedule, timezone: settings.timezone },
    what: "weekly report",
    run: (scheduledAt) => deliverScheduledReport(deps, scheduledAt),
    onCompleted,
  });
  const stopRetry = runScheduledJob(env, logger, {
    queue: REPORT_RETRY_QUEUE,
    schedulerId: REPORT_RETRY_SCHEDULER_ID,
    jobName: "report-retry",
    repeat: { everyMs: options.retryEveryMs ?? REPORT_RETRY_EVERY_MS },
    what: "weekly report retry",
    run: () => deliverScheduledReport(deps, deps.now()),
    onCompleted,
  });
  return async () => {
    await Promise.all([stopOnTime(), stopRetry()]);
  };
}
