/** One line of `shgov doctor`: what was checked, how it went, and what to do when it did not. */
export interface CheckResult {
  name: string;
  /** fail: the deployment does not work as it should; warn: it works, with a risk named. */
  status: "ok" | "warn" | "fail" | "skip";
  detail: string;
  /** What to do, for warn and fail. */
  fix?: string;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: "ok", detail });
export const skip = (name: string, detail: string): CheckResult => ({ name, status: "skip", detail });
export const warn = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  status: "warn",
  detail,
  fix,
});
export const fail = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  status: "fail",
  detail,
  fix,
});

const MARK: Record<CheckResult["status"], string> = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" };

/** One line per check; what to do follows a failing or warning line's detail. */
export function doctorText(results: CheckResult[]): string {
  const lines = results.map(
    (result) =>
      `${MARK[result.status]} ${result.name}: ${result.detail}${result.fix ? ` -> ${result.fix}` : ""}`,
  );
  const count = (status: CheckResult["status"]) =>
    results.filter((result) => result.status === status).length;
  lines.push(
    `${count("ok")} ok, ${count("warn")} warnings, ${count("fail")} failed, ${count("skip")} skipped`,
  );
  return lines.join("\n");
}

export function doctorFailed(results: CheckResult[]): boolean {
  return results.some((result) => result.status === "fail");
}

/** A check that throws is a failed check, not a crashed doctor. */
export async function guarded(
  name: string,
  fix: string,
  check: () => Promise<CheckResult[]>,
): Promise<CheckResult[]> {
  try {
    return await check();
  } catch (error) {
    return [fail(name, (error as Error).message, fix)];
  }
}
