import { createHash } from "node:crypto";
import { z } from "zod";
import type { Finding } from "../engine/finding.js";
import { canonicalJson } from "../lib/canonical-json.js";
import { type FieldError, fieldErrors } from "../lib/zod-errors.js";
import type { ApiCall } from "./api-call.js";
import type { FindingSource } from "./finding-source.js";
import { FINDING_SOURCES, sourceOf } from "./finding-sources.js";
import { isoDateTime } from "./timestamps.js";

const envelopeSchema = z.looseObject({
  version: z.string().optional(),
  id: z.string().min(1),
  "detail-type": z.string().min(1),
  source: z.string().min(1),
  account: z.string().min(1),
  time: isoDateTime,
  region: z.string().min(1),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({}),
});

/** One finding as it leaves intake: normalized, with its raw payload and an idempotency key. */
export interface Observation {
  /** sha256 of the detail-type and the canonical normalized finding: the same version always has the same key. */
  key: string;
  eventId: string;
  detailType: string;
  customAction: { name: string; description: string | null } | null;
  finding: Finding;
  raw: unknown;
}

export type ParseResult =
  | { ok: true; observations: Observation[]; apiCalls: ApiCall[] }
  | { ok: false; errors: FieldError[] };

/**
 * The normalized finding holds every field that makes a version (times, statuses, severity,
 * resources), and is a quarter of the raw payload's size: hashing it keeps intake cheap.
 */
function observationKey(detailType: string, customAction: string | null, finding: Finding): string {
  return createHash("sha256")
    .update(`${detailType}\n${customAction ?? ""}\n${canonicalJson(finding)}`)
    .digest("hex");
}

/**
 * Validates an EventBridge event and turns each of its findings into an Observation: the envelope
 * here, the detail by the finding source that claims the event's detail-type (finding-sources.ts).
 */
export function parseEnvelope(
  body: unknown,
  sources: readonly FindingSource[] = FINDING_SOURCES,
): ParseResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return {
      ok: false,
      errors: [{ field: "(root)", message: "expected a JSON object (an EventBridge event)" }],
    };
  }
  const detailType = (body as Record<string, unknown>)["detail-type"];
  const accepted = sources.flatMap((source) => source.detailTypes);
  const claimed = typeof detailType === "string" ? sourceOf(detailType, sources) : undefined;
  if (typeof detailType === "string" && !claimed) {
    return {
      ok: false,
      errors: [
        {
          field: "detail-type",
          message: `unsupported detail-type "${detailType}"; accepted: ${accepted.map((t) => `"${t}"`).join(", ")}`,
        },
      ],
    };
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return { ok: false, errors: fieldErrors(envelope.error) };
  const event = envelope.data;
  const source = claimed as FindingSource;
  if (event.source !== source.source) {
    return {
      ok: false,
      errors: [
        {
          field: "source",
          message: `expected "${source.source}" for detail-type "${event["detail-type"]}", got "${event.source}"`,
        },
      ],
    };
  }
  const read = source.read(event);
  // An event is accepted whole or not at all, so a partial event never hides in the queue.
  if (read.errors.length > 0) return { ok: false, errors: read.errors };
  const observations = read.findings.map(({ finding, raw }) => ({
    key: observationKey(event["detail-type"], read.customAction?.name ?? null, finding),
    eventId: event.id,
    detailType: event["detail-type"],
    customAction: read.customAction,
    finding,
    raw,
  }));
  return { ok: true, observations, apiCalls: read.apiCalls ?? [] };
}
