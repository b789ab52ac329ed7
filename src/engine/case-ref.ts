import type { Case } from "./case.js";

/**
 * A case's id for people, as ticket systems have: `SHG-42`, from the number the store gives each
 * case once. The finding id (an ARN of 100+ characters) stays the case's key and is accepted
 * wherever a case id is asked for, beside these forms. Pure.
 */

export const CASE_REF_PREFIX = "SHG";

/** The largest case number (the column is a PostgreSQL integer). */
const MAX_CASE_NUMBER = 2_147_483_647;

/** `SHG-42` for case number 42. */
export function formatCaseRef(number: number): string {
  return `${CASE_REF_PREFIX}-${number}`;
}

/** The case's human id, or null while it has no number (a case not saved yet). */
export function caseRef(c: Pick<Case, "number">): string | null {
  return typeof c.number === "number" ? formatCaseRef(c.number) : null;
}

/**
 * The case number a person typed: `SHG-42` (the prefix in any case: `shg-42`) or `42`; null when
 * the text is neither (then it can only be a finding id).
 */
export function parseCaseRef(text: string): number | null {
  const match = new RegExp(`^(?:${CASE_REF_PREFIX}-)?(\\d{1,10})$`, "i").exec(text.trim());
  if (!match?.[1]) return null;
  const number = Number(match[1]);
  return number >= 1 && number <= MAX_CASE_NUMBER ? number : null;
}
