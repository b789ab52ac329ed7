import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  DescribeRuleCommand,
  type EventBridgeClient,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
} from "@aws-sdk/client-eventbridge";
import { ShgovError } from "../errors.js";
import { awsCall, isNotFound } from "./aws-call.js";
import type { CurrentRule, CurrentSetup, CurrentTarget } from "./current.js";
import type { DesiredRule, DesiredSetup } from "./desired.js";
import { type PlannedResource, type SetupPlan, sendsKey, targetName } from "./plan.js";

type Send = <Output>(command: object) => Promise<Output>;

function sender(client: EventBridgeClient): Send {
  return <Output>(command: object) =>
    // biome-ignore lint/suspicious/noExplicitAny: the client's send is typed per command class
    awsCall("events", command, () => client.send(command as any) as Promise<Output>);
}

async function orNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Reads the resources setup manages, by name; reads only. */
export async function readCurrentSetup(
  client: EventBridgeClient,
  desired: DesiredSetup,
): Promise<CurrentSetup> {
  const send = sender(client);
  const connection = await orNull(() =>
    send<{
      ConnectionArn?: string;
      Description?: string;
      AuthorizationType?: string;
      ConnectionState?: string;
      AuthParameters?: { ApiKeyAuthParameters?: { ApiKeyName?: string } };
    }>(new DescribeConnectionCommand({ Name: desired.connection.name })),
  );
  const destination = await orNull(() =>
    send<{
      ApiDestinationArn?: string;
      Description?: string;
      InvocationEndpoint?: string;
      HttpMethod?: string;
      InvocationRateLimitPerSecond?: number;
      ConnectionArn?: string;
      ApiDestinationState?: string;
    }>(new DescribeApiDestinationCommand({ Name: desired.apiDestination.name })),
  );
  const rules: Record<string, CurrentRule | null> = {};
  for (const rule of desired.rules) rules[rule.name] = await readRule(send, rule);
  return {
    connection: connection && {
      arn: connection.ConnectionArn ?? "",
      description: connection.Description,
      authorizationType: connection.AuthorizationType,
      apiKeyName: connection.AuthParameters?.ApiKeyAuthParameters?.ApiKeyName,
      state: connection.ConnectionState,
    },
    apiDestination: destination && {
      arn: destination.ApiDestinationArn ?? "",
      description: destination.Description,
      invocationEndpoint: destination.InvocationEndpoint,
      httpMethod: destination.HttpMethod,
      ratePerSecond: destination.InvocationRateLimitPerSecond,
      connectionArn: destination.ConnectionArn,
      state: destination.ApiDestinationState,
    },
    rules,
  };
}

interface TargetOutput {
  Id?: string;
  Arn?: string;
  RoleArn?: string;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  Input?: string;
  InputPath?: string;
  InputTransformer?: unknown;
  HttpParameters?: unknown;
}

const INPUT_OVERRIDES = ["Input", "InputPath", "InputTransformer", "HttpParameters"] as const;

async function readRule(send: Send, rule: DesiredRule): Promise<CurrentRule | null> {
  const found = await orNull(() =>
    send<{ Description?: string; EventPattern?: string; State?: string }>(
      new DescribeRuleCommand({ Name: rule.name }),
    ),
  );
  if (!found) return null;
  const targets: CurrentTarget[] = [];
  let token: string | undefined;
  do {
    const page = await send<{ Targets?: TargetOutput[]; NextToken?: string }>(
      new ListTargetsByRuleCommand({ Rule: rule.name, ...(token ? { NextToken: token } : {}) }),
    );
    for (const target of page.Targets ?? []) {
      targets.push({
        id: target.Id ?? "",
        arn: target.Arn,
        roleArn: target.RoleArn,
        maximumRetryAttempts: target.RetryPolicy?.MaximumRetryAttempts,
        maximumEventAgeInSeconds: target.RetryPolicy?.MaximumEventAgeInSeconds,
        deadLetterArn: target.DeadLetterConfig?.Arn,
        inputOverrides: INPUT_OVERRIDES.filter((field) => target[field] !== undefined),
      });
    }
    token = page.NextToken;
  } while (token);
  return { description: found.Description, eventPattern: found.EventPattern, state: found.State, targets };
}

export type ApplyProgress = (line: string) => void;

/** What applying a planned change did, for the progress line. */
const done = (planned: PlannedResource) => (planned.action === "create" ? "created" : "updated");

/**
 * Makes the write calls the plan asks for, in dependency order (connection, destination, rules,
 * targets), and none for what is unchanged. The ingest key is sent only when the connection is
 * created or the plan rotates it.
 */
export async function applySetup(
  client: EventBridgeClient,
  desired: DesiredSetup,
  current: CurrentSetup,
  plan: SetupPlan,
  ingestKey: string,
  progress: ApplyProgress,
): Promise<void> {
  const send = sender(client);
  const planned = (kind: PlannedResource["kind"], name: string): PlannedResource => {
    const found = plan.resources.find((resource) => resource.kind === kind && resource.name === name);
    if (!found) throw new Error(`no plan for ${kind} ${name}`);
    return found;
  };
  const connection = desired.connection;
  const connectionPlan = planned("connection", connection.name);
  let connectionArn = current.connection?.arn;
  if (connectionPlan.action !== "unchanged") {
    const apiKey = { ApiKeyName: connection.apiKeyName, ApiKeyValue: ingestKey };
    const fields = {
      Name: connection.name,
      Description: connection.description,
      AuthorizationType: connection.authorizationType,
    };
    if (connectionPlan.action === "create") {
      const created = await send<{ ConnectionArn?: string }>(
        new CreateConnectionCommand({ ...fields, AuthParameters: { ApiKeyAuthParameters: apiKey } }),
      );
      connectionArn = created.ConnectionArn;
    } else {
      // The key is never read back: it is sent only when the plan says so.
      const keyName = { ApiKeyName: connection.apiKeyName };
      await send(
        new UpdateConnectionCommand({
          ...fields,
          AuthParameters: { ApiKeyAuthParameters: sendsKey(plan) ? apiKey : keyName },
        }),
      );
    }
    progress(`${done(connectionPlan)} connection ${connection.name}`);
  }
  if (!connectionArn)
    throw new ShgovError("setup.no_arn", `EventBridge returned no ARN for ${connection.name}`);

  const destination = desired.apiDestination;
  const destinationPlan = planned("api destination", destination.name);
  let destinationArn = current.apiDestination?.arn;
  if (destinationPlan.action !== "unchanged") {
    const fields = {
      Name: destination.name,
      Description: destination.description,
      ConnectionArn: connectionArn,
      InvocationEndpoint: destination.invocationEndpoint,
      HttpMethod: destination.httpMethod,
      InvocationRateLimitPerSecond: destination.ratePerSecond,
    };
    const written = await send<{ ApiDestinationArn?: string }>(
      destinationPlan.action === "create"
        ? new CreateApiDestinationCommand(fields)
        : new UpdateApiDestinationCommand(fields),
    );
    destinationArn = written.ApiDestinationArn ?? destinationArn;
    progress(`${done(destinationPlan)} api destination ${destination.name}`);
  }
  if (!destinationArn)
    throw new ShgovError("setup.no_arn", `EventBridge returned no ARN for ${destination.name}`);

  for (const rule of desired.rules) {
    const rulePlan = planned("rule", rule.name);
    if (rulePlan.action !== "unchanged") {
      await send(
        new PutRuleCommand({
          Name: rule.name,
          Description: rule.description,
          EventPattern: JSON.stringify(rule.eventPattern),
          State: rule.state,
        }),
      );
      progress(`${done(rulePlan)} rule ${rule.name}`);
    }
    const targetPlan = planned("target", targetName(rule));
    if (targetPlan.action === "unchanged") continue;
    const result = await send<{
      FailedEntryCount?: number;
      FailedEntries?: { ErrorCode?: string; ErrorMessage?: string }[];
    }>(
      new PutTargetsCommand({
        Rule: rule.name,
        Targets: [
          {
            Id: rule.target.id,
            Arn: destinationArn,
            RoleArn: rule.target.roleArn,
            RetryPolicy: {
              MaximumRetryAttempts: rule.target.maximumRetryAttempts,
              MaximumEventAgeInSeconds: rule.target.maximumEventAgeInSeconds,
            },
            DeadLetterConfig: { Arn: rule.target.deadLetterArn },
          },
        ],
      }),
    );
    if ((result.FailedEntryCount ?? 0) > 0) {
      const failed = result.FailedEntries?.[0];
      throw new ShgovError(
        "setup.target_failed",
        `EventBridge did not put target ${rule.target.id} on rule ${rule.name} (${failed?.ErrorCode ?? "error"}: ${failed?.ErrorMessage ?? "no message"}); run shgov setup again`,
      );
    }
    progress(`${done(targetPlan)} target ${targetName(rule)}`);
  }
}
