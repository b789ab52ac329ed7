import { EventBridgeClient, type EventBridgeClientConfig } from "@aws-sdk/client-eventbridge";
import { AWS_REQUEST_HANDLER } from "../securityhub/client.js";

export interface EventBridgeClientOptions {
  region?: string;
  /** Overrides AWS_ENDPOINT_URL_EVENTBRIDGE, which the SDK otherwise reads by itself. */
  endpoint?: string;
  maxAttempts?: number;
  /** Static credentials, for tests against the fake; unset means the SDK's default chain. */
  credentials?: EventBridgeClientConfig["credentials"];
}

/** The SDK's own retries (throttling, 5xx) with the same timeouts as the Security Hub client. */
export function createEventBridgeClient(options: EventBridgeClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient({
    region: options.region ?? (process.env.AWS_REGION || "us-east-1"),
    maxAttempts: options.maxAttempts ?? 5,
    requestHandler: AWS_REQUEST_HANDLER,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}
