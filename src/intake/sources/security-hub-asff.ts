import { fieldErrors } from "../../lib/zod-errors.js";
import { type AsffFinding, asffFindingSchema, normalizeAsff } from "../asff.js";
import { type EventEnvelope, type FindingSource, readEach, type SourceRead } from "../finding-source.js";
import { SECURITY_HUB_SOURCE, securityHubDetailSchema } from "./security-hub-detail.js";

/** ASFF findings of a Security Hub event; a custom action's name and description when it is one. */
function readAsff(event: EventEnvelope, customAction: boolean): SourceRead {
  const detail = securityHubDetailSchema.safeParse(event.detail);
  if (!detail.success)
    return { findings: [], errors: fieldErrors(detail.error, ["detail"]), customAction: null };
  const context = { region: event.region, time: event.time };
  const read = readEach(detail.data.findings, asffFindingSchema, (finding) =>
    normalizeAsff(finding as AsffFinding, context),
  );
  const action = customAction
    ? { name: detail.data.actionName ?? "(unnamed)", description: detail.data.actionDescription ?? null }
    : null;
  return { ...read, customAction: action };
}

/** Security Hub's ASFF findings as imported (created or updated). */
export const securityHubAsff: FindingSource = {
  name: "Security Hub ASFF",
  source: SECURITY_HUB_SOURCE,
  detailTypes: ["Security Hub Findings - Imported"],
  read: (event) => readAsff(event, false),
};

/** Findings a person sent from the Security Hub console with a custom action (ASFF). */
export const securityHubCustomAction: FindingSource = {
  name: "Security Hub custom action",
  source: SECURITY_HUB_SOURCE,
  detailTypes: ["Security Hub Findings - Custom Action"],
  read: (event) => readAsff(event, true),
};
