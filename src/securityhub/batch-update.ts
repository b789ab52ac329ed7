import {
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandInput,
  BatchUpdateFindingsV2Command,
  type BatchUpdateFindingsV2CommandInput,
  type SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import type { RateLimiter } from "./rate-limiter.js";

export type UpdatableWorkflowStatus = "NEW" | "NOTIFIED" | "SUPPRESSED" | "RESOLVED";

export interface WorkflowUpdate {
  /** Outbox row id; outcomes are reported under it. */
  id: string;
  findingId: string;
  productArn: string;
  format: "asff" | "ocsf";
  accountId: string;
  workflowStatus: UpdatableWorkflowStatus;
  /** 1..512 characters; longer notes are cut with an ellipsis. */
  note: string;
}

export type UpdateOutcome =
  | { id: string; ok: true }
  | { id: string; ok: false; retryable: boolean; error: string };

export interface SecurityHubCall {
  operation: "BatchUpdateFindings" | "BatchUpdateFindingsV2";
  input: unknown;
}

export interface SendWorkflowUpdatesOptions {
  limiter: RateLimiter;
  /** Note.UpdatedBy for ASFF findings (free text, not proof of identity). */
  noteAuthor: string;
  /** Rounds of sending, the first included (default 5). */
  maxRounds?: number;
  /** Wait before retry round `retry` (1 = before the second round). */
  backoffMs?: (retry: number) => number;
  sleep?: (ms: number) => Promise<void>;
  onCall?: (call: SecurityHubCall) => void;
}

/** BatchUpdateFindings and BatchUpdateFindingsV2 both take at most 100 findings per request. */
export const MAX_FINDINGS_PER_REQUEST = 100;
/** Note.Text, Note.UpdatedBy and the V2 Comment are all 1..512 characters. */
export const NOTE_MAX_LENGTH = 512;

/** OCSF status_id, the same mapping intake uses to read OCSF findings (src/intake/ocsf.ts). */
export const OCSF_STATUS_ID: Record<UpdatableWorkflowStatus, number> = {
  NEW: 1,
  NOTIFIED: 2,
  SUPPRESSED: 3,
  RESOLVED: 4,
};

/**
 * UnprocessedFindings error codes worth another round. V1 documents ConcurrentUpdateError and
 * InternalFailure; V2 uses exception names (ConflictException, InternalServerException). The
 * throttling names are there in case the service ever reports them per finding.
 */
const RETRYABLE_FINDING_CODES = new Set([
  "ConcurrentUpdateError",
  "InternalFailure",
  "InternalException",
  "ThrottlingException",
  "LimitExceededException",
  "TooManyRequestsException",
  "ConflictException",
  "InternalServerException",
]);

/** Whole-request errors worth another round (Security Hub V1 throttles with LimitExceededException, 429). */
const RETRYABLE_ERROR_NAMES = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "LimitExceededException",
  "ConflictException",
  "InternalException",
  "InternalServerException",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  // Credentials that expired or cannot be loaded: the operator fixes them and the work goes on;
  // treating them as final would let blocked suppressions stand.
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
]);

const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

const ELLIPSIS = "…";

/**
 * Fits text into 1..512 characters for Note.Text, Note.UpdatedBy and Comment. Cuts at code points
 * (never half a surrogate pair) and keeps the UTF-16 length within the limit too, since the
 * service's count is not documented. Blank text (the API requires a non-space character) becomes
 * `fallback`.
 */
export function fitNote(text: string, fallback: string): string {
  const value = text.trim().length > 0 ? text : fallback;
  if (value.length <= NOTE_MAX_LENGTH) return value;
  let cut = "";
  for (const codePoint of value) {
    if (cut.length + codePoint.length > NOTE_MAX_LENGTH - ELLIPSIS.length) break;
    cut += codePoint;
  }
  return cut + ELLIPSIS;
}

/** Equal-jitter exponential backoff from 500 ms, capped at 10 s. */
export function defaultBackoffMs(retry: number): number {
  const base = Math.min(10_000, 500 * 2 ** Math.max(0, retry - 1));
  return base / 2 + Math.random() * (base / 2);
}

export interface ErrorClass {
  retryable: boolean;
  message: string;
}

/** Throttling, 5xx and transport failures are retryable; every other error is permanent. */
export function classifyError(error: unknown): ErrorClass {
  if (!(error instanceof Error)) return { retryable: false, message: String(error) };
  const details = error as Error & {
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = details.$metadata?.httpStatusCode;
  const code = typeof details.code === "string" ? details.code : undefined;
  const retryable =
    RETRYABLE_ERROR_NAMES.has(error.name) ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    (code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) ||
    details.$retryable !== undefined;
  const label = status === undefined ? (code ?? error.name) : `${error.name} (HTTP ${status})`;
  return { retryable, message: `${label}: ${error.message}` };
}

/** The findings in one request share format, status and note, so one request updates them all. */
interface Group {
  format: "asff" | "ocsf";
  workflowStatus: UpdatableWorkflowStatus;
  note: string;
}

/** One finding identifier in a request, standing for every input row that asked for the same thing. */
interface Target {
  groupKey: string;
  group: Group;
  identity: string;
  update: WorkflowUpdate;
  indexes: number[];
}

type TargetResult = { ok: true } | { ok: false; retryable: boolean; error: string };

function identityOf(
  update: Pick<WorkflowUpdate, "format" | "findingId" | "productArn" | "accountId">,
): string {
  return update.format === "ocsf"
    ? JSON.stringify(["ocsf", update.accountId, update.findingId, update.productArn])
    : JSON.stringify(["asff", update.findingId, update.productArn]);
}

function invalidReason(update: WorkflowUpdate): string | null {
  if (!update.findingId) return "findingId is empty";
  if (!update.productArn) return "productArn is empty";
  if (update.format !== "asff" && update.format !== "ocsf") return `unknown format ${String(update.format)}`;
  if (update.format === "ocsf" && !update.accountId) return "accountId is empty (OCSF findings need it)";
  if (!(update.workflowStatus in OCSF_STATUS_ID))
    return `unknown workflow status ${String(update.workflowStatus)}`;
  return null;
}

/**
 * Puts the updates into waves so that one finding appears at most once per wave and its updates
 * keep their input order across waves (a later status must not be overwritten by an earlier one).
 * Consecutive identical requests for the same finding share one target. Nearly always one wave.
 */
function planWaves(updates: WorkflowUpdate[], noteAuthor: string, outcomes: (UpdateOutcome | undefined)[]) {
  const waves: Target[][] = [];
  const lastByIdentity = new Map<string, { wave: number; target: Target }>();
  updates.forEach((update, index) => {
    const invalid = invalidReason(update);
    if (invalid) {
      outcomes[index] = { id: update.id, ok: false, retryable: false, error: `invalid update: ${invalid}` };
      return;
    }
    const group: Group = {
      format: update.format,
      workflowStatus: update.workflowStatus,
      note: fitNote(update.note, `Workflow status set to ${update.workflowStatus} by ${noteAuthor}.`),
    };
    const groupKey = JSON.stringify([group.format, group.workflowStatus, group.note]);
    const identity = identityOf(update);
    const last = lastByIdentity.get(identity);
    if (last && last.target.groupKey === groupKey) {
      last.target.indexes.push(index);
      return;
    }
    const wave = last ? last.wave + 1 : 0;
    const target: Target = { groupKey, group, identity, update, indexes: [index] };
    lastByIdentity.set(identity, { wave, target });
    while (waves.length <= wave) waves.push([]);
    waves[wave]?.push(target);
  });
  return waves;
}

function chunksOf(targets: Target[]): Target[][] {
  const byGroup = new Map<string, Target[]>();
  for (const target of targets) {
    const list = byGroup.get(target.groupKey);
    if (list) list.push(target);
    else byGroup.set(target.groupKey, [target]);
  }
  const chunks: Target[][] = [];
  for (const list of byGroup.values()) {
    for (let start = 0; start < list.length; start += MAX_FINDINGS_PER_REQUEST) {
      chunks.push(list.slice(start, start + MAX_FINDINGS_PER_REQUEST));
    }
  }
  return chunks;
}

function unprocessedResult(code: string | undefined, message: string | undefined): TargetResult {
  const errorCode = code ?? "Unknown";
  return {
    ok: false,
    retryable: RETRYABLE_FINDING_CODES.has(errorCode),
    error: `${errorCode}: ${message ?? "not processed"}`,
  };
}

async function sendChunk(
  client: SecurityHubClient,
  chunk: Target[],
  noteAuthor: string,
  onCall: SendWorkflowUpdatesOptions["onCall"],
): Promise<Map<string, TargetResult>> {
  const first = chunk[0];
  if (!first) return new Map();
  const { format, workflowStatus, note } = first.group;
  const results = new Map<string, TargetResult>();
  if (format === "asff") {
    const input: BatchUpdateFindingsCommandInput = {
      FindingIdentifiers: chunk.map((t) => ({ Id: t.update.findingId, ProductArn: t.update.productArn })),
      Workflow: { Status: workflowStatus },
      Note: { Text: note, UpdatedBy: noteAuthor },
    };
    onCall?.({ operation: "BatchUpdateFindings", input });
    const output = await client.send(new BatchUpdateFindingsCommand(input));
    for (const failed of output.UnprocessedFindings ?? []) {
      const id = failed.FindingIdentifier;
      if (!id?.Id || !id.ProductArn) continue;
      const identity = identityOf({ format, findingId: id.Id, productArn: id.ProductArn, accountId: "" });
      results.set(identity, unprocessedResult(failed.ErrorCode, failed.ErrorMessage));
    }
  } else {
    const input: BatchUpdateFindingsV2CommandInput = {
      FindingIdentifiers: chunk.map((t) => ({
        CloudAccountUid: t.update.accountId,
        FindingInfoUid: t.update.findingId,
        MetadataProductUid: t.update.productArn,
      })),
      StatusId: OCSF_STATUS_ID[workflowStatus],
      Comment: note,
    };
    onCall?.({ operation: "BatchUpdateFindingsV2", input });
    const output = await client.send(new BatchUpdateFindingsV2Command(input));
    for (const failed of output.UnprocessedFindings ?? []) {
      const id = failed.FindingIdentifier;
      if (!id?.CloudAccountUid || !id.FindingInfoUid || !id.MetadataProductUid) continue;
      const identity = identityOf({
        format,
        accountId: id.CloudAccountUid,
        findingId: id.FindingInfoUid,
        productArn: id.MetadataProductUid,
      });
      results.set(identity, unprocessedResult(failed.ErrorCode, failed.ErrorMessage));
    }
  }
  // Security Hub lists every finding as processed or unprocessed; one not listed as unprocessed was updated.
  for (const target of chunk) if (!results.has(target.identity)) results.set(target.identity, { ok: true });
  return results;
}

/**
 * Sets workflow status and note on findings, batching those that share (format, status, note) into
 * requests of at most 100 findings, each request through the limiter. Throttling, 5xx and retryable
 * per-finding errors are retried, only for what failed, for up to maxRounds; what still fails then
 * is reported retryable, for the outbox to try later. Returns one outcome per input, in input order.
 */
export async function sendWorkflowUpdates(
  client: SecurityHubClient,
  updates: WorkflowUpdate[],
  options: SendWorkflowUpdatesOptions,
): Promise<UpdateOutcome[]> {
  const maxRounds = Math.max(1, options.maxRounds ?? 5);
  const backoffMs = options.backoffMs ?? defaultBackoffMs;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const noteAuthor = fitNote(options.noteAuthor, "securityhub-governor");
  const outcomes: (UpdateOutcome | undefined)[] = new Array(updates.length);

  const settle = (target: Target, result: TargetResult) => {
    for (const index of target.indexes) {
      const id = updates[index]?.id ?? "";
      outcomes[index] = result.ok
        ? { id, ok: true }
        : { id, ok: false, retryable: result.retryable, error: result.error };
    }
  };

  for (const wave of planWaves(updates, noteAuthor, outcomes)) {
    let pending = wave;
    const lastError = new Map<Target, string>();
    for (let round = 1; round <= maxRounds && pending.length > 0; round++) {
      if (round > 1) await sleep(backoffMs(round - 1));
      const retry: Target[] = [];
      for (const chunk of chunksOf(pending)) {
        await options.limiter.take();
        let results: Map<string, TargetResult>;
        try {
          results = await sendChunk(client, chunk, noteAuthor, options.onCall);
        } catch (error) {
          const { retryable, message } = classifyError(error);
          results = new Map(chunk.map((t) => [t.identity, { ok: false, retryable, error: message }]));
        }
        for (const target of chunk) {
          const result = results.get(target.identity) ?? { ok: true };
          if (!result.ok && result.retryable) {
            lastError.set(target, result.error);
            retry.push(target);
          } else {
            settle(target, result);
          }
        }
      }
      pending = retry;
    }
    for (const target of pending) {
      const error = `${lastError.get(target) ?? "not sent"} (still failing after ${maxRounds} rounds)`;
      settle(target, { ok: false, retryable: true, error });
    }
  }

  return outcomes.map(
    (outcome, index) =>
      outcome ?? { id: updates[index]?.id ?? "", ok: false, retryable: true, error: "not attempted" },
  );
}
