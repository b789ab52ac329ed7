import { z } from "zod";
import { formatPath } from "../lib/zod-errors.js";
import type { PolicyProblem } from "./errors.js";
import { keyWording } from "./schema.js";
import { KEY_WORDING, unknownNameMessage } from "./suggest.js";

type Schema = z.core.$ZodType;
type Path = readonly PropertyKey[];

/** Where a YAML path is written in the file. */
export interface Locator {
  /** The line of the value at `path`; of its deepest existing parent when it is missing. */
  valueLine(path: Path): number | undefined;
  /** The line of the key `key` of the mapping at `path`. */
  keyLine(path: Path, key: string): number | undefined;
}

function unwrap(schema: Schema): Schema {
  let inner = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault || inner instanceof z.ZodNullable) {
    inner = inner.unwrap();
  }
  return inner;
}

/** The schema of the value at `path`, through optional values, defaults, lists, records and unions. */
function schemaAt(schema: Schema, path: Path): Schema | undefined {
  const [head, ...rest] = path;
  if (head === undefined) return unwrap(schema);
  const inner = unwrap(schema);
  if (inner instanceof z.ZodUnion) {
    for (const option of inner.options) {
      const found = schemaAt(option, path);
      if (found) return found;
    }
    return undefined;
  }
  let child: Schema | undefined;
  if (inner instanceof z.ZodObject && typeof head === "string") child = inner.shape[head];
  else if (inner instanceof z.ZodArray && typeof head === "number") child = inner.element;
  else if (inner instanceof z.ZodRecord && typeof head === "string") child = inner.valueType;
  return child && schemaAt(child, rest);
}

function valueAt(value: unknown, path: Path): unknown {
  let current = value;
  for (const segment of path) {
    if (!current || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function has(value: unknown, key: string): boolean {
  return !!value && typeof value === "object" && Object.hasOwn(value, key);
}

/**
 * zod's issues for one file as problems, one per mistake, located on the line the mistake is on:
 * each unknown key (zod reports them together) is its own problem, on the key's line, with the
 * closest valid key; a required key reported missing because it was misspelt is left to the
 * misspelling's problem; an invalid record key says which name and why.
 */
export function schemaProblems(
  file: string,
  root: Schema,
  data: unknown,
  issues: readonly z.core.$ZodIssue[],
  locate: Locator,
): PolicyProblem[] {
  if (data === null || data === undefined) {
    return [
      { file, path: "", message: 'the file is empty; a policy file starts with "version: 1"', line: 1 },
    ];
  }
  const explained = new Set<string>();
  const problems: PolicyProblem[] = [];
  const deferred: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    const path = issue.path as Path;
    if (issue.code === "unrecognized_keys") {
      const schema = schemaAt(root, path);
      const valid = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
      const wording = (schema && keyWording.get(schema)) ?? KEY_WORDING;
      const object = valueAt(data, path);
      const absent = new Set(valid.filter((key) => !has(object, key)));
      for (const key of issue.keys) {
        const { message, suggestion } = unknownNameMessage(key, valid, wording, absent);
        if (suggestion && absent.has(suggestion)) explained.add(formatPath([...path, suggestion]));
        problems.push({ file, path: formatPath(path), message, line: locate.keyLine(path, key) });
      }
    } else if (issue.code === "invalid_key") {
      const parent = path.slice(0, -1);
      const key = String(path.at(-1));
      const schema = schemaAt(root, parent);
      const wording = (schema && keyWording.get(schema)) ?? KEY_WORDING;
      const why = issue.issues.map((inner) => inner.message).join("; ");
      problems.push({
        file,
        path: formatPath(path),
        message: `invalid ${wording.noun} "${key}": ${why}`,
        line: locate.keyLine(parent, key),
      });
    } else {
      deferred.push(issue);
    }
  }
  for (const issue of deferred) {
    const path = issue.path as Path;
    const key = path.at(-1);
    const missing = typeof key === "string" && !has(valueAt(data, path.slice(0, -1)), key);
    if (missing && explained.has(formatPath(path))) continue;
    problems.push({ file, path: formatPath(path), message: issue.message, line: locate.valueLine(path) });
  }
  // In the order they are written in, as a reader goes through the file.
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort(
      (a, b) =>
        (a.problem.line ?? Number.POSITIVE_INFINITY) - (b.problem.line ?? Number.POSITIVE_INFINITY) ||
        a.index - b.index,
    )
    .map(({ problem }) => problem);
}
