import type { Finding } from "./finding.js";
import type { FindingMatch, Policy, RoutingRule } from "./policy.js";

/** True when every key given in `match` matches the finding; an empty match matches all. */
export function findingMatches(match: FindingMatch, finding: Finding): boolean {
  if (match.controlIds && !(finding.controlId !== null && match.controlIds.includes(finding.controlId))) {
    return false;
  }
  if (match.severities && !match.severities.includes(finding.severity)) return false;
  if (match.accounts && !match.accounts.includes(finding.accountId)) return false;
  if (match.regions && !match.regions.includes(finding.region)) return false;
  if (match.productNames && !(finding.productName && match.productNames.includes(finding.productName))) {
    return false;
  }
  if (match.resourceTypes) {
    const types = match.resourceTypes;
    if (!finding.resources.some((r) => types.includes(r.type))) return false;
  }
  if (match.tags) {
    const wanted = Object.entries(match.tags);
    const tagged = finding.resources.some((r) => wanted.every(([key, value]) => r.tags[key] === value));
    if (!tagged) return false;
  }
  return true;
}

/** The first routing rule that matches wins; compile.ts guarantees a catch-all exists. */
export function routeFinding(policy: Policy, finding: Finding): RoutingRule {
  const rule = policy.routing.find((candidate) => findingMatches(candidate.match, finding));
  if (!rule) throw new Error(`no routing rule matches finding ${finding.id}`);
  return rule;
}
