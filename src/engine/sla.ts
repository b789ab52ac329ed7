import type { Finding } from "./finding.js";
import type { Policy } from "./policy.js";

/**
 * The remediation deadline: first observation plus the SLA of the severity. Null when the
 * severity has no SLA (INFORMATIONAL, or one the policy leaves out): such cases are not tracked.
 */
export function slaDeadline(
  policy: Policy,
  finding: Pick<Finding, "severity" | "firstObservedAt">,
): string | null {
  if (finding.severity === "INFORMATIONAL") return null;
  const ms = policy.slaMs[finding.severity];
  if (ms === undefined) return null;
  return new Date(Date.parse(finding.firstObservedAt) + ms).toISOString();
}
