import { fieldErrors } from "../../lib/zod-errors.js";
import { type FindingSource, readEach } from "../finding-source.js";
import { normalizeOcsf, type OcsfFinding, ocsfFindingSchema } from "../ocsf.js";
import { SECURITY_HUB_SOURCE, securityHubDetailSchema } from "./security-hub-detail.js";

/** Security Hub's OCSF events (Security Hub V2). */
export const securityHubOcsf: FindingSource = {
  name: "Security Hub OCSF",
  source: SECURITY_HUB_SOURCE,
  detailTypes: ["Findings Imported V2"],
  read(event) {
    const detail = securityHubDetailSchema.safeParse(event.detail);
    if (!detail.success)
      return { findings: [], errors: fieldErrors(detail.error, ["detail"]), customAction: null };
    const context = { region: event.region, time: event.time };
    const read = readEach(detail.data.findings, ocsfFindingSchema, (finding) =>
      normalizeOcsf(finding as OcsfFinding, context),
    );
    return { ...read, customAction: null };
  },
};
