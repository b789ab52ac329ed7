import { z } from "zod";
import { ShgovError } from "../errors.js";
import { fieldErrors } from "../lib/zod-errors.js";
import type { SetupSettings } from "./desired.js";
import { DEFAULT_INVOCATION_RATE } from "./event-patterns.js";

const arn = (service: string, example: string) =>
  z
    .string({ error: "required" })
    .regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `expected an ${service} ARN, like ${example}`);

/** `shgov setup`'s options as typed on the command line (strings), checked field by field. */
export const setupOptionsSchema = z.object({
  endpoint: z
    .url({ protocol: /^https$/, error: "expected the service's https:// URL (EventBridge calls only HTTPS)" })
    .refine((url) => !/[?#]/.test(url), "expected a base URL without ? or #"),
  ratePerSecond: z.coerce
    .number({ error: "expected a number" })
    .int("expected a whole number")
    .min(1, "at least 1")
    .max(300, "at most 300 (EventBridge's limit per API destination)")
    .default(DEFAULT_INVOCATION_RATE),
  namePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, "1 to 40 letters, digits, '.', '_' or '-'")
    .default("shgov"),
  roleArn: arn("iam", "arn:aws:iam::123456789012:role/shgov-eventbridge-invoke"),
  deadLetterArn: arn("sqs", "arn:aws:sqs:eu-west-1:123456789012:shgov-dead-letters"),
});

const optionNames: Record<string, string> = {
  endpoint: "--endpoint (or PUBLIC_URL)",
  ratePerSecond: "--rate",
  namePrefix: "--name-prefix",
  roleArn: "--role-arn",
  deadLetterArn: "--dead-letter-arn",
};

export function parseSetupSettings(input: Record<string, unknown>): SetupSettings {
  const parsed = setupOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = fieldErrors(parsed.error).map(
    (problem) => `${optionNames[problem.field] ?? problem.field}: ${problem.message}`,
  );
  throw new ShgovError("setup.bad_option", `shgov setup: ${problems.join("; ")}`);
}
