import { SecurityHubClient, type SecurityHubClientConfig } from "@aws-sdk/client-securityhub";

export interface SecurityHubClientOptions {
  region?: string;
  /** Overrides AWS_ENDPOINT_URL_SECURITYHUB, which the SDK otherwise reads by itself. */
  endpoint?: string;
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Static credentials, for tests against the fake; unset means the SDK's default chain. */
  credentials?: SecurityHubClientConfig["credentials"];
}

/**
 * Our dispatchers retry with their own backoff and rate limit, so the SDK's own retries are kept few:
 * enough to absorb a blip without a second round-trip through the outbox, not so many that a
 * throttled call hides for long inside one request.
 */
export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * Without a timeout one connection that never answers holds the dispatcher (and its shutdown)
 * for ever; a call that times out is retried like any other transient failure.
 */
export const CONNECTION_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 30_000;

/** The SDK request handler settings every AWS client of the service uses. */
export const AWS_REQUEST_HANDLER = {
  connectionTimeout: CONNECTION_TIMEOUT_MS,
  requestTimeout: REQUEST_TIMEOUT_MS,
  // Otherwise a request past its timeout only logs a warning and keeps waiting.
  throwOnRequestTimeout: true,
} as const;

export function createSecurityHubClient(options: SecurityHubClientOptions = {}): SecurityHubClient {
  return new SecurityHubClient({
    // An empty AWS_REGION is unset, as everywhere else.
    region: options.region ?? (process.env.AWS_REGION || "us-east-1"),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: {
      ...AWS_REQUEST_HANDLER,
      ...(options.connectionTimeoutMs !== undefined
        ? { connectionTimeout: options.connectionTimeoutMs }
        : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeout: options.requestTimeoutMs } : {}),
    },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}
