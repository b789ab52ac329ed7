import type { FieldError } from "../lib/zod-errors.js";

/**
 * The limits of POST /events beyond its 1 MiB body, checked before any recursive work. JSON.parse
 * is iterative in V8, but what runs after it is not: the storable-text check, zod, canonical JSON,
 * BullMQ's msgpack and structured clone, pino. A body nested thousands of levels deep overflows
 * their stack (a 500, or a 503 from the queue that EventBridge retries for a day). A wide one costs
 * memory instead: 1 MiB of `[0,0,...]` parses into half a million values, and as many findings or
 * resources make zod report an issue for each.
 *
 * Real events are far inside these limits: the deepest bundled ASFF and OCSF event (test/fixtures/aws,
 * examples/events) nests 9 levels, the deepest documented ASFF resource details some 15, and
 * Security Hub sends one finding per event with at most 32 resources (ASFF's own limit).
 */
export const MAX_JSON_DEPTH = 64;
/** Array items and object members in one body; the largest bundled event has about 110. */
export const MAX_JSON_VALUES = 20_000;
export const MAX_FINDINGS_PER_EVENT = 100;
export const MAX_RESOURCES_PER_FINDING = 100;
/** Problems listed in a 400 answer, its dead letter and its log line; the rest are counted. */
export const MAX_LISTED_ERRORS = 20;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * The first place where a JSON text nests deeper than `maxDepth` objects and arrays, or holds more
 * than `maxValues` array items and object members, counted outside strings, named with its UTF-8
 * byte offset; null when it stays within both. One pass over the text, no recursion, nothing
 * allocated: it runs before JSON.parse. A text that is not JSON is left to JSON.parse to name,
 * unless it goes past a limit first.
 */
export function jsonLimitProblem(
  text: string,
  maxDepth = MAX_JSON_DEPTH,
  maxValues = MAX_JSON_VALUES,
): FieldError | null {
  let depth = 0;
  // Every item or member but a container's first follows a comma; the first follows its bracket.
  let values = 0;
  let inString = false;
  const at = (i: number, message: string): FieldError => ({
    field: "(body)",
    message: `${message} at byte ${Buffer.byteLength(text.slice(0, i))}`,
  });
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      values++;
      if (depth > maxDepth) return at(i, `nesting deeper than ${maxDepth} levels`);
      if (values > maxValues) return at(i, `more than ${maxValues} values`);
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    } else if (code === COMMA) {
      values++;
      if (values > maxValues) return at(i, `more than ${maxValues} values`);
    }
  }
  return null;
}

/** The first MAX_LISTED_ERRORS problems, and one line counting the others. */
export function listedErrors(errors: FieldError[], max = MAX_LISTED_ERRORS): FieldError[] {
  if (errors.length <= max) return errors;
  return [
    ...errors.slice(0, max),
    { field: "(more)", message: `${errors.length - max} more problems not listed` },
  ];
}
