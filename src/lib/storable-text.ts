import type { FieldError } from "./zod-errors.js";
import { formatPath } from "./zod-errors.js";

/**
 * PostgreSQL text and jsonb cannot hold U+0000 nor a lone UTF-16 surrogate, though JSON allows
 * both (`\u0000`, `\ud800`). Such an event would be accepted and then fail in the worker on every
 * retry, so intake rejects it up front, naming the field.
 */
export function unstorableStrings(value: unknown, path: (string | number)[] = []): FieldError[] {
  if (typeof value === "string") {
    if (value.includes("\u0000"))
      return [{ field: formatPath(path) || "(root)", message: "contains a NUL character (\\u0000)" }];
    if (!isWellFormed(value))
      return [{ field: formatPath(path) || "(root)", message: "contains a lone UTF-16 surrogate" }];
    return [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => unstorableStrings(item, [...path, index]));
  if (value !== null && typeof value === "object") {
    const errors: FieldError[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (key.includes("\u0000") || !isWellFormed(key)) {
        errors.push({ field: formatPath([...path, key]), message: "the key cannot be stored" });
      }
      errors.push(...unstorableStrings(item, [...path, key]));
    }
    return errors;
  }
  return [];
}

/** String.prototype.isWellFormed arrived in Node 20; this keeps the check explicit. */
function isWellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/** A rejected body still has to fit in a text column: NULs become U+FFFD. */
export function storableBody(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\ufffd") : text;
}
