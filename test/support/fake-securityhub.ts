import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A Security Hub of our own over HTTP, speaking the REST-JSON wire protocol as the AWS SDK expects it
 * (methods and paths from the SDK's operation schemas in @aws-sdk/client-securityhub 3.1108.0):
 *
 *   PATCH /findings/batchupdate        BatchUpdateFindings
 *   PATCH /findingsv2/batchupdatev2    BatchUpdateFindingsV2
 *   POST  /findingHistory/get          GetFindingHistory
 *   POST  /findings                    GetFindings
 *
 * Errors carry the `x-amzn-ErrorType` header, which the SDK reads first to pick the exception class.
 */

export type FakeWorkflowStatus = "NEW" | "NOTIFIED" | "SUPPRESSED" | "RESOLVED";

export type FakeOperation =
  | "BatchUpdateFindings"
  | "BatchUpdateFindingsV2"
  | "GetFindingHistory"
  | "GetFindings";

export interface FakeFindingSeed {
  id: string;
  productArn: string;
  /** AwsAccountId / cloud.account.uid; default 111111111111. */
  accountId?: string;
  /** OCSF findings are only reachable through BatchUpdateFindingsV2 and not listed by GetFindings. */
  format?: "asff" | "ocsf";
  workflowStatus?: FakeWorkflowStatus;
  createdAt?: string;
  /** Further ASFF fields GetFindings returns (Title, Severity, Compliance, Resources, ...). */
  asff?: Record<string, unknown>;
}

export interface FakeHistoryUpdate {
  UpdatedField: string;
  OldValue?: string;
  NewValue?: string;
}

export interface FakeHistoryRecord {
  UpdateTime: string;
  FindingCreated: boolean;
  UpdateSource: { Type: "BATCH_UPDATE_FINDINGS" | "BATCH_IMPORT_FINDINGS"; Identity: string };
  Updates: FakeHistoryUpdate[];
}

export interface StoredFinding {
  id: string;
  productArn: string;
  accountId: string;
  format: "asff" | "ocsf";
  workflowStatus: FakeWorkflowStatus;
  note: { Text: string; UpdatedBy: string; UpdatedAt: string } | null;
  /** The V2 Comment. */
  comment: string | null;
  statusId: number;
  createdAt: string;
  processedAt: string;
  asff: Record<string, unknown>;
  /** Oldest first. */
  history: FakeHistoryRecord[];
}

export interface RecordedRequest {
  operation: FakeOperation | "Unknown";
  method: string;
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are read freely in assertions
  body: any;
  /** The SDK's `amz-sdk-request` header, e.g. "attempt=2; max=3". */
  attempt: string | undefined;
}

export type FailurePlan =
  /** The next `times` matching requests answer 429 (ThrottlingException unless errorType says otherwise). */
  | { kind: "throttle"; times: number; operation?: FakeOperation; errorType?: string }
  /** The next `times` matching requests answer 500 InternalException (or the given status and type). */
  | { kind: "server-error"; times: number; operation?: FakeOperation; status?: number; errorType?: string }
  /** The next `times` matching requests answer this error. */
  | {
      kind: "error";
      times: number;
      operation?: FakeOperation;
      status: number;
      errorType: string;
      message?: string;
    }
  /** The next `times` batch updates that include these findings report them in UnprocessedFindings. */
  | { kind: "unprocessed"; findingIds: string[]; errorCode: string; times: number; errorMessage?: string };

export interface FakeSecurityHubOptions {
  /** UpdateSource.Identity recorded for the caller's batch updates. */
  callerIdentity?: string;
  /** Records per GetFindingHistory page at most, whatever MaxResults asks (the real one may also return fewer). */
  historyPageSize?: number;
  /** Findings per GetFindings page at most. */
  findingsPageSize?: number;
  now?: () => Date;
}

export interface FakeSecurityHub {
  url: string;
  requests: RecordedRequest[];
  calls(operation: FakeOperation): RecordedRequest[];
  fail(plan: FailurePlan): void;
  seed(findings: FakeFindingSeed[]): void;
  finding(findingId: string, productArn?: string): StoredFinding | undefined;
  setCallerIdentity(identity: string): void;
  /** A person changing the status in the console: the console calls BatchUpdateFindings as that person. */
  recordConsoleUpdate(findingId: string, identity: string, newStatus: FakeWorkflowStatus): void;
  close(): Promise<void>;
}

const DEFAULT_ACCOUNT = "111111111111";
const WORKFLOW_STATUSES = new Set<string>(["NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED"]);
const OCSF_STATUS_IDS = new Set([0, 1, 2, 3, 4, 5, 99]);
const OCSF_STATUS_TO_WORKFLOW: Record<number, FakeWorkflowStatus> = {
  1: "NEW",
  2: "NOTIFIED",
  3: "SUPPRESSED",
  4: "RESOLVED",
};
const WORKFLOW_TO_OCSF_STATUS: Record<FakeWorkflowStatus, number> = {
  NEW: 1,
  NOTIFIED: 2,
  SUPPRESSED: 3,
  RESOLVED: 4,
};

const ROUTES: Record<string, FakeOperation> = {
  "PATCH /findings/batchupdate": "BatchUpdateFindings",
  "PATCH /findingsv2/batchupdatev2": "BatchUpdateFindingsV2",
  "POST /findingHistory/get": "GetFindingHistory",
  "POST /findings": "GetFindings",
};

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new ApiError(400, "InvalidInputException", message);
const invalidV2 = (message: string) => new ApiError(400, "ValidationException", message);

function keyOf(findingId: string, productArn: string): string {
  return JSON.stringify([findingId, productArn]);
}

function isText(value: unknown, max = 512): value is string {
  return typeof value === "string" && value.length >= 1 && value.length <= max && /\S/.test(value);
}

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodeToken(token: unknown): Record<string, unknown> {
  if (typeof token !== "string") throw invalid("NextToken must be a string");
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    throw invalid("NextToken is not valid");
  }
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "SerializationException", "body is not JSON");
  }
}

function send(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
    ...(errorType ? { "x-amzn-errortype": errorType } : {}),
  });
  response.end(text);
}

/** ASFF string filter fields the fake understands, and where each lives on a finding. */
const STRING_FIELDS: Record<string, (f: StoredFinding) => unknown> = {
  Id: (f) => f.id,
  ProductArn: (f) => f.productArn,
  AwsAccountId: (f) => f.accountId,
  WorkflowStatus: (f) => f.workflowStatus,
  RecordState: (f) => f.asff.RecordState ?? "ACTIVE",
  GeneratorId: (f) => f.asff.GeneratorId,
  Title: (f) => f.asff.Title,
  SeverityLabel: (f) => (f.asff.Severity as { Label?: unknown } | undefined)?.Label,
  ComplianceStatus: (f) => (f.asff.Compliance as { Status?: unknown } | undefined)?.Status,
  ComplianceSecurityControlId: (f) =>
    (f.asff.Compliance as { SecurityControlId?: unknown } | undefined)?.SecurityControlId,
};

const DATE_FIELDS: Record<string, (f: StoredFinding) => unknown> = {
  CreatedAt: (f) => f.createdAt,
  UpdatedAt: (f) => f.asff.UpdatedAt ?? f.createdAt,
  ProcessedAt: (f) => f.processedAt,
};

interface StringFilter {
  Value?: string;
  Comparison?: string;
}

function matchesStringFilters(value: unknown, filters: StringFilter[]): boolean {
  const text = typeof value === "string" ? value : "";
  const positive = filters.filter((f) => ["EQUALS", "PREFIX", "CONTAINS"].includes(f.Comparison ?? ""));
  const negative = filters.filter((f) => !positive.includes(f));
  const test = (f: StringFilter): boolean => {
    const v = f.Value ?? "";
    switch (f.Comparison) {
      case "EQUALS":
        return text === v;
      case "PREFIX":
        return text.startsWith(v);
      case "CONTAINS":
        return text.includes(v);
      case "NOT_EQUALS":
        return text !== v;
      case "PREFIX_NOT_EQUALS":
        return !text.startsWith(v);
      case "NOT_CONTAINS":
        return !text.includes(v);
      default:
        throw invalid(`unsupported Comparison ${String(f.Comparison)}`);
    }
  };
  // As documented: positive filters on one field are ORed, negative ones ANDed.
  return (positive.length === 0 || positive.some(test)) && negative.every(test);
}

interface DateFilter {
  Start?: string;
  End?: string;
  DateRange?: { Value?: number; Unit?: string };
}

function matchesDateFilters(value: unknown, filters: DateFilter[], now: Date): boolean {
  const time = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) return false;
  return filters.some((f) => {
    if (f.DateRange) {
      if (f.DateRange.Unit !== "DAYS") throw invalid("DateRange.Unit must be DAYS");
      return time >= now.getTime() - (f.DateRange.Value ?? 0) * 86_400_000 && time <= now.getTime();
    }
    return (!f.Start || time >= Date.parse(f.Start)) && (!f.End || time <= Date.parse(f.End));
  });
}

export async function startFakeSecurityHub(options: FakeSecurityHubOptions = {}): Promise<FakeSecurityHub> {
  const findings = new Map<string, StoredFinding>();
  const requests: RecordedRequest[] = [];
  const requestFailures: Extract<FailurePlan, { kind: "throttle" | "server-error" | "error" }>[] = [];
  const unprocessed = new Map<string, { errorCode: string; errorMessage: string; remaining: number }>();
  let callerIdentity = options.callerIdentity ?? "arn:aws:sts::111111111111:assumed-role/shgov/bot";
  const clock = options.now ?? (() => new Date());
  let lastTime = 0;

  // History records must order strictly, even for updates within one millisecond.
  const stamp = (): string => {
    lastTime = Math.max(clock().getTime(), lastTime + 1);
    return new Date(lastTime).toISOString();
  };

  const lookup = (findingId: string, productArn?: string): StoredFinding | undefined => {
    if (productArn !== undefined) return findings.get(keyOf(findingId, productArn));
    for (const f of findings.values()) if (f.id === findingId) return f;
    return undefined;
  };

  const takeUnprocessed = (findingId: string) => {
    const plan = unprocessed.get(findingId);
    if (!plan || plan.remaining <= 0) return undefined;
    plan.remaining -= 1;
    return plan;
  };

  const applyWorkflow = (
    f: StoredFinding,
    identity: string,
    changes: { status?: FakeWorkflowStatus; note?: { Text: string; UpdatedBy: string } },
  ) => {
    const at = stamp();
    const updates: FakeHistoryUpdate[] = [];
    if (changes.status && changes.status !== f.workflowStatus) {
      updates.push({ UpdatedField: "Workflow.Status", OldValue: f.workflowStatus, NewValue: changes.status });
      f.workflowStatus = changes.status;
      f.statusId = WORKFLOW_TO_OCSF_STATUS[changes.status];
    }
    if (changes.note) {
      if (changes.note.Text !== f.note?.Text) {
        updates.push({ UpdatedField: "Note.Text", OldValue: f.note?.Text, NewValue: changes.note.Text });
      }
      if (changes.note.UpdatedBy !== f.note?.UpdatedBy) {
        updates.push({
          UpdatedField: "Note.UpdatedBy",
          OldValue: f.note?.UpdatedBy,
          NewValue: changes.note.UpdatedBy,
        });
      }
      f.note = { ...changes.note, UpdatedAt: at };
    }
    // BatchUpdateFindings moves ProcessedAt, never UpdatedAt (the loop guard relies on it).
    f.processedAt = at;
    if (updates.length > 0) {
      f.history.push({
        UpdateTime: at,
        FindingCreated: false,
        UpdateSource: { Type: "BATCH_UPDATE_FINDINGS", Identity: identity },
        Updates: updates,
      });
    }
  };

  const asffView = (f: StoredFinding): Record<string, unknown> => ({
    SchemaVersion: "2018-10-08",
    Id: f.id,
    ProductArn: f.productArn,
    GeneratorId: "fake-generator",
    AwsAccountId: f.accountId,
    Types: ["Software and Configuration Checks"],
    CreatedAt: f.createdAt,
    UpdatedAt: f.createdAt,
    Severity: { Label: "MEDIUM" },
    Title: "fake finding",
    Description: "fake finding",
    Resources: [{ Type: "Other", Id: `resource-of-${f.id}` }],
    RecordState: "ACTIVE",
    ...f.asff,
    ProcessedAt: f.processedAt,
    Workflow: { Status: f.workflowStatus },
    WorkflowState: f.workflowStatus,
    ...(f.note ? { Note: f.note } : {}),
  });

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are untrusted JSON, checked field by field
  const batchUpdateFindings = (body: any) => {
    const identifiers: unknown = body.FindingIdentifiers;
    if (!Array.isArray(identifiers) || identifiers.length < 1 || identifiers.length > 100) {
      throw invalid("FindingIdentifiers must hold 1 to 100 identifiers");
    }
    const status = body.Workflow?.Status;
    if (body.Workflow !== undefined && !WORKFLOW_STATUSES.has(status))
      throw invalid("Workflow.Status is invalid");
    const note = body.Note;
    if (note !== undefined && (!isText(note.Text) || !isText(note.UpdatedBy))) {
      throw invalid("Note.Text and Note.UpdatedBy must be 1 to 512 characters");
    }
    const processed: unknown[] = [];
    const failed: unknown[] = [];
    const seen = new Set<string>();
    for (const identifier of identifiers as { Id?: unknown; ProductArn?: unknown }[]) {
      if (typeof identifier?.Id !== "string" || typeof identifier.ProductArn !== "string") {
        throw invalid("FindingIdentifier needs Id and ProductArn");
      }
      const id = { Id: identifier.Id, ProductArn: identifier.ProductArn };
      const key = keyOf(id.Id, id.ProductArn);
      const f = findings.get(key);
      const injected = takeUnprocessed(id.Id);
      if (seen.has(key)) {
        failed.push({
          FindingIdentifier: id,
          ErrorCode: "DuplicatedFindingIdentifier",
          ErrorMessage: "Finding Identifier is duplicated",
        });
      } else if (injected) {
        failed.push({
          FindingIdentifier: id,
          ErrorCode: injected.errorCode,
          ErrorMessage: injected.errorMessage,
        });
      } else if (f?.format !== "asff") {
        failed.push({
          FindingIdentifier: id,
          ErrorCode: "FindingNotFound",
          ErrorMessage: "Finding Not Found",
        });
      } else {
        applyWorkflow(f, callerIdentity, { status, note });
        processed.push(id);
      }
      seen.add(key);
    }
    return { ProcessedFindings: processed, UnprocessedFindings: failed };
  };

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are untrusted JSON, checked field by field
  const batchUpdateFindingsV2 = (body: any) => {
    const identifiers: unknown = body.FindingIdentifiers;
    if (body.MetadataUids !== undefined) {
      if (identifiers !== undefined) throw invalidV2("MetadataUids cannot be used with FindingIdentifiers");
      throw invalidV2("the fake supports FindingIdentifiers only");
    }
    if (!Array.isArray(identifiers) || identifiers.length < 1 || identifiers.length > 100) {
      throw invalidV2("FindingIdentifiers must hold 1 to 100 identifiers");
    }
    if (body.Comment !== undefined && !isText(body.Comment))
      throw invalidV2("Comment must be 1 to 512 characters");
    if (body.StatusId !== undefined && !OCSF_STATUS_IDS.has(body.StatusId))
      throw invalidV2("StatusId is invalid");
    if (body.Comment === undefined && body.StatusId === undefined && body.SeverityId === undefined) {
      throw invalidV2("nothing to update");
    }
    const processed: unknown[] = [];
    const failed: unknown[] = [];
    for (const identifier of identifiers as Record<string, unknown>[]) {
      const { CloudAccountUid, FindingInfoUid, MetadataProductUid } = identifier ?? {};
      if (
        typeof CloudAccountUid !== "string" ||
        typeof FindingInfoUid !== "string" ||
        typeof MetadataProductUid !== "string"
      ) {
        throw invalidV2("FindingIdentifier needs CloudAccountUid, FindingInfoUid and MetadataProductUid");
      }
      const id = { CloudAccountUid, FindingInfoUid, MetadataProductUid };
      const f = findings.get(keyOf(FindingInfoUid, MetadataProductUid));
      const injected = takeUnprocessed(FindingInfoUid);
      if (injected) {
        failed.push({
          FindingIdentifier: id,
          ErrorCode: injected.errorCode,
          ErrorMessage: injected.errorMessage,
        });
      } else if (f?.format !== "ocsf" || f.accountId !== CloudAccountUid) {
        failed.push({
          FindingIdentifier: id,
          ErrorCode: "ResourceNotFoundException",
          ErrorMessage: "Finding not found",
        });
      } else {
        const status = OCSF_STATUS_TO_WORKFLOW[body.StatusId as number];
        if (body.StatusId !== undefined) f.statusId = body.StatusId;
        if (status) f.workflowStatus = status;
        if (body.Comment !== undefined) f.comment = body.Comment;
        f.processedAt = stamp();
        processed.push({ FindingIdentifier: id });
      }
    }
    return { ProcessedFindings: processed, UnprocessedFindings: failed };
  };

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are untrusted JSON, checked field by field
  const getFindingHistory = (body: any) => {
    const id = body.FindingIdentifier;
    if (typeof id?.Id !== "string" || typeof id.ProductArn !== "string") {
      throw invalid("FindingIdentifier needs Id and ProductArn");
    }
    const f = findings.get(keyOf(id.Id, id.ProductArn));
    const start = body.StartTime ? Date.parse(body.StartTime) : Number.NEGATIVE_INFINITY;
    const end = body.EndTime ? Date.parse(body.EndTime) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(start) || Number.isNaN(end)) throw invalid("StartTime and EndTime must be timestamps");
    // Newest first, as the service's documented example lists them.
    const records = (f?.history ?? [])
      .filter((r) => Date.parse(r.UpdateTime) >= start && Date.parse(r.UpdateTime) <= end)
      .reverse();
    const offset = body.NextToken ? Number(decodeToken(body.NextToken).offset) : 0;
    const size = Math.min(Number(body.MaxResults) || 100, options.historyPageSize ?? 100);
    const page = records.slice(offset, offset + size);
    const next = offset + size < records.length ? encodeToken({ offset: offset + size }) : undefined;
    return {
      Records: page.map((r) => ({ FindingIdentifier: { Id: id.Id, ProductArn: id.ProductArn }, ...r })),
      ...(next ? { NextToken: next } : {}),
    };
  };

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are untrusted JSON, checked field by field
  const getFindings = (body: any) => {
    const filters = (body.Filters ?? {}) as Record<string, unknown[]>;
    const now = clock();
    let list = [...findings.values()].filter((f) => f.format === "asff");
    for (const [name, values] of Object.entries(filters)) {
      if (!Array.isArray(values)) throw invalid(`Filters.${name} must be a list`);
      const stringField = STRING_FIELDS[name];
      const dateField = DATE_FIELDS[name];
      if (stringField)
        list = list.filter((f) => matchesStringFilters(stringField(f), values as StringFilter[]));
      else if (dateField)
        list = list.filter((f) => matchesDateFilters(dateField(f), values as DateFilter[], now));
      else throw invalid(`the fake does not support the filter ${name}`);
    }
    const maxResults = Number(body.MaxResults) || 100;
    if (maxResults < 1 || maxResults > 100) throw invalid("MaxResults must be 1 to 100");
    const offset = body.NextToken ? Number(decodeToken(body.NextToken).offset) : 0;
    const size = Math.min(maxResults, options.findingsPageSize ?? 100);
    const page = list.slice(offset, offset + size);
    const next = offset + size < list.length ? encodeToken({ offset: offset + size }) : undefined;
    return { Findings: page.map(asffView), ...(next ? { NextToken: next } : {}) };
  };

  const handlers: Record<FakeOperation, (body: unknown) => unknown> = {
    BatchUpdateFindings: batchUpdateFindings,
    BatchUpdateFindingsV2: batchUpdateFindingsV2,
    GetFindingHistory: getFindingHistory,
    GetFindings: getFindings,
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? "GET";
    const path = new URL(request.url ?? "/", "http://fake").pathname;
    const operation = ROUTES[`${method} ${path}`];
    let body: unknown = null;
    try {
      body = await readBody(request);
    } catch (error) {
      requests.push({ operation: operation ?? "Unknown", method, path, body, attempt: undefined });
      const e = error as ApiError;
      send(response, e.status, { Message: e.message }, e.type);
      return;
    }
    const attempt = request.headers["amz-sdk-request"];
    requests.push({
      operation: operation ?? "Unknown",
      method,
      path,
      body,
      attempt: typeof attempt === "string" ? attempt : undefined,
    });
    if (!operation) {
      send(response, 404, { Message: `no route for ${method} ${path}` }, "UnknownOperationException");
      return;
    }
    const plan = requestFailures.find((p) => p.times > 0 && (!p.operation || p.operation === operation));
    if (plan) {
      plan.times -= 1;
      if (plan.kind === "throttle") {
        send(response, 429, { Message: "Rate exceeded" }, plan.errorType ?? "ThrottlingException");
      } else if (plan.kind === "server-error") {
        send(
          response,
          plan.status ?? 500,
          { Message: "Internal failure" },
          plan.errorType ?? "InternalException",
        );
      } else {
        send(response, plan.status, { Message: plan.message ?? plan.errorType }, plan.errorType);
      }
      return;
    }
    try {
      send(response, 200, handlers[operation](body));
    } catch (error) {
      if (error instanceof ApiError) send(response, error.status, { Message: error.message }, error.type);
      else send(response, 500, { Message: String(error) }, "InternalException");
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { Message: String(error) }, "InternalException");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (operation) => requests.filter((r) => r.operation === operation),
    fail(plan) {
      if (plan.kind === "unprocessed") {
        for (const id of plan.findingIds) {
          unprocessed.set(id, {
            errorCode: plan.errorCode,
            errorMessage: plan.errorMessage ?? plan.errorCode,
            remaining: plan.times,
          });
        }
      } else {
        requestFailures.push({ ...plan });
      }
    },
    seed(seeds) {
      for (const seed of seeds) {
        const createdAt = seed.createdAt ?? stamp();
        const accountId = seed.accountId ?? DEFAULT_ACCOUNT;
        const workflowStatus = seed.workflowStatus ?? "NEW";
        findings.set(keyOf(seed.id, seed.productArn), {
          id: seed.id,
          productArn: seed.productArn,
          accountId,
          format: seed.format ?? "asff",
          workflowStatus,
          note: null,
          comment: null,
          statusId: WORKFLOW_TO_OCSF_STATUS[workflowStatus],
          createdAt,
          processedAt: createdAt,
          asff: seed.asff ?? {},
          history: [
            {
              UpdateTime: createdAt,
              FindingCreated: true,
              UpdateSource: { Type: "BATCH_IMPORT_FINDINGS", Identity: seed.productArn },
              Updates: [],
            },
          ],
        });
      }
    },
    finding: lookup,
    setCallerIdentity(identity) {
      callerIdentity = identity;
    },
    recordConsoleUpdate(findingId, identity, newStatus) {
      const f = lookup(findingId);
      if (!f) throw new Error(`fake Security Hub: no finding ${findingId}`);
      applyWorkflow(f, identity, { status: newStatus });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this, close waits for them to idle out.
        server.closeAllConnections();
      }),
  };
}
