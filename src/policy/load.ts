import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { Policy } from "../engine/policy.js";
import { formatPath } from "../intake/zod-errors.js";
import { compilePolicy, type ParsedPolicyFile } from "./compile.js";
import { PolicyError, type PolicyProblem } from "./errors.js";
import { policyFileSchema } from "./schema.js";

/** Paths are reported relative to the working directory when they are below it. */
function displayName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

function lineOf(
  doc: ReturnType<typeof parseDocument>,
  counter: LineCounter,
  path: PropertyKey[],
): number | undefined {
  // The deepest node that exists along the path: a missing key points at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** `routing[1].owner` back to ["routing", 1, "owner"]. */
function pathSegments(path: string): PropertyKey[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  );
}

export interface ParsedText {
  parsed: ParsedPolicyFile | null;
  problems: PolicyProblem[];
  /** The line of a YAML path in this file, for problems found after the schema stage. */
  lineAt(path: string): number | undefined;
}

/** Parses and schema-checks one policy file's text. */
export function parsePolicyText(file: string, text: string): ParsedText {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (path: string) => (path ? lineOf(doc, counter, pathSegments(path)) : undefined);
  if (doc.errors.length > 0) {
    return {
      parsed: null,
      lineAt,
      problems: doc.errors.map((error) => ({
        file,
        path: "",
        message: `YAML syntax error: ${error.message.split("\n")[0]}`,
        line: counter.linePos(error.pos[0]).line,
      })),
    };
  }
  const result = policyFileSchema.safeParse(doc.toJS());
  if (!result.success) {
    return {
      parsed: null,
      lineAt,
      problems: result.error.issues.map((issue) => ({
        file,
        path: formatPath(issue.path),
        message: issue.message,
        line: lineOf(doc, counter, issue.path as PropertyKey[]),
      })),
    };
  }
  return { parsed: { file, content: result.data }, problems: [], lineAt };
}

/** Every problem in a policy directory; an empty list means it loads. */
export async function validatePolicyDir(
  dir: string,
): Promise<{ policy: Policy | null; problems: PolicyProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (error) {
    return {
      policy: null,
      problems: [
        { file: displayName(dir), path: "", message: `cannot read directory: ${(error as Error).message}` },
      ],
    };
  }
  if (names.length === 0) {
    return {
      policy: null,
      problems: [{ file: displayName(dir), path: "", message: "no .yaml or .yml policy files" }],
    };
  }
  const parsed: ParsedPolicyFile[] = [];
  const problems: PolicyProblem[] = [];
  const lines = new Map<string, ParsedText["lineAt"]>();
  for (const name of names) {
    const path = join(dir, name);
    const result = parsePolicyText(displayName(path), await readFile(path, "utf8"));
    problems.push(...result.problems);
    lines.set(displayName(path), result.lineAt);
    if (result.parsed) parsed.push(result.parsed);
  }
  // Cross-references are only meaningful once every file passed the schema.
  if (problems.length > 0) return { policy: null, problems };
  const compiled = compilePolicy(parsed);
  return {
    policy: compiled.policy,
    problems: compiled.problems.map((problem) => ({
      ...problem,
      line: problem.line ?? lines.get(problem.file)?.(problem.path),
    })),
  };
}

export async function loadPolicyDir(dir: string): Promise<Policy> {
  const { policy, problems } = await validatePolicyDir(dir);
  if (!policy) throw new PolicyError(problems);
  return policy;
}
