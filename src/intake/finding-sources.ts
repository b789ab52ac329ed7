import type { FindingSource } from "./finding-source.js";
import { securityHubApiCall } from "./sources/security-hub-api-call.js";
import { securityHubAsff, securityHubCustomAction } from "./sources/security-hub-asff.js";
import { securityHubOcsf } from "./sources/security-hub-ocsf.js";

/** Every kind of event intake reads findings from; each claims its source and detail-types. */
export const FINDING_SOURCES: readonly FindingSource[] = [
  securityHubAsff,
  securityHubOcsf,
  securityHubCustomAction,
  securityHubApiCall,
];

/** The source that claims events of `detailType`, or undefined. */
export function sourceOf(detailType: string, sources: readonly FindingSource[] = FINDING_SOURCES) {
  return sources.find((source) => source.detailTypes.includes(detailType));
}
