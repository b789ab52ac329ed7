import {
  type FindingHistoryRecord,
  type FindingHistoryUpdate,
  GetFindingHistoryCommand,
  type SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import type { RateLimiter } from "./rate-limiter.js";

export interface SuppressorQuery {
  findingId: string;
  productArn: string;
  /** ISO 8601; history starts at the finding's CreatedAt when unset (Security Hub keeps 90 days). */
  since?: string;
  until?: string;
}

export interface Suppressor {
  /** UpdateSource.Identity: the caller ARN for BatchUpdateFindings, the product ARN for imports. */
  identity: string | null;
  /** UpdateSource.Type: BATCH_UPDATE_FINDINGS or BATCH_IMPORT_FINDINGS. */
  identityType: string | null;
  /** UpdateTime of that history record, ISO 8601. */
  at: string | null;
}

export interface FindSuppressorOptions {
  /** A guard against a service that keeps handing out NextTokens. */
  maxPages?: number;
}

const NOBODY: Suppressor = { identity: null, identityType: null, at: null };

/**
 * UpdatedField holds the ASFF path of the changed field (documented examples: "Compliance.RelatedRequirements",
 * "LastObservedAt"), so a workflow change reads "Workflow.Status", and the deprecated "WorkflowState" may
 * change alongside it. Matching any field that names Workflow keeps this working whichever of them, or
 * another spelling, the service reports.
 */
export function isSuppression(update: FindingHistoryUpdate): boolean {
  return /workflow/i.test(update.UpdatedField ?? "") && /\bSUPPRESSED\b/.test(update.NewValue ?? "");
}

function parseTime(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`${name} is not a timestamp: ${value}`);
  return date;
}

/**
 * Who set the finding to SUPPRESSED most recently, from GetFindingHistory (paged). Records are
 * compared by UpdateTime rather than trusting the service's order; all nulls when no record in the
 * window shows a suppression.
 */
export async function findSuppressor(
  client: SecurityHubClient,
  query: SuppressorQuery,
  limiter: RateLimiter,
  options: FindSuppressorOptions = {},
): Promise<Suppressor> {
  const startTime = parseTime("since", query.since);
  const endTime = parseTime("until", query.until);
  const maxPages = options.maxPages ?? 100;
  let best: { record: FindingHistoryRecord; time: number } | undefined;
  let nextToken: string | undefined;
  const seenTokens = new Set<string>();
  for (let page = 0; page < maxPages; page++) {
    await limiter.take();
    const output = await client.send(
      new GetFindingHistoryCommand({
        FindingIdentifier: { Id: query.findingId, ProductArn: query.productArn },
        ...(startTime ? { StartTime: startTime } : {}),
        ...(endTime ? { EndTime: endTime } : {}),
        ...(nextToken ? { NextToken: nextToken } : {}),
        MaxResults: 100,
      }),
    );
    for (const record of output.Records ?? []) {
      if (!(record.Updates ?? []).some(isSuppression)) continue;
      const time = record.UpdateTime?.getTime() ?? Number.NEGATIVE_INFINITY;
      // Strictly later wins, so among equal times the first in the service's (newest-first) order stays.
      if (!best || time > best.time) best = { record, time };
    }
    nextToken = output.NextToken || undefined;
    if (!nextToken || seenTokens.has(nextToken)) break;
    seenTokens.add(nextToken);
  }
  if (!best) return NOBODY;
  const source = best.record.UpdateSource;
  return {
    identity: source?.Identity ?? null,
    identityType: source?.Type ?? null,
    at: best.record.UpdateTime ? best.record.UpdateTime.toISOString() : null,
  };
}
