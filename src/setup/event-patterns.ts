/**
 * What EventBridge sends to this service and how it retries: one definition, used by `shgov setup`,
 * checked against the CloudFormation template (deploy/cloudformation.yaml) by a test.
 */

/** The Security Hub events intake reads (ASFF imported, OCSF imported, custom action). */
export const FINDINGS_EVENT_PATTERN = {
  source: ["aws.securityhub"],
  "detail-type": [
    "Security Hub Findings - Imported",
    "Findings Imported V2",
    "Security Hub Findings - Custom Action",
  ],
} as const;

/**
 * Security Hub's update calls as CloudTrail records them (who suppressed a finding, in either
 * format); EventBridge receives them only where a trail logs management events.
 */
export const API_CALLS_EVENT_PATTERN = {
  source: ["aws.securityhub"],
  "detail-type": ["AWS API Call via CloudTrail"],
  detail: {
    eventSource: ["securityhub.amazonaws.com"],
    eventName: ["BatchUpdateFindings", "BatchUpdateFindingsV2"],
  },
} as const;

/**
 * EventBridge retries a failed delivery (429, 5xx, timeouts) with backoff for at most 24 hours and
 * 185 attempts, its maximum; then the event goes to the dead-letter queue instead of being dropped.
 */
export const TARGET_RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } as const;

/** Invocations per second EventBridge makes to the API destination, unless `--rate` says otherwise. */
export const DEFAULT_INVOCATION_RATE = 300;

/** The header the connection sends the ingest key in; intake reads it (src/intake/http-intake.ts). */
export const API_KEY_HEADER = "x-api-key";
