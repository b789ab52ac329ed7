import type { z } from "zod";

/** `detail.findings[0].Severity.Label` from a zod issue path. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

export interface FieldError {
  field: string;
  message: string;
}

export function fieldErrors(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): FieldError[] {
  return error.issues.map((issue) => ({
    field: formatPath([...prefix, ...issue.path]) || "(root)",
    message: issue.message,
  }));
}
