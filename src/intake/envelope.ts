import { createHash } from "node:crypto";
import { z } from "zod";
import type { Finding } from "../engine/finding.js";
import { canonicalJson } from "../lib/canonical-json.js";
import { type FieldError, fieldErrors } from "../lib/zod-errors.js";
import { type AsffFinding, asffFindingSchema, normalizeAsff } from "./asff.js";
import { MAX_FINDINGS_PER_EVENT } from "./limits.js";
import { normalizeOcsf, type OcsfFinding, ocsfFindingSchema } from "./ocsf.js";
import { isoDateTime } from "./timestamps.js";

export const DETAIL_TYPES = {
  asff: "Security Hub Findings - Imported",
  ocsf: "Findings Imported V2",
  customAction: "Security Hub Findings - Custom Action",
} as const;
export const ACCEPTED_DETAIL_TYPES: readonly string[] = Object.values(DETAIL_TYPES);

const envelopeSchema = z.looseObject({
  version: z.string().optional(),
  id: z.string().min(1),
  "detail-type": z.string().min(1),
  source: z.literal("aws.securityhub"),
  account: z.string().min(1),
  time: isoDateTime,
  region: z.string().min(1),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({
    actionName: z.string().optional(),
    actionDescription: z.string().optional(),
    // Checked before any finding is: zod tests an array's length before its items.
    findings: z
      .array(z.unknown())
      .min(1)
      .max(MAX_FINDINGS_PER_EVENT, {
        message: `more than ${MAX_FINDINGS_PER_EVENT} findings in one event (Security Hub sends one)`,
      }),
  }),
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

export type ParseResult = { ok: true; observations: Observation[] } | { ok: false; errors: FieldError[] };

/**
 * The normalized finding holds every field that makes a version (times, statuses, severity,
 * resources), and is a quarter of the raw payload's size: hashing it keeps intake cheap.
 */
function observationKey(detailType: string, customAction: string | null, finding: Finding): string {
  return createHash("sha256")
    .update(`${detailType}\n${customAction ?? ""}\n${canonicalJson(finding)}`)
    .digest("hex");
}

/** Validates an EventBridge event from Security Hub and turns each of its findings into an Observation. */
export function parseEnvelope(body: unknown): ParseResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return {
      ok: false,
      errors: [{ field: "(root)", message: "expected a JSON object (an EventBridge event)" }],
    };
  }
  const detailType = (body as Record<string, unknown>)["detail-type"];
  if (typeof detailType === "string" && !ACCEPTED_DETAIL_TYPES.includes(detailType)) {
    return {
      ok: false,
      errors: [
        {
          field: "detail-type",
          message: `unsupported detail-type "${detailType}"; accepted: ${ACCEPTED_DETAIL_TYPES.map((t) => `"${t}"`).join(", ")}`,
        },
      ],
    };
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return { ok: false, errors: fieldErrors(envelope.error) };
  const event = envelope.data;
  const isOcsf = event["detail-type"] === DETAIL_TYPES.ocsf;
  const customAction =
    event["detail-type"] === DETAIL_TYPES.customAction
      ? { name: event.detail.actionName ?? "(unnamed)", description: event.detail.actionDescription ?? null }
      : null;

  const observations: Observation[] = [];
  const errors: FieldError[] = [];
  const context = { region: event.region, time: event.time };
  for (const [index, raw] of event.detail.findings.entries()) {
    const prefix = ["detail", "findings", index];
    const parsed = isOcsf ? ocsfFindingSchema.safeParse(raw) : asffFindingSchema.safeParse(raw);
    if (!parsed.success) {
      errors.push(...fieldErrors(parsed.error, prefix));
      continue;
    }
    const finding: Finding = isOcsf
      ? normalizeOcsf(parsed.data as OcsfFinding, context)
      : normalizeAsff(parsed.data as AsffFinding, context);
    observations.push({
      key: observationKey(event["detail-type"], customAction?.name ?? null, finding),
      eventId: event.id,
      detailType: event["detail-type"],
      customAction,
      finding,
      raw,
    });
  }
  // An event is accepted whole or not at all, so a partial event never hides in the queue.
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, observations };
}
