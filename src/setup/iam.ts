/**
 * The least-privilege IAM policies `shgov setup --print-iam` prints. Every action is named (no
 * wildcard actions); a test compares them with the SDK commands the code sends.
 */

export interface IamScope {
  region: string;
  /** 12 digits, or "*" when not given. */
  accountId: string;
  namePrefix: string;
}

interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

/** A trust or resource policy: its statements name a principal. */
export interface ResourcePolicyDocument {
  Version: "2012-10-17";
  Statement: (Omit<Statement, "Sid" | "Action" | "Resource"> & {
    Sid?: string;
    Principal: unknown;
    Action: string;
    Resource?: string;
  })[];
}

export interface IamPolicies {
  /** For whoever runs `shgov setup`. */
  setup: PolicyDocument;
  /** The role EventBridge assumes to call the API destination: its trust policy and permissions. */
  invokeRoleTrust: ResourcePolicyDocument;
  invokeRole: PolicyDocument;
  /** On the dead-letter queue: EventBridge may send the events it gives up on. */
  deadLetterQueue: ResourcePolicyDocument;
  /** For the running service (`shgov serve`). */
  service: PolicyDocument;
}

/** The actions `shgov setup` calls, by the code that calls them (src/setup/eventbridge-setup.ts). */
export const SETUP_EVENTBRIDGE_ACTIONS = {
  connection: ["events:DescribeConnection", "events:CreateConnection", "events:UpdateConnection"],
  apiDestination: [
    "events:DescribeApiDestination",
    "events:CreateApiDestination",
    "events:UpdateApiDestination",
  ],
  rule: ["events:DescribeRule", "events:PutRule", "events:ListTargetsByRule", "events:PutTargets"],
} as const;

/** The Security Hub actions the service calls (src/securityhub/; GetFindings is `shgov doctor`'s read). */
export const SERVICE_SECURITYHUB_ACTIONS = [
  "securityhub:BatchUpdateFindings",
  "securityhub:BatchUpdateFindingsV2",
  "securityhub:GetFindingHistory",
  "securityhub:GetFindings",
] as const;

/** What `shgov doctor` reads of EventBridge, with the service's credentials (src/doctor/). */
export const DOCTOR_EVENTBRIDGE_ACTIONS = [
  "events:DescribeConnection",
  "events:DescribeApiDestination",
  "events:DescribeRule",
  "events:ListTargetsByRule",
] as const;

/** China and GovCloud regions have partitions of their own. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function invokeRoleName(namePrefix: string): string {
  return `${namePrefix}-eventbridge-invoke`;
}

export function iamPolicies(scope: IamScope): IamPolicies {
  const { region, accountId, namePrefix } = scope;
  const partition = partitionOf(region);
  const events = (resource: string) => `arn:${partition}:events:${region}:${accountId}:${resource}`;
  const destination = events(`api-destination/${namePrefix}-events/*`);
  const roleArn = `arn:${partition}:iam::${accountId}:role/${invokeRoleName(namePrefix)}`;
  return {
    setup: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "Connection",
          Effect: "Allow",
          Action: [...SETUP_EVENTBRIDGE_ACTIONS.connection],
          Resource: events(`connection/${namePrefix}-ingest/*`),
        },
        {
          Sid: "ApiDestination",
          Effect: "Allow",
          Action: [...SETUP_EVENTBRIDGE_ACTIONS.apiDestination],
          Resource: destination,
        },
        {
          Sid: "Rules",
          Effect: "Allow",
          Action: [...SETUP_EVENTBRIDGE_ACTIONS.rule],
          Resource: events(`rule/${namePrefix}-*`),
        },
        {
          // Targets name the role EventBridge assumes; passing it to EventBridge only.
          Sid: "PassInvokeRole",
          Effect: "Allow",
          Action: ["iam:PassRole"],
          Resource: roleArn,
          Condition: { StringEquals: { "iam:PassedToService": "events.amazonaws.com" } },
        },
        {
          // The first connection in an account creates EventBridge's service-linked role, which
          // keeps the key in Secrets Manager on EventBridge's behalf.
          Sid: "ApiDestinationsServiceLinkedRole",
          Effect: "Allow",
          Action: ["iam:CreateServiceLinkedRole"],
          Resource: `arn:${partition}:iam::${accountId}:role/aws-service-role/apidestinations.events.amazonaws.com/AWSServiceRoleForAmazonEventBridgeApiDestinations`,
          Condition: { StringEquals: { "iam:AWSServiceName": "apidestinations.events.amazonaws.com" } },
        },
      ],
    },
    invokeRoleTrust: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sts:AssumeRole",
          // Without a known account there is nothing to compare with (StringEquals takes no "*").
          ...(accountId === "*" ? {} : { Condition: { StringEquals: { "aws:SourceAccount": accountId } } }),
        },
      ],
    },
    invokeRole: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "InvokeApiDestination",
          Effect: "Allow",
          Action: ["events:InvokeApiDestination"],
          Resource: destination,
        },
      ],
    },
    deadLetterQueue: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EventBridgeDeadLetters",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: `arn:${partition}:sqs:${region}:${accountId}:${namePrefix}-dead-letters`,
          Condition: { ArnLike: { "aws:SourceArn": events(`rule/${namePrefix}-*`) } },
        },
      ],
    },
    service: {
      Version: "2012-10-17",
      Statement: [
        {
          // Security Hub's finding actions act on the account's hub; they take no narrower resource.
          Sid: "SecurityHubFindings",
          Effect: "Allow",
          Action: [...SERVICE_SECURITYHUB_ACTIONS],
          Resource: "*",
        },
        {
          Sid: "DoctorReadsSetup",
          Effect: "Allow",
          Action: [...DOCTOR_EVENTBRIDGE_ACTIONS],
          Resource: [
            events(`connection/${namePrefix}-ingest/*`),
            destination,
            events(`rule/${namePrefix}-*`),
          ],
        },
        {
          // Tests a pattern against an event; it touches no resource.
          Sid: "DoctorTestsPattern",
          Effect: "Allow",
          Action: ["events:TestEventPattern"],
          Resource: "*",
        },
      ],
    },
  };
}

/** The policies as an operator pastes them: a heading and the JSON of each. */
export function iamPoliciesText(scope: IamScope): string {
  const policies = iamPolicies(scope);
  const section = (title: string, document: unknown) => `# ${title}\n${JSON.stringify(document, null, 2)}`;
  return [
    section("1. For whoever runs `shgov setup` (an IAM policy)", policies.setup),
    section(
      `2. The role EventBridge assumes, named ${invokeRoleName(scope.namePrefix)}: its trust policy`,
      policies.invokeRoleTrust,
    ),
    section(
      `3. The role ${invokeRoleName(scope.namePrefix)}: its permissions (an inline policy)`,
      policies.invokeRole,
    ),
    section(
      `4. The dead-letter queue ${scope.namePrefix}-dead-letters: its access policy (an SQS queue policy)`,
      policies.deadLetterQueue,
    ),
    section(
      "5. For the running service, `shgov serve` and `shgov doctor` (an IAM policy on its role)",
      policies.service,
    ),
  ].join("\n\n");
}
