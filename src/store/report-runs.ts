import { randomBytes } from "node:crypto";
import { ShgovError } from "../errors.js";
import type { Report } from "../report/model.js";
import { iso, isoOrNull, type Sql } from "./database.js";

/**
 * One scheduled report period and how far its delivery got (report_runs). `failed` is tried again;
 * `abandoned` (Slack refused for good: no such channel, not in it, a missing scope) is not.
 */
export interface ReportRun {
  periodKey: string;
  since: string;
  until: string;
  channel: string;
  status: "claimed" | "posted" | "failed" | "abandoned";
  attempts: number;
  claimedAt: string;
  claimedBy: string;
  token: string;
  /** The report as built on the first attempt: a retry posts the same figures. */
  report: Report | null;
  /** Slack's ts of the summary once posted: a retry does not post it again. */
  ts: string | null;
  /** The files uploaded once they are: a retry does not upload them again. */
  fileIds: string[] | null;
  postedAt: string | null;
  lastError: string | null;
}

interface ReportRunRow {
  period_key: string;
  since: Date;
  until: Date;
  channel: string;
  status: ReportRun["status"];
  attempts: number;
  claimed_at: Date;
  claimed_by: string;
  token: string;
  report: Report | null;
  ts: string | null;
  file_ids: string[] | null;
  posted_at: Date | null;
  last_error: string | null;
}

const COLUMNS =
  "period_key, since, until, channel, status, attempts, claimed_at, claimed_by, token, report, ts, file_ids, posted_at, last_error";

function fromRow(row: ReportRunRow): ReportRun {
  return {
    periodKey: row.period_key,
    since: iso(row.since),
    until: iso(row.until),
    channel: row.channel,
    status: row.status,
    attempts: row.attempts,
    claimedAt: iso(row.claimed_at),
    claimedBy: row.claimed_by,
    token: row.token,
    report: row.report,
    ts: row.ts,
    fileIds: row.file_ids,
    postedAt: isoOrNull(row.posted_at),
    lastError: row.last_error,
  };
}

/** The holder of a period's claim lost it (it was silent too long and another instance took over). */
export class ReportClaimLostError extends ShgovError {
  override name = "ReportClaimLostError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("report.claim_lost", message, options);
  }
}

/**
 * Claims a period for delivery: the first claim inserts the row; a later one takes it over only
 * when it failed, or when its holder has been silent for `staleAfterMs` (it crashed). Until the
 * summary is posted, a claim takes the channel the policy names now. Returns null when the period
 * is posted, abandoned, or being delivered by another instance. Instants come from the callers'
 * clocks: instances must agree on the time to within minutes.
 */
export async function claimReportRun(
  db: Sql,
  run: { periodKey: string; since: string; until: string; channel: string; claimedBy: string; now: string },
  staleAfterMs: number,
): Promise<ReportRun | null> {
  const rows = await db.query<ReportRunRow>(
    `INSERT INTO report_runs (period_key, since, until, channel, status, claimed_at, claimed_by, token)
     VALUES ($1, $2, $3, $4, 'claimed', $5, $6, $7)
     ON CONFLICT (period_key) DO UPDATE
        SET status = 'claimed', attempts = report_runs.attempts + 1, claimed_at = EXCLUDED.claimed_at,
            claimed_by = EXCLUDED.claimed_by,
            channel = CASE WHEN report_runs.ts IS NULL THEN EXCLUDED.channel ELSE report_runs.channel END
      WHERE report_runs.status = 'failed'
         OR (report_runs.status = 'claimed' AND report_runs.claimed_at < $5::timestamptz - make_interval(secs => $8::float8 / 1000))
     RETURNING ${COLUMNS}`,
    [
      run.periodKey,
      run.since,
      run.until,
      run.channel,
      run.now,
      run.claimedBy,
      randomBytes(16).toString("hex"),
      staleAfterMs,
    ],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/**
 * Records a step of the delivery as soon as it is done, and that the holder is alive (`claimedAt`).
 * Throws ReportClaimLostError when the claim is no longer this holder's: it must stop.
 */
export async function updateReportRun(
  db: Sql,
  periodKey: string,
  claimedBy: string,
  change: { claimedAt: string; report?: Report; html?: string; ts?: string; fileIds?: string[] },
): Promise<void> {
  const rows = await db.query(
    `UPDATE report_runs SET report = COALESCE($3::jsonb, report), html = COALESCE($4, html), ts = COALESCE($5, ts),
            file_ids = COALESCE($6::jsonb, file_ids), claimed_at = $7
      WHERE period_key = $1 AND claimed_by = $2 AND status = 'claimed'
      RETURNING period_key`,
    [
      periodKey,
      claimedBy,
      change.report ? JSON.stringify(change.report) : null,
      change.html ?? null,
      change.ts ?? null,
      change.fileIds ? JSON.stringify(change.fileIds) : null,
      change.claimedAt,
    ],
  );
  if (rows.length === 0)
    throw new ReportClaimLostError(`the claim on the report of ${periodKey} was taken over`);
}

/** Ends a delivery; what was done before a failure (`ts`, `fileIds`) is kept so a retry skips it. */
export async function finishReportRun(
  db: Sql,
  periodKey: string,
  claimedBy: string,
  outcome:
    | { status: "posted"; at: string }
    | { status: "failed" | "abandoned"; error: string; ts: string | null; fileIds: string[] | null },
): Promise<void> {
  const failed = outcome.status === "posted" ? null : outcome;
  await db.query(
    `UPDATE report_runs SET status = $3, posted_at = $4, last_error = $5, ts = COALESCE($6, ts),
            file_ids = COALESCE($7::jsonb, file_ids)
      WHERE period_key = $1 AND claimed_by = $2 AND status = 'claimed'`,
    [
      periodKey,
      claimedBy,
      outcome.status,
      outcome.status === "posted" ? outcome.at : null,
      failed ? failed.error.slice(0, 2_000) : null,
      failed?.ts ?? null,
      failed?.fileIds ? JSON.stringify(failed.fileIds) : null,
    ],
  );
}

export async function listReportRuns(db: Sql): Promise<ReportRun[]> {
  const rows = await db.query<ReportRunRow>(`SELECT ${COLUMNS} FROM report_runs ORDER BY period_key`);
  return rows.map(fromRow);
}

/** The stored HTML report of a run, by its unguessable token (the link in Slack). */
export async function reportHtmlByToken(db: Sql, token: string): Promise<string | null> {
  const rows = await db.query<{ html: string | null }>("SELECT html FROM report_runs WHERE token = $1", [
    token,
  ]);
  return rows[0]?.html ?? null;
}
