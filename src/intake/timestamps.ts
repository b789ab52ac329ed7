import { z } from "zod";

/** An ISO-8601 date-time as AWS writes them (`2021-02-17T14:56:09.063Z`, offsets allowed). */
export const isoDateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/,
    "expected an ISO-8601 date-time",
  )
  .refine((text) => !Number.isNaN(Date.parse(text)), "expected a valid date-time");

export function toIso(text: string): string {
  return new Date(Date.parse(text)).toISOString();
}
