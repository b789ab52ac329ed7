import { z } from "zod";
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
