import { z } from "zod";
import type { Finding } from "../../engine/finding.js";
import { fieldErrors } from "../../lib/zod-errors.js";
import { type EventEnvelope, readEach, type SourceRead } from "../finding-source.js";
import { MAX_FINDINGS_PER_EVENT } from "../limits.js";

/** The detail of a Security Hub findings event, whatever the findings' format. */
export const securityHubDetailSchema = z.looseObject({
  actionName: z.string().optional(),
  actionDescription: z.string().optional(),
  // Checked before any finding is: zod tests an array's length before its items.
  findings: z
    .array(z.unknown())
    .min(1)
    .max(MAX_FINDINGS_PER_EVENT, {
      message: `more than ${MAX_FINDINGS_PER_EVENT} findings in one event (Security Hub sends one)`,
    }),
});

export const SECURITY_HUB_SOURCE = "aws.securityhub";

/**
 * The findings of a Security Hub event in either format: the detail checked, each finding read
 * with `schema` and normalized; a custom action's name and description when `customAction`.
 */
export function readSecurityHubEvent<T>(
  event: EventEnvelope,
  schema: z.ZodType<T>,
  normalize: (finding: T, envelope: { region: string; time: string }) => Finding,
  customAction = false,
): SourceRead {
  const detail = securityHubDetailSchema.safeParse(event.detail);
  if (!detail.success)
    return { findings: [], errors: fieldErrors(detail.error, ["detail"]), customAction: null };
  const envelope = { region: event.region, time: event.time };
  const read = readEach(detail.data.findings, schema, (finding) => normalize(finding, envelope));
  const action = customAction
    ? { name: detail.data.actionName ?? "(unnamed)", description: detail.data.actionDescription ?? null }
    : null;
  return { ...read, customAction: action };
}
