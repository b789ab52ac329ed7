import type { z } from "zod";
import type { Finding } from "../engine/finding.js";
import { type FieldError, fieldErrors } from "../lib/zod-errors.js";
import type { ApiCall } from "./api-call.js";

/** An EventBridge event as intake sees it before a source reads its detail. */
export interface EventEnvelope {
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  detail: Record<string, unknown>;
}

/** What a source read of one event: its findings normalized, or the fields it refused. */
export interface SourceRead {
  findings: { finding: Finding; raw: unknown }[];
  errors: FieldError[];
  /** Set for a Security Hub custom action: a person sent the findings on purpose. */
  customAction: { name: string; description: string | null } | null;
  /** Update calls CloudTrail recorded (who changed which findings), for the sources that read them. */
  apiCalls?: ApiCall[];
}

/**
 * A kind of event findings come in: the EventBridge source and detail-types it claims, and how it
 * reads them. Intake asks the registry (finding-sources.ts) which source claims an event; a new
 * source (CloudTrail, AWS Health) is one file here and its entry there.
 */
export interface FindingSource {
  /** For logs and errors: "Security Hub ASFF". */
  name: string;
  /** The event's `source` field. */
  source: string;
  detailTypes: readonly string[];
  read(event: EventEnvelope): SourceRead;
}

/**
 * Reads a list of findings each with its own schema and normalizer, the shape both Security Hub
 * formats share (`detail.findings`): field paths of errors start at the finding's place in the event.
 */
export function readEach<T>(
  findings: unknown[],
  schema: z.ZodType<T>,
  normalize: (finding: T) => Finding,
): Pick<SourceRead, "findings" | "errors"> {
  const read: SourceRead["findings"] = [];
  const errors: FieldError[] = [];
  for (const [index, raw] of findings.entries()) {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) errors.push(...fieldErrors(parsed.error, ["detail", "findings", index]));
    else read.push({ finding: normalize(parsed.data), raw });
  }
  return { findings: read, errors };
}
