import {
  API_CALLS_EVENT_PATTERN,
  API_KEY_HEADER,
  FINDINGS_EVENT_PATTERN,
  TARGET_RETRY_POLICY,
} from "./event-patterns.js";

/** What the operator chose for `shgov setup`, validated (src/setup/settings.ts). */
export interface SetupSettings {
  /** The service's base URL, https; EventBridge posts to `<endpoint>/events`. */
  endpoint: string;
  /** Invocations per second, 1 to 300. */
  ratePerSecond: number;
  /** Every resource's name starts with it, so several deployments can share an account. */
  namePrefix: string;
  /** The role EventBridge assumes to invoke the API destination (see `--print-iam`). */
  roleArn: string;
  /** The SQS queue events go to when EventBridge gives up on them. */
  deadLetterArn: string;
}

export interface DesiredConnection {
  name: string;
  description: string;
  authorizationType: "API_KEY";
  apiKeyName: string;
}

export interface DesiredApiDestination {
  name: string;
  description: string;
  invocationEndpoint: string;
  httpMethod: "POST";
  ratePerSecond: number;
}

export interface DesiredTarget {
  id: string;
  roleArn: string;
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
  deadLetterArn: string;
}

/** The part of EventBridge's pattern language setup writes: sources, detail-types, detail fields. */
export interface EventPattern {
  source: readonly string[];
  "detail-type": readonly string[];
  detail?: Record<string, readonly string[]>;
}

export interface DesiredRule {
  name: string;
  description: string;
  eventPattern: EventPattern;
  state: "ENABLED";
  target: DesiredTarget;
}

/** Everything `shgov setup` makes in one account and region. */
export interface DesiredSetup {
  connection: DesiredConnection;
  apiDestination: DesiredApiDestination;
  rules: DesiredRule[];
}

/** The same resources the CloudFormation template declares (a test compares the two). */
export function desiredSetup(settings: SetupSettings): DesiredSetup {
  const prefix = settings.namePrefix;
  const target = (id: string): DesiredTarget => ({
    id,
    roleArn: settings.roleArn,
    maximumRetryAttempts: TARGET_RETRY_POLICY.MaximumRetryAttempts,
    maximumEventAgeInSeconds: TARGET_RETRY_POLICY.MaximumEventAgeInSeconds,
    deadLetterArn: settings.deadLetterArn,
  });
  return {
    connection: {
      name: `${prefix}-ingest`,
      description: "securityhub-governor intake: the ingest key in the x-api-key header",
      authorizationType: "API_KEY",
      apiKeyName: API_KEY_HEADER,
    },
    apiDestination: {
      name: `${prefix}-events`,
      description: "securityhub-governor POST /events",
      invocationEndpoint: `${settings.endpoint.replace(/\/+$/, "")}/events`,
      httpMethod: "POST",
      ratePerSecond: settings.ratePerSecond,
    },
    rules: [
      {
        name: `${prefix}-securityhub-findings`,
        description: "Security Hub findings (ASFF, OCSF) and custom actions to securityhub-governor",
        eventPattern: FINDINGS_EVENT_PATTERN,
        state: "ENABLED",
        target: target(`${prefix}-api-destination`),
      },
      {
        name: `${prefix}-securityhub-api-calls`,
        description:
          "Security Hub finding updates recorded by CloudTrail (who suppressed a finding) to securityhub-governor",
        eventPattern: API_CALLS_EVENT_PATTERN,
        state: "ENABLED",
        target: target(`${prefix}-api-destination`),
      },
    ],
  };
}
