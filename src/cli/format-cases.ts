import { formatInstant } from "../engine/time-text.js";
import { upgradeDeadlineText } from "../engine/upgrade-dates.js";
import { renderTable } from "../lib/table.js";
import { truncate } from "../lib/text.js";
import type { CaseDetail, CaseSummary } from "../store/cases.js";

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "not tracked");

export function casesTable(cases: CaseSummary[]): string {
  if (cases.length === 0) return "no cases";
  return renderTable(
    ["CASE", "FINDING", "CONTROL", "SEVERITY", "OWNER", "STATUS", "SLA DUE", "TITLE"],
    cases.map((c) => [
      c.ref,
      truncate(c.id, 60),
      c.controlId ?? "-",
      c.severity,
      c.owner,
      c.status,
      day(c.slaDueAt),
      truncate(c.title, 50),
    ]),
  );
}

export function caseDetailText(detail: CaseDetail): string {
  const c = detail.case;
  const fields: [string, string][] = [
    ["case", detail.ref],
    ["finding", c.findingId],
    ["title", c.title],
    ["control", c.controlId ?? "-"],
    ["severity", c.severity],
    ["account / region", `${c.accountId} / ${c.region}`],
    ["resource", c.resourceId ? `${c.resourceType ?? ""} ${c.resourceId}`.trim() : "-"],
    ["owner", `${c.owner} (counterpart: ${c.counterpart}, rule "${c.routingRule}")`],
    ["status", c.status],
    ["SLA due", c.slaDueAt ? formatInstant(c.slaDueAt) : "not tracked"],
    ["first observed", formatInstant(c.firstObservedAt)],
    ["workflow status", c.latest.workflowStatus],
    ["compliance", c.latest.complianceStatus ?? "-"],
    ["record state", c.latest.recordState],
    ["escalation level", String(c.escalationLevel ?? 0)],
    ["assignee", c.assignee ? `${c.assignee.user} (${c.assignee.team})` : "-"],
  ];
  if (c.exception) {
    fields.push([
      "exception",
      `${c.exception.id} ${c.exception.status}, until ${formatInstant(c.exception.expiresAt)}, requested by ${c.exception.requester.user} (${c.exception.requester.team})`,
    ]);
  }
  if (c.upgrade) {
    const agreed = c.upgrade.agreed ? `agreed ${c.upgrade.agreed.date}` : "no date agreed";
    const proposal = c.upgrade.proposal
      ? `; proposed ${c.upgrade.proposal.date} by ${c.upgrade.proposal.proposedBy.user} (${c.upgrade.proposal.proposedBy.team})`
      : "";
    fields.push(["upgrade date", `${agreed}${proposal}; ${upgradeDeadlineText(c.upgrade)}`]);
  }
  if (c.suppression) {
    fields.push([
      "suppression",
      `blocked ${c.suppression.blockedCount}x, last ${formatInstant(c.suppression.blockedAt)} by ${c.suppression.suppressedBy ?? "unknown"}`,
    ]);
  }
  const width = Math.max(...fields.map(([label]) => label.length));
  const head = fields.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
  const events = renderTable(
    ["#", "AT", "EVENT", "ACTOR", "REASON"],
    detail.events.map((e) => [String(e.seq), formatInstant(e.at), e.type, e.actor, e.reason ?? ""]),
  );
  const outbox = detail.outbox.length
    ? `\n\nactions (outbox)\n${renderTable(
        ["KIND", "STATUS", "CREATED", "WHAT"],
        detail.outbox.map((row) => [row.kind, row.status, formatInstant(row.createdAt), row.summary]),
      )}`
    : "";
  return `${head}\n\naudit events\n${events}${outbox}`;
}
