import {
  type Document,
  isCollection,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  visit,
  type YAMLError,
} from "yaml";
import { formatPath } from "../lib/zod-errors.js";
import type { PolicyProblem } from "./errors.js";

/**
 * Where the mistake behind a YAML syntax error is written. The yaml library reports an unclosed
 * quote or flow collection (`[a, b` without `]`) where it gave up looking for the closing
 * character: the end of the file, or the next line that could not belong to it, often several
 * lines further down. The mistake is the opening quote or bracket, so that is what is reported.
 */
function mistakeOffset(doc: Document, error: YAMLError): number {
  const at = error.pos[0];
  if (error.code !== "MISSING_CHAR" && error.code !== "BAD_INDENT") return at;
  let opener: Node | undefined;
  visit(doc, (_key, node) => {
    const unclosable =
      (isScalar(node) && (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE")) ||
      (isCollection(node) && node.flow === true);
    if (!unclosable || !node.range) return;
    const [start, end] = node.range;
    // The innermost one that ends where the error is: it is the one left open.
    if (end === at && start < at && (!opener?.range || start > opener.range[0])) opener = node;
  });
  return opener?.range?.[0] ?? at;
}

/** The key written a second time, and the YAML path of the mapping it is written in. */
function duplicateKey(doc: Document, error: YAMLError): { key: string; path: string } | undefined {
  let found: { key: string; path: string } | undefined;
  visit(doc, (name, node, ancestors) => {
    if (name !== "key" || !isScalar(node) || node.range?.[0] !== error.pos[0]) return;
    const segments: PropertyKey[] = [];
    // The ancestors end with the pair of this key, which is not part of the mapping's path.
    ancestors.slice(0, -1).forEach((ancestor, i) => {
      if (isPair(ancestor) && isScalar(ancestor.key)) segments.push(String(ancestor.key.value));
      const next = ancestors[i + 1];
      if (isSeq(ancestor) && next) segments.push(ancestor.items.indexOf(next as never));
    });
    found = { key: String(node.value), path: formatPath(segments) };
    return visit.BREAK;
  });
  return found;
}

function syntaxMessage(error: YAMLError): string {
  if (error.code === "MULTIPLE_DOCS") {
    return "a policy file is one YAML document, and this --- starts a second one";
  }
  return error.message.split("\n")[0] ?? error.code;
}

/**
 * The YAML syntax errors of one file. After the first error that breaks the structure, the
 * parser's further errors are mostly its confusion about the same mistake, so only that first
 * one is reported (with the duplicate keys before it): fixing it shows what else is wrong.
 */
export function syntaxProblems(file: string, doc: Document, counter: LineCounter): PolicyProblem[] {
  // In the order the parser met them: an unclosed [ inside an unclosed { is met first.
  const errors = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0]);
  const firstBreak = errors.findIndex((error) => error.code !== "DUPLICATE_KEY");
  const reported = firstBreak === -1 ? errors : errors.slice(0, firstBreak + 1);
  return reported.map((error) => {
    const line = counter.linePos(mistakeOffset(doc, error)).line;
    const duplicate = error.code === "DUPLICATE_KEY" ? duplicateKey(doc, error) : undefined;
    if (duplicate) {
      const message = `YAML syntax error: key "${duplicate.key}" is written twice in this mapping`;
      return { file, path: duplicate.path, message, line };
    }
    return { file, path: "", message: `YAML syntax error: ${syntaxMessage(error)}`, line };
  });
}
