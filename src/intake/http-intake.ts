import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { keysMatch } from "../http/api-key.js";
import { MAX_BODY_BYTES, readBody } from "../http/body.js";
import { sendError, sendJson } from "../http/respond.js";
import { storableBody, unstorableStrings } from "../lib/storable-text.js";
import type { FieldError } from "../lib/zod-errors.js";
import type { DeadLetterInput } from "../store/dead-letters.js";
import type { ApiCall } from "./api-call.js";
import { type Observation, parseEnvelope } from "./envelope.js";
import { jsonLimitProblem, listedErrors } from "./limits.js";

export interface IntakeDeps {
  apiKey: string;
  /** Stores one job per observation in the queue; resolves with their ids. */
  enqueue(observations: Observation[]): Promise<string[]>;
  keepDeadLetter(letter: DeadLetterInput): Promise<number>;
  /** Keeps the Security Hub update calls CloudTrail recorded, and tells their cases who made them. */
  recordApiCalls?(calls: ApiCall[]): Promise<void>;
  logger: Logger;
  /** Called once per request with how it ended; the seam for metrics. */
  onOutcome?(outcome: IntakeOutcome): void;
  /**
   * Where a queue that cannot be written to is said: once per outage, not once per request
   * (EventBridge retries every event). Logged per request at error level when absent.
   */
  queueFailures?: { failed(error: unknown): void; succeeded(): void };
}

export type IntakeOutcome =
  | "accepted"
  | "unauthorized"
  | "too_large"
  | "unsupported_media_type"
  | "invalid_json"
  | "invalid_event"
  | "queue_unavailable"
  | "store_unavailable";

const RETRY_AFTER = { "retry-after": "5" };

function isJsonContentType(header: string | undefined): boolean {
  const type = header?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json" || (type?.startsWith("application/") === true && type.endsWith("+json"));
}

/**
 * POST /events: the EventBridge API destination target. Every rejected body that could be read
 * is kept as a dead letter before the answer, so nothing is dropped silently; when even that
 * fails the answer is 503 and EventBridge retries.
 */
export async function handleEvents(request: IncomingMessage, response: ServerResponse, deps: IntakeDeps) {
  const done = (outcome: IntakeOutcome) => deps.onOutcome?.(outcome);
  const key = request.headers["x-api-key"];
  if (typeof key !== "string" || key.length === 0) {
    done("unauthorized");
    return sendError(response, 401, "unauthorized", "missing x-api-key header");
  }
  if (!keysMatch(key, deps.apiKey)) {
    done("unauthorized");
    return sendError(response, 401, "unauthorized", "invalid x-api-key");
  }

  const contentType = request.headers["content-type"] ?? null;
  const body = await readBody(request, MAX_BODY_BYTES);
  const receivedAt = new Date();

  const reject = async (
    status: number,
    outcome: IntakeOutcome,
    reason: string,
    allErrors: FieldError[],
    message: string,
  ) => {
    // However many problems a body has, its answer, dead letter and log line stay small.
    const errors = listedErrors(allErrors);
    let deadLetterId: number;
    try {
      deadLetterId = await deps.keepDeadLetter({
        source: "eventbridge",
        reason,
        errors,
        contentType,
        body: storableBody(body.text),
        bodyBytes: body.bytes,
        truncated: body.oversized,
        receivedAt,
      });
    } catch (error) {
      deps.logger.error(
        { err: error, reason },
        "could not keep a rejected event; asking the sender to retry",
      );
      done("store_unavailable");
      return sendError(
        response,
        503,
        "store_unavailable",
        "the event store is unavailable; retry later",
        {},
        RETRY_AFTER,
      );
    }
    deps.logger.warn(
      { reason, errors, deadLetterId, bytes: body.bytes },
      "event rejected and kept as a dead letter",
    );
    done(outcome);
    const first = errors[0];
    return sendError(response, status, reason, message, {
      ...(first ? { field: first.field } : {}),
      errors,
      deadLetterId,
    });
  };

  if (body.oversized) {
    return reject(
      413,
      "too_large",
      "payload_too_large",
      [],
      `body of ${body.bytes} bytes is over the ${MAX_BODY_BYTES}-byte limit`,
    );
  }
  if (!isJsonContentType(contentType ?? undefined)) {
    return reject(
      415,
      "unsupported_media_type",
      "unsupported_media_type",
      [{ field: "content-type", message: "expected application/json" }],
      `Content-Type must be application/json, got ${contentType ? `"${contentType}"` : "none"}`,
    );
  }
  // Before JSON.parse: what follows it recurses (a deep body would overflow the stack), and a
  // wide one would cost memory in proportion.
  const overLimit = jsonLimitProblem(body.text);
  if (overLimit) return reject(400, "invalid_event", "invalid_event", [overLimit], overLimit.message);
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch (error) {
    const detail = (error as Error).message;
    return reject(
      400,
      "invalid_json",
      "invalid_json",
      [{ field: "(body)", message: detail }],
      `body is not valid JSON: ${detail}`,
    );
  }
  const unstorable = unstorableStrings(json);
  if (unstorable.length > 0) {
    const first = unstorable[0] as FieldError;
    return reject(400, "invalid_event", "invalid_event", unstorable, `${first.field}: ${first.message}`);
  }
  const parsed = parseEnvelope(json);
  if (!parsed.ok) {
    const first = parsed.errors[0];
    return reject(
      400,
      "invalid_event",
      "invalid_event",
      parsed.errors,
      first ? `${first.field}: ${first.message}` : "invalid event",
    );
  }

  if (parsed.apiCalls.length > 0) {
    try {
      if (!deps.recordApiCalls) throw new Error("this intake keeps no API calls");
      await deps.recordApiCalls(parsed.apiCalls);
    } catch (error) {
      deps.logger.error({ err: error }, "API call not stored; answering 503 so EventBridge retries");
      done("store_unavailable");
      return sendError(
        response,
        503,
        "store_unavailable",
        "the store is unavailable; retry later",
        {},
        RETRY_AFTER,
      );
    }
  }

  let jobIds: string[] = [];
  try {
    if (parsed.observations.length > 0) jobIds = await deps.enqueue(parsed.observations);
  } catch (error) {
    if (deps.queueFailures) deps.queueFailures.failed(error);
    else deps.logger.error({ err: error }, "queue unavailable; answering 503 so EventBridge retries");
    done("queue_unavailable");
    return sendError(
      response,
      503,
      "queue_unavailable",
      "the queue is unavailable; retry later",
      {},
      RETRY_AFTER,
    );
  }
  deps.queueFailures?.succeeded();
  done("accepted");
  sendJson(response, 202, {
    accepted: parsed.observations.length + parsed.apiCalls.length,
    jobIds,
  });
}
