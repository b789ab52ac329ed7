import { z } from "zod";
import { SEVERITIES, WORKFLOW_STATUSES } from "../engine/finding.js";
import { typeName, unknownNameMessage, type Wording } from "./suggest.js";
import { DURATION_PATTERN, PERCENT_PATTERN } from "./units.js";

/**
 * The shape of one `workflows/*.yaml` file, as users write it. It has no transforms so that the
 * JSON Schema generated from it (docs/workflow.schema.json) describes exactly what is accepted;
 * meaning (durations, percentages, references to teams) is checked afterwards by compile.ts.
 */

const DURATION_EXAMPLES = "15m, 12h, 30d or 2w";
const DURATION_DESCRIPTION =
  "A duration: a whole number followed by m (minutes), h (hours), d (days) or w (weeks).";

const duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), `expected a duration such as ${DURATION_EXAMPLES}`)
  .describe(DURATION_DESCRIPTION);

/**
 * How the keys of an object, or of a record, are spoken of in "unknown key" messages, when not
 * as plain keys (load.ts reads it). Not part of the JSON Schema: only z.globalRegistry is.
 */
export const keyWording = z.registry<Wording>();

/** `A, B or C`, for a message. */
function orList(values: readonly string[]): string {
  return values.length <= 1
    ? (values[0] ?? "")
    : `${values.slice(0, -1).join(", ")} or ${values.at(-1) as string}`;
}

/**
 * An enum whose refusal names the value given, suggests the closest allowed one and lists them
 * all, in the order of `listed` (zod's own message lists them |-separated and suggests nothing).
 */
function choice<const T extends readonly [string, ...string[]]>(
  values: T,
  wording: Wording,
  listed: readonly string[] = values,
) {
  return z.enum(values, {
    error: (issue) =>
      typeof issue.input === "string"
        ? unknownNameMessage(issue.input, listed, { ...wording, alwaysList: true }).message
        : `Invalid input: expected ${orList(listed)}, received ${typeName(issue.input)}`,
  });
}

/** Most severe first, as people list them. */
const SEVERITIES_LISTED = [...SEVERITIES].reverse();
const severity = () => choice(SEVERITIES, { noun: "severity", plural: "severities" }, SEVERITIES_LISTED);

const percent = z
  .string()
  .regex(new RegExp(PERCENT_PATTERN), "expected a percentage such as 50%")
  .describe("A share of the SLA, such as 50% or 100%.");

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "expected lower-case letters, digits, - or _")
  .describe("A name made of lower-case letters, digits, - and _.");

const slackChannel = z
  .string()
  .regex(/^[CGD][A-Z0-9]{2,}$/, "expected a Slack channel id such as C0123ABCD")
  .describe("A Slack channel id (not a name), such as C0123ABCD.");
const slackUser = z
  .string()
  .regex(/^[UW][A-Z0-9]{2,}$/, "expected a Slack user id such as U0123ABCD")
  .describe("A Slack user id, such as U0123ABCD.");
const slackUsergroup = z
  .string()
  .regex(/^S[A-Z0-9]{2,}$/, "expected a Slack user group id such as S0123ABCD")
  .describe("A Slack user group id, such as S0123ABCD; mentions use <!subteam^ID>.");

export const teamSchema = z
  .object({
    slack_channel: slackChannel.describe("Channel where the team's cases, approvals and alerts go."),
    slack_usergroup: slackUsergroup.optional(),
    leads: z.array(slackUser).default([]).describe("Users mentioned when a step sets mention_leads."),
    members: z
      .array(slackUser)
      .optional()
      .describe(
        "When set, only these users and the leads may act for the team (claims, exceptions, dates); when empty, the user group decides.",
      ),
  })
  .strict();

export const matchSchema = z
  .object({
    control_ids: z.array(z.string().min(1)).optional().describe("Security control ids such as EKS.2."),
    severities: z.array(severity()).optional(),
    accounts: z.array(z.string().regex(/^\d{12}$/, "expected a 12-digit AWS account id")).optional(),
    regions: z.array(z.string().min(1)).optional(),
    resource_types: z
      .array(z.string().min(1))
      .optional()
      .describe("ASFF resource types such as AwsEksCluster."),
    product_names: z
      .array(z.string().min(1))
      .optional()
      .describe("Products such as Security Hub or GuardDuty."),
    tags: z
      .record(z.string(), z.string())
      .optional()
      .describe("Resource tags that must all be present with these values."),
  })
  .strict()
  .describe("All given keys must match (AND); within a list any value matches (OR). {} matches all.");

const teamRef = z
  .string()
  .min(1)
  .describe("`owner`, `counterpart`, or the name of a team defined under teams.");

export const routingRuleSchema = z
  .object({
    name,
    match: matchSchema,
    owner: z.string().min(1).describe("Team that owns the remediation."),
    counterpart: z.string().min(1).describe("Team that approves the owner's exceptions and agrees dates."),
  })
  .strict();

const slaSchema = z
  .object({ CRITICAL: duration, HIGH: duration, MEDIUM: duration, LOW: duration })
  .partial()
  .strict()
  .describe("Time to remediate by severity. A severity left out, and INFORMATIONAL, is not tracked.");
const UNTRACKED = SEVERITIES.filter((s) => !Object.hasOwn(slaSchema.shape, s));
keyWording.add(slaSchema, {
  noun: "severity",
  plural: "severities",
  alwaysList: true,
  refused: Object.fromEntries(
    UNTRACKED.map((s) => [s, `${s} findings are never tracked and cannot have an SLA`]),
  ),
  note: `${orList(UNTRACKED)} ${UNTRACKED.length === 1 ? "is" : "are"} never tracked`,
});

export const escalationStepSchema = z
  .object({
    at: percent,
    notify: z.array(teamRef).min(1),
    mention_leads: z.boolean().default(false),
    breach: z.boolean().default(false).describe("This step records an SLA breach."),
  })
  .strict();

const REVERT_STATUSES = WORKFLOW_STATUSES.filter((s) => s === "NEW" || s === "NOTIFIED") as [
  "NEW",
  "NOTIFIED",
];

const suppressionSchema = z
  .object({
    approver: teamRef.describe("Who approves exceptions; the requester's team can never approve its own."),
    max_duration: duration,
    revert_to: choice(REVERT_STATUSES, {
      noun: "status",
      plural: "statuses",
      refused: Object.fromEntries(
        WORKFLOW_STATUSES.filter((s) => !(REVERT_STATUSES as readonly string[]).includes(s)).map((s) => [
          s,
          `a blocked suppression cannot be reverted to ${s}`,
        ]),
      ),
    }),
  })
  .strict();

const EKS_MILESTONES = ["end_of_standard_support", "end_of_extended_support"] as const;
const DEADLINES = `${EKS_MILESTONES.join(", ")} or a duration such as ${DURATION_EXAMPLES}`;
/**
 * The duration branch of must_be_before. A string is refused by this branch (zod reports the
 * branch of the right type), so its message speaks of both forms and suggests a milestone.
 */
const deadlineDuration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), {
    error: (issue) => {
      const input = String(issue.input);
      const { message, suggestion } = unknownNameMessage(input, EKS_MILESTONES, {
        noun: "deadline",
        plural: "deadlines",
      });
      return suggestion
        ? `${message} expected ${DEADLINES}`
        : `invalid deadline "${input}"; expected ${DEADLINES}`;
    },
  })
  .describe(DURATION_DESCRIPTION);

export const upgradeDateRuleSchema = z
  .object({
    name,
    match: matchSchema,
    agree: z.array(teamRef).min(2).describe("Teams that must agree the date."),
    must_be_before: z
      .union([z.enum(EKS_MILESTONES), deadlineDuration], {
        error: (issue) => `Invalid input: expected ${DEADLINES}, received ${typeName(issue.input)}`,
      })
      .describe("Deadline: from the bundled EKS calendar, or a duration after the first observation."),
    remind_before: z.array(duration).default([]),
  })
  .strict();

const notificationsSchema = z
  .object({
    per_finding_min_severity: severity(),
    digest_interval: duration,
  })
  .strict();

const reportSchema = z
  .object({
    schedule: z.string().min(1).describe("Cron expression (5 fields) for the weekly governance report."),
    timezone: z.string().min(1).describe("IANA time zone of the schedule, such as America/Sao_Paulo."),
    channel: slackChannel,
  })
  .strict();

const teamsSchema = z.record(name, teamSchema);
keyWording.add(teamsSchema, { noun: "team name", plural: "team names" });

export const policyFileSchema = z
  .object({
    version: z.literal(1),
    teams: teamsSchema.optional(),
    routing: z.array(routingRuleSchema).optional().describe("Routing rules; the first match wins."),
    slas: slaSchema.optional(),
    escalation: z.array(escalationStepSchema).optional(),
    suppression: suppressionSchema.optional(),
    upgrade_dates: z.array(upgradeDateRuleSchema).optional(),
    notifications: notificationsSchema.optional(),
    report: reportSchema.optional(),
  })
  .strict();

export type PolicyFile = z.output<typeof policyFileSchema>;
export type PolicyMatch = z.output<typeof matchSchema>;
export type TeamConfig = z.output<typeof teamSchema>;

/** Sections that may be written in only one file of a directory. */
export const SINGLE_SECTIONS = ["slas", "escalation", "suppression", "notifications", "report"] as const;
