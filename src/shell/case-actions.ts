import { z } from "zod";
import { endOfDay } from "../engine/case.js";
import type { HumanInput } from "../engine/inputs.js";
import { ShgovError } from "../errors.js";
import { unstorableStrings } from "../lib/storable-text.js";
import { formatPath } from "../lib/zod-errors.js";

const name = z.string().trim().min(1, "must not be empty").max(200, "at most 200 characters");
/** A calendar day that exists: 2026-02-31 is refused, not rolled over to March. */
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date YYYY-MM-DD")
  .refine((text) => {
    const parsed = new Date(`${text}T00:00:00.000Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === text;
  }, "no such day");
/** A day (the exception holds through its end, UTC) or an exact ISO 8601 time. */
const expiry = z.union(
  [day.transform(endOfDay), z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString())],
  {
    error: "expected a date YYYY-MM-DD or an ISO 8601 time",
  },
);
const reason = z
  .string()
  .trim()
  .max(1000, "at most 1000 characters")
  .nullish()
  .transform((v) => v || null);

/**
 * A person's action on a case as it crosses a boundary (the CLI, the admin API and Slack):
 * validated here, decided by the engine.
 */
export const caseActionSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("claim"), user: name, team: name }),
  z.object({
    action: z.literal("exception_request"),
    user: name,
    team: name,
    justification: z.string().trim().min(1, "must not be empty").max(2000, "at most 2000 characters"),
    expires: expiry,
  }),
  z.object({ action: z.literal("exception_approve"), user: name, team: name, reason }),
  z.object({ action: z.literal("exception_reject"), user: name, team: name, reason }),
  z.object({ action: z.literal("date_propose"), user: name, team: name, date: day }),
  z.object({ action: z.literal("date_counter"), user: name, team: name, date: day }),
  z.object({
    action: z.literal("date_agree"),
    user: name,
    team: name,
    date: day.nullish().transform((v) => v ?? null),
  }),
]);

export type CaseAction = z.input<typeof caseActionSchema>;

export class CaseActionError extends ShgovError {
  override name = "CaseActionError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("action.invalid", message, options);
  }
}

/** Validates an action; a bad one throws with every field named. */
export function parseCaseAction(value: unknown): HumanInput {
  // Text PostgreSQL cannot store (NUL, a lone surrogate) is refused here, not by a failing write.
  const unstorable = unstorableStrings(value);
  if (unstorable.length > 0) {
    throw new CaseActionError(
      `invalid action: ${unstorable.map((error) => `${error.field}: ${error.message}`).join("; ")}`,
    );
  }
  const result = caseActionSchema.safeParse(value);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `${formatPath(issue.path) || "action"}: ${issue.message}`,
    );
    throw new CaseActionError(`invalid action: ${lines.join("; ")}`);
  }
  const action = result.data;
  switch (action.action) {
    case "exception_request":
      return {
        type: "human",
        action: action.action,
        user: action.user,
        team: action.team,
        justification: action.justification,
        expiresAt: action.expires,
      };
    default:
      return { type: "human", ...action };
  }
}
