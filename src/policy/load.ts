import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import type { Policy } from "../engine/policy.js";
import { compilePolicy, type ParsedPolicyFile } from "./compile.js";
import { PolicyError, type PolicyProblem } from "./errors.js";
import { schemaProblems } from "./issues.js";
import { policyFileSchema } from "./schema.js";
import { syntaxProblems } from "./syntax.js";

/** Paths are reported relative to the working directory when they are below it. */
function displayName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** A directory as the user would write it: `workflows/`. */
function displayDir(path: string): string {
  const name = displayName(path);
  return name.endsWith("/") ? name : `${name}/`;
}

/** A file system error in plain words, without its errno code and syscall. */
function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOENT":
    case "ENOTDIR":
      return "it does not exist";
    case "EISDIR":
      return "it is a directory";
    case "ELOOP":
      return "too many symbolic links";
    default:
      return code ?? (error as Error).message.split("\n")[0] ?? "unknown error";
  }
}

const POLICY_FILE = /\.ya?ml$/;

/** The yaml library's own default: a policy repeats a block by alias a few times at most. */
const MAX_ALIAS_COUNT = 100;

function lineOf(
  doc: ReturnType<typeof parseDocument>,
  counter: LineCounter,
  path: readonly PropertyKey[],
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

/** The line of the key `key` of the mapping at `path`. */
function keyLineOf(
  doc: ReturnType<typeof parseDocument>,
  counter: LineCounter,
  path: readonly PropertyKey[],
  key: string,
): number | undefined {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isMap(map)) {
    for (const pair of map.items) {
      if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) {
        return counter.linePos(pair.key.range[0]).line;
      }
    }
  }
  return lineOf(doc, counter, path);
}

/** Parses and schema-checks one policy file's text. */
export function parsePolicyText(file: string, text: string): ParsedText {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (path: string) => (path ? lineOf(doc, counter, pathSegments(path)) : undefined);
  if (doc.errors.length > 0) return { parsed: null, lineAt, problems: syntaxProblems(file, doc, counter) };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml library refuses aliases that expand past maxAliasCount ("billion laughs").
    const message = /alias/i.test((error as Error).message)
      ? `its aliases (*name) expand to too much data, as in a "billion laughs" attack (the yaml library stops at ${MAX_ALIAS_COUNT} expansions); write the values out instead`
      : `cannot be read as data: ${(error as Error).message}`;
    return { parsed: null, lineAt, problems: [{ file, path: "", message }] };
  }
  const result = policyFileSchema.safeParse(data);
  if (!result.success) {
    return {
      parsed: null,
      lineAt,
      problems: schemaProblems(file, policyFileSchema, data, result.error.issues, {
        valueLine: (path) => lineOf(doc, counter, path),
        keyLine: (path, key) => keyLineOf(doc, counter, path, key),
      }),
    };
  }
  return { parsed: { file, content: result.data }, problems: [], lineAt };
}

/**
 * The policy files a path names: the `.yaml` and `.yml` files of a directory, in file-name order,
 * or one file given by itself (validated as a one-file policy directory).
 */
async function policyFiles(target: string): Promise<{ files: string[] } | { problem: PolicyProblem }> {
  const refuse = (file: string, message: string) => ({ problem: { file, path: "", message } });
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      return POLICY_FILE.test(target)
        ? refuse(displayName(target), "no such file")
        : refuse(displayDir(target), "no such directory");
    }
    return refuse(displayName(target), `cannot read: ${fsReason(error)}`);
  }
  if (info.isFile()) {
    if (!POLICY_FILE.test(target)) {
      return refuse(
        displayName(target),
        "not a .yaml or .yml policy file; give a policy file or the directory that holds them (workflows/)",
      );
    }
    return { files: [target] };
  }
  if (!info.isDirectory()) return refuse(displayName(target), "not a file or a directory");
  try {
    const entries = await readdir(target, { withFileTypes: true });
    const files = entries
      .filter((entry) => !entry.isDirectory() && POLICY_FILE.test(entry.name))
      .map((entry) => entry.name)
      .sort()
      .map((name) => join(target, name));
    if (files.length === 0) return refuse(displayDir(target), "no .yaml or .yml policy files");
    return { files };
  } catch (error) {
    return refuse(displayDir(target), `cannot read directory: ${fsReason(error)}`);
  }
}

/**
 * Every problem in a policy directory; an empty list means it loads. A policy file may be given
 * instead of a directory: it is then the whole policy.
 */
export async function validatePolicyDir(
  dir: string,
): Promise<{ policy: Policy | null; problems: PolicyProblem[] }> {
  const found = await policyFiles(dir);
  if ("problem" in found) return { policy: null, problems: [found.problem] };
  const parsed: ParsedPolicyFile[] = [];
  const problems: PolicyProblem[] = [];
  const lines = new Map<string, ParsedText["lineAt"]>();
  for (const path of found.files) {
    const file = displayName(path);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      problems.push({ file, path: "", message: `cannot read file: ${fsReason(error)}` });
      continue;
    }
    const result = parsePolicyText(file, text);
    problems.push(...result.problems);
    lines.set(file, result.lineAt);
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
