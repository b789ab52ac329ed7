import type { FindingSource } from "../finding-source.js";
import { normalizeOcsf, ocsfFindingSchema } from "../ocsf.js";
import { readSecurityHubEvent, SECURITY_HUB_SOURCE } from "./security-hub-detail.js";

/** Security Hub's OCSF events (Security Hub V2). */
export const securityHubOcsf: FindingSource = {
  name: "Security Hub OCSF",
  source: SECURITY_HUB_SOURCE,
  detailTypes: ["Findings Imported V2"],
  read: (event) => readSecurityHubEvent(event, ocsfFindingSchema, normalizeOcsf),
};
