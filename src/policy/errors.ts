import { ShgovError } from "../errors.js";
/** One problem in a policy directory, located by file, YAML path and (when known) line. */
export interface PolicyProblem {
  file: string;
  path: string;
  message: string;
  line?: number;
}

/** `FILE: PATH: MESSAGE (line N)`, always on one line (a message from a library may have several). */
export function formatProblem(problem: PolicyProblem): string {
  const where = problem.path ? `${problem.file}: ${problem.path}` : problem.file;
  const line = problem.line ? ` (line ${problem.line})` : "";
  const message = problem.message.trim().replace(/\s*\n\s*/g, " ");
  return `${where}: ${message}${line}`;
}

export class PolicyError extends ShgovError {
  override name = "PolicyError";
  constructor(readonly problems: PolicyProblem[]) {
    super("policy.invalid", `invalid policy:\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
  }
}
