import { LogLevel, WebClient } from "@slack/web-api";

export interface SlackClientOptions {
  token: string;
  /** SLACK_API_URL: the Web API base (ending with /api/), for proxies and tests; Slack's by default. */
  slackApiUrl?: string;
  /** Per request; a Slack that never answers cannot hold the dispatcher. */
  timeoutMs?: number;
  /** Retries inside one call for a 5xx or network error; the dispatcher retries across rounds. */
  retries?: number;
  logLevel?: LogLevel;
}

export const SLACK_REQUEST_TIMEOUT_MS = 30_000;

/**
 * A WebClient for the dispatchers. Rate-limited calls are rejected at once with Retry-After
 * (WebAPIRateLimitedError) instead of being retried inside the client, and other failures are not
 * retried by default, so the dispatcher decides: it paces per channel, defers the row by Retry-After
 * and backs off. Building it calls nothing (no auth.test).
 */
export function createSlackClient(options: SlackClientOptions): WebClient {
  return new WebClient(options.token, {
    ...(options.slackApiUrl ? { slackApiUrl: withTrailingSlash(options.slackApiUrl) } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: options.retries ?? 0, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
    timeout: options.timeoutMs ?? SLACK_REQUEST_TIMEOUT_MS,
    logLevel: options.logLevel ?? LogLevel.ERROR,
    // Method names only: a URL in a method name must not send the token elsewhere.
    allowAbsoluteUrls: false,
  });
}

/** WebClient appends the method name to the base as is. */
function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
