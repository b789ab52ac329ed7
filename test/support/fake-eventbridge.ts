import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An EventBridge of our own over HTTP, speaking its JSON 1.1 wire protocol as the AWS SDK sends it:
 * every call is `POST /` with `X-Amz-Target: AWSEvents.<Operation>` and a JSON body; errors answer
 * with `__type` in the body (shapes from @aws-sdk/client-eventbridge's operation schemas).
 */

export type FakeEventBridgeOperation =
  | "CreateConnection"
  | "DescribeConnection"
  | "UpdateConnection"
  | "CreateApiDestination"
  | "DescribeApiDestination"
  | "UpdateApiDestination"
  | "PutRule"
  | "DescribeRule"
  | "PutTargets"
  | "ListTargetsByRule"
  | "PutEvents"
  | "TestEventPattern";

const WRITES = new Set<string>([
  "CreateConnection",
  "UpdateConnection",
  "CreateApiDestination",
  "UpdateApiDestination",
  "PutRule",
  "PutTargets",
  "PutEvents",
]);

export interface RecordedCall {
  operation: string;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are read freely in assertions
  body: any;
  /** The SDK's `amz-sdk-request` header, e.g. "attempt=2; max=5". */
  attempt: string | undefined;
}

export type EventBridgeFailure =
  /** The next `times` calls of the operation answer this error (400 unless status says otherwise). */
  | {
      kind: "error";
      operation: FakeEventBridgeOperation;
      times: number;
      errorType: string;
      status?: number;
      message?: string;
    }
  /** The next `times` PutEvents / PutTargets calls report these entries (by index) as failed. */
  | {
      kind: "failed-entries";
      operation: "PutEvents" | "PutTargets";
      times: number;
      indexes: number[];
      errorCode: string;
    };

interface StoredConnection {
  arn: string;
  name: string;
  description: string | undefined;
  authorizationType: string;
  apiKeyName: string;
  apiKeyValue: string;
  created: number;
}

interface StoredDestination {
  arn: string;
  name: string;
  description: string | undefined;
  connectionArn: string;
  endpoint: string;
  method: string;
  rate: number | undefined;
}

interface StoredRule {
  arn: string;
  name: string;
  description: string | undefined;
  pattern: string;
  state: string;
  // biome-ignore lint/suspicious/noExplicitAny: targets are kept as the caller sent them
  targets: any[];
}

export interface FakeEventBridge {
  url: string;
  calls: RecordedCall[];
  /** The calls that change something (create, update, put). */
  writes(): RecordedCall[];
  fail(failure: EventBridgeFailure): void;
  connection(name: string): StoredConnection | undefined;
  apiDestination(name: string): StoredDestination | undefined;
  rule(name: string): StoredRule | undefined;
  /** Every event PutEvents accepted, in order. */
  // biome-ignore lint/suspicious/noExplicitAny: entries are kept as sent
  events: any[];
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const notFound = (what: string) => new ApiError("ResourceNotFoundException", `${what} does not exist.`);
const exists = (what: string) => new ApiError("ResourceAlreadyExistsException", `${what} already exists.`);
const invalid = (message: string) => new ApiError("ValidationException", message);

function need(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== "string" || value.length === 0) throw invalid(`${field} is required`);
  return value;
}

/** Pattern matching as EventBridge does it for exact values: every key of the pattern must match. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern))
    return pattern.some((value) => value === event || (Array.isArray(event) && event.includes(value)));
  if (pattern && typeof pattern === "object") {
    if (!event || typeof event !== "object") return false;
    return Object.entries(pattern).every(([key, value]) =>
      matchesPattern(value, (event as Record<string, unknown>)[key]),
    );
  }
  return false;
}

export async function startFakeEventBridge(
  options: { region?: string; accountId?: string } = {},
): Promise<FakeEventBridge> {
  const region = options.region ?? "eu-west-1";
  const account = options.accountId ?? "111111111111";
  const calls: RecordedCall[] = [];
  const failures: EventBridgeFailure[] = [];
  const connections = new Map<string, StoredConnection>();
  const destinations = new Map<string, StoredDestination>();
  const rules = new Map<string, StoredRule>();
  const events: unknown[] = [];
  const arn = (resource: string) => `arn:aws:events:${region}:${account}:${resource}`;
  const seconds = () => Math.floor(Date.now() / 1000);

  const failedIndexes = (operation: string): { indexes: number[]; errorCode: string } | null => {
    const plan = failures.find(
      (f) => f.kind === "failed-entries" && f.operation === operation && f.times > 0,
    );
    if (plan?.kind !== "failed-entries") return null;
    plan.times -= 1;
    return { indexes: plan.indexes, errorCode: plan.errorCode };
  };

  // biome-ignore lint/suspicious/noExplicitAny: bodies are JSON from the SDK
  const handlers: Record<FakeEventBridgeOperation, (body: any) => unknown> = {
    CreateConnection(body) {
      const name = need(body, "Name");
      if (connections.has(name)) throw exists(`Connection ${name}`);
      const key = body.AuthParameters?.ApiKeyAuthParameters;
      if (body.AuthorizationType !== "API_KEY" || !key?.ApiKeyName || !key?.ApiKeyValue) {
        throw invalid("this fake knows API_KEY connections with ApiKeyName and ApiKeyValue only");
      }
      const stored: StoredConnection = {
        arn: arn(`connection/${name}/${randomUUID()}`),
        name,
        description: body.Description,
        authorizationType: body.AuthorizationType,
        apiKeyName: key.ApiKeyName,
        apiKeyValue: key.ApiKeyValue,
        created: seconds(),
      };
      connections.set(name, stored);
      return { ConnectionArn: stored.arn, ConnectionState: "CREATING", CreationTime: stored.created };
    },
    DescribeConnection(body) {
      const name = need(body, "Name");
      const stored = connections.get(name);
      if (!stored) throw notFound(`Connection ${name}`);
      return {
        ConnectionArn: stored.arn,
        Name: stored.name,
        ...(stored.description ? { Description: stored.description } : {}),
        ConnectionState: "AUTHORIZED",
        AuthorizationType: stored.authorizationType,
        // The key's value is never returned, as by the real service.
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: stored.apiKeyName } },
        SecretArn: `arn:aws:secretsmanager:${region}:${account}:secret:events!connection/${name}-abc`,
        CreationTime: stored.created,
      };
    },
    UpdateConnection(body) {
      const name = need(body, "Name");
      const stored = connections.get(name);
      if (!stored) throw notFound(`Connection ${name}`);
      if (body.Description !== undefined) stored.description = body.Description;
      if (body.AuthorizationType) stored.authorizationType = body.AuthorizationType;
      const key = body.AuthParameters?.ApiKeyAuthParameters;
      if (key?.ApiKeyName) stored.apiKeyName = key.ApiKeyName;
      if (key?.ApiKeyValue) stored.apiKeyValue = key.ApiKeyValue;
      return { ConnectionArn: stored.arn, ConnectionState: "UPDATING" };
    },
    CreateApiDestination(body) {
      const name = need(body, "Name");
      if (destinations.has(name)) throw exists(`ApiDestination ${name}`);
      const stored: StoredDestination = {
        arn: arn(`api-destination/${name}/${randomUUID()}`),
        name,
        description: body.Description,
        connectionArn: need(body, "ConnectionArn"),
        endpoint: need(body, "InvocationEndpoint"),
        method: need(body, "HttpMethod"),
        rate: body.InvocationRateLimitPerSecond,
      };
      if (![...connections.values()].some((c) => c.arn === stored.connectionArn)) {
        throw notFound(`Connection ${stored.connectionArn}`);
      }
      destinations.set(name, stored);
      return { ApiDestinationArn: stored.arn, ApiDestinationState: "ACTIVE" };
    },
    DescribeApiDestination(body) {
      const name = need(body, "Name");
      const stored = destinations.get(name);
      if (!stored) throw notFound(`ApiDestination ${name}`);
      return {
        ApiDestinationArn: stored.arn,
        Name: stored.name,
        ...(stored.description ? { Description: stored.description } : {}),
        ApiDestinationState: "ACTIVE",
        ConnectionArn: stored.connectionArn,
        InvocationEndpoint: stored.endpoint,
        HttpMethod: stored.method,
        ...(stored.rate !== undefined ? { InvocationRateLimitPerSecond: stored.rate } : {}),
      };
    },
    UpdateApiDestination(body) {
      const name = need(body, "Name");
      const stored = destinations.get(name);
      if (!stored) throw notFound(`ApiDestination ${name}`);
      if (body.Description !== undefined) stored.description = body.Description;
      if (body.ConnectionArn) stored.connectionArn = body.ConnectionArn;
      if (body.InvocationEndpoint) stored.endpoint = body.InvocationEndpoint;
      if (body.HttpMethod) stored.method = body.HttpMethod;
      if (body.InvocationRateLimitPerSecond !== undefined) stored.rate = body.InvocationRateLimitPerSecond;
      return { ApiDestinationArn: stored.arn, ApiDestinationState: "ACTIVE" };
    },
    PutRule(body) {
      const name = need(body, "Name");
      const pattern = need(body, "EventPattern");
      try {
        JSON.parse(pattern);
      } catch {
        throw new ApiError("InvalidEventPatternException", "Event pattern is not valid JSON");
      }
      const existing = rules.get(name);
      const stored: StoredRule = {
        arn: arn(`rule/${name}`),
        name,
        description: body.Description,
        pattern,
        state: body.State ?? "ENABLED",
        targets: existing?.targets ?? [],
      };
      rules.set(name, stored);
      return { RuleArn: stored.arn };
    },
    DescribeRule(body) {
      const name = need(body, "Name");
      const stored = rules.get(name);
      if (!stored) throw notFound(`Rule ${name} on EventBus default`);
      return {
        Name: stored.name,
        Arn: stored.arn,
        EventPattern: stored.pattern,
        State: stored.state,
        ...(stored.description ? { Description: stored.description } : {}),
        EventBusName: "default",
      };
    },
    PutTargets(body) {
      const name = need(body, "Rule");
      const stored = rules.get(name);
      if (!stored) throw notFound(`Rule ${name} on EventBus default`);
      const failed = failedIndexes("PutTargets");
      const failedEntries: unknown[] = [];
      (body.Targets as { Id: string }[]).forEach((target, index) => {
        if (failed?.indexes.includes(index)) {
          failedEntries.push({
            TargetId: target.Id,
            ErrorCode: failed.errorCode,
            ErrorMessage: "failed on purpose",
          });
          return;
        }
        stored.targets = [...stored.targets.filter((t) => t.Id !== target.Id), target];
      });
      return { FailedEntryCount: failedEntries.length, FailedEntries: failedEntries };
    },
    ListTargetsByRule(body) {
      const name = need(body, "Rule");
      const stored = rules.get(name);
      if (!stored) throw notFound(`Rule ${name} on EventBus default`);
      return { Targets: stored.targets };
    },
    PutEvents(body) {
      const failed = failedIndexes("PutEvents");
      const entries = (body.Entries ?? []) as unknown[];
      if (entries.length < 1 || entries.length > 10) throw invalid("Entries must hold 1 to 10 entries");
      const results = entries.map((entry, index) => {
        if (failed?.indexes.includes(index))
          return { ErrorCode: failed.errorCode, ErrorMessage: "failed on purpose" };
        events.push(entry);
        return { EventId: randomUUID() };
      });
      return { FailedEntryCount: results.filter((r) => "ErrorCode" in r).length, Entries: results };
    },
    TestEventPattern(body) {
      const pattern = JSON.parse(need(body, "EventPattern")) as unknown;
      const event = JSON.parse(need(body, "Event")) as unknown;
      return { Result: matchesPattern(pattern, event) };
    },
  };

  const send = (response: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": randomUUID(),
    });
    response.end(text);
  };

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers["x-amz-target"] ?? "");
    const operation = target.replace(/^AWSEvents\./, "");
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
    } catch {
      return send(response, 400, { __type: "SerializationException", message: "body is not JSON" });
    }
    const header = request.headers["amz-sdk-request"];
    calls.push({ operation, body, attempt: Array.isArray(header) ? header[0] : header });
    const handler = handlers[operation as FakeEventBridgeOperation];
    if (request.method !== "POST" || !handler) {
      return send(response, 400, { __type: "UnknownOperationException", message: `unknown ${target}` });
    }
    const failure = failures.find((f) => f.kind === "error" && f.operation === operation && f.times > 0);
    if (failure && failure.kind === "error") {
      failure.times -= 1;
      return send(response, failure.status ?? 400, {
        __type: failure.errorType,
        message: failure.message ?? `${failure.errorType} on purpose`,
      });
    }
    try {
      send(response, 200, handler(body));
    } catch (error) {
      if (error instanceof ApiError)
        return send(response, error.status, { __type: error.type, message: error.message });
      send(response, 500, { __type: "InternalException", message: String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    writes: () => calls.filter((call) => WRITES.has(call.operation)),
    fail: (failure) => failures.push(failure),
    connection: (name) => connections.get(name),
    apiDestination: (name) => destinations.get(name),
    rule: (name) => rules.get(name),
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
