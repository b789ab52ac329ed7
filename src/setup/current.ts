/** What exists in the account now, as `shgov setup` read it; null where nothing by that name exists. */
export interface CurrentConnection {
  arn: string;
  description: string | undefined;
  authorizationType: string | undefined;
  apiKeyName: string | undefined;
  state: string | undefined;
}

export interface CurrentApiDestination {
  arn: string;
  description: string | undefined;
  invocationEndpoint: string | undefined;
  httpMethod: string | undefined;
  ratePerSecond: number | undefined;
  connectionArn: string | undefined;
  state: string | undefined;
}

export interface CurrentTarget {
  id: string;
  arn: string | undefined;
  roleArn: string | undefined;
  maximumRetryAttempts: number | undefined;
  maximumEventAgeInSeconds: number | undefined;
  deadLetterArn: string | undefined;
  /** Which of Input, InputPath, InputTransformer, HttpParameters the target sets (setup sets none). */
  inputOverrides: string[];
}

export interface CurrentRule {
  description: string | undefined;
  /** As EventBridge returns it: a JSON string. */
  eventPattern: string | undefined;
  state: string | undefined;
  targets: CurrentTarget[];
}

export interface CurrentSetup {
  connection: CurrentConnection | null;
  apiDestination: CurrentApiDestination | null;
  rules: Record<string, CurrentRule | null>;
}
