import { asffFindingSchema, normalizeAsff } from "../asff.js";
import type { FindingSource } from "../finding-source.js";
import { readSecurityHubEvent, SECURITY_HUB_SOURCE } from "./security-hub-detail.js";

/** Security Hub's ASFF findings as imported (created or updated). */
export const securityHubAsff: FindingSource = {
  name: "Security Hub ASFF",
  source: SECURITY_HUB_SOURCE,
  detailTypes: ["Security Hub Findings - Imported"],
  read: (event) => readSecurityHubEvent(event, asffFindingSchema, normalizeAsff),
};

/** Findings a person sent from the Security Hub console with a custom action (ASFF). */
export const securityHubCustomAction: FindingSource = {
  name: "Security Hub custom action",
  source: SECURITY_HUB_SOURCE,
  detailTypes: ["Security Hub Findings - Custom Action"],
  read: (event) => readSecurityHubEvent(event, asffFindingSchema, normalizeAsff, true),
};
