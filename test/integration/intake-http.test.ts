import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCase } from "../../src/store/cases.js";
import { listDeadLetters } from "../../src/store/dead-letters.js";
import {
  asffEvent,
  eksAsffEvent,
  eksOcsfEvent,
  FIXTURES,
  readJson,
  realAsffEvent,
  realCustomActionEvent,
  wrapAsff,
} from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { startTestService, TEST_API_KEY, type TestService } from "../support/service.js";

let t: TestService;
const post = (body: unknown, options: Parameters<typeof postEvent>[2] = {}) =>
  postEvent(t.url, body, { apiKey: TEST_API_KEY, ...options });

async function lastDeadLetter() {
  const [letter] = await listDeadLetters(t.service.db, 1);
  return letter;
}

beforeAll(async () => {
  t = await startTestService({ store: "postgres" });
});
afterAll(async () => t.stop());

describe("POST /events: accepted envelopes", () => {
  const kinds: [string, () => unknown][] = [
    ["ASFF Findings - Imported (real EC2.7 event)", realAsffEvent],
    ["ASFF Custom Action (real event)", realCustomActionEvent],
    [
      "ASFF GuardDuty finding (real, wrapped)",
      () => wrapAsff(readJson(join(FIXTURES, "03-guardduty-asff-finding.finding-only.json"))),
    ],
    [
      "ASFF Inspector finding (real, wrapped)",
      () => wrapAsff(readJson(join(FIXTURES, "04-inspector-asff-finding.finding-only.json"))),
    ],
    ["ASFF EKS.2 of an EKS 1.31 cluster", eksAsffEvent],
    ["OCSF Findings Imported V2 (EKS.2)", eksOcsfEvent],
  ];
  it.each(kinds)("%s: 202, then a case exists", async (_name, make) => {
    const event = make() as { detail: { findings: Record<string, unknown>[] } };
    const response = await post(event);
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      accepted: 1,
      jobIds: [expect.stringMatching(/^obs-[0-9a-f]{64}-[0-9a-f]{12}$/)],
    });
    const raw = event.detail.findings[0] as { Id?: string; finding_info?: { uid: string } };
    const id = raw.Id ?? raw.finding_info?.uid ?? "";
    const detail = await eventually(
      async () => (await getCase(t.service.db, id)) ?? undefined,
      20_000,
      `case ${id}`,
    );
    expect(detail.events.map((e) => e.type)).toEqual(["case.opened", "finding.observed"]);
  });
});

describe("POST /events: every bad input gets its status and a clear error", () => {
  it("no key: 401 and nothing kept", async () => {
    const before = await lastDeadLetter();
    const response = await postEvent(t.url, realAsffEvent(), { apiKey: null });
    expect(response).toEqual({
      status: 401,
      body: { error: "unauthorized", message: "missing x-api-key header" },
    });
    expect((await lastDeadLetter())?.id).toBe(before?.id);
  });

  it("wrong key: 401", async () => {
    const response = await postEvent(t.url, realAsffEvent(), { apiKey: "wrong" });
    expect(response).toEqual({ status: 401, body: { error: "unauthorized", message: "invalid x-api-key" } });
  });

  it("bad JSON: 400 invalid_json, body kept as a dead letter", async () => {
    const response = await post(null, { raw: '{"detail-type": "Security Hub Findings - Imported",' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "invalid_json", field: "(body)" });
    expect(String(response.body.message)).toMatch(/^body is not valid JSON: /);
    const letter = await lastDeadLetter();
    expect(letter).toMatchObject({
      id: response.body.deadLetterId,
      reason: "invalid_json",
      body: '{"detail-type": "Security Hub Findings - Imported",',
    });
  });

  it("wrong content type: 415, body kept", async () => {
    const body = JSON.stringify(realAsffEvent());
    const response = await post(null, { raw: body, contentType: "text/plain" });
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({
      error: "unsupported_media_type",
      message: 'Content-Type must be application/json, got "text/plain"',
      field: "content-type",
    });
    expect(await lastDeadLetter()).toMatchObject({
      id: response.body.deadLetterId,
      contentType: "text/plain",
      body,
    });
  });

  it("unknown detail-type: 400 naming the accepted ones, body kept", async () => {
    const response = await post({ ...realAsffEvent(), "detail-type": "AWS Health Event" });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "invalid_event", field: "detail-type" });
    expect(response.body.message).toBe(
      'detail-type: unsupported detail-type "AWS Health Event"; accepted: "Security Hub Findings - Imported", "Findings Imported V2", "Security Hub Findings - Custom Action", "AWS API Call via CloudTrail"',
    );
    expect((await lastDeadLetter())?.id).toBe(response.body.deadLetterId);
  });

  it("a missing field: 400 naming it, body kept", async () => {
    const event = asffEvent() as { detail: { findings: Record<string, unknown>[] } };
    delete event.detail.findings[0]?.AwsAccountId;
    const response = await post(event);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: "invalid_event",
      field: "detail.findings[0].AwsAccountId",
      message: "detail.findings[0].AwsAccountId: Invalid input: expected string, received undefined",
    });
    const letter = await lastDeadLetter();
    expect(letter?.errors).toEqual([
      {
        field: "detail.findings[0].AwsAccountId",
        message: "Invalid input: expected string, received undefined",
      },
    ]);
    expect(JSON.parse(letter?.body ?? "{}")).toEqual(event);
  });

  it("a mistyped field: 400 naming it", async () => {
    const event = asffEvent() as { detail: { findings: Record<string, unknown>[] } };
    (event.detail.findings[0] as Record<string, unknown>).Resources = "arn:aws:s3:::bucket";
    const response = await post(event);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      field: "detail.findings[0].Resources",
      message: "detail.findings[0].Resources: Invalid input: expected array, received string",
    });
  });

  it("an oversized body: 413, its head kept and marked truncated", async () => {
    const event = asffEvent() as { detail: { findings: Record<string, unknown>[] } };
    (event.detail.findings[0] as Record<string, unknown>).Description = "x".repeat(1_100_000);
    const response = await post(event);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: "payload_too_large" });
    expect(String(response.body.message)).toMatch(/^body of \d+ bytes is over the 1048576-byte limit$/);
    const letter = await lastDeadLetter();
    expect(letter).toMatchObject({
      id: response.body.deadLetterId,
      reason: "payload_too_large",
      truncated: true,
    });
    expect(letter?.body.length).toBe(64 * 1024);
  });

  it("a wrong method or path: 405 and 404", async () => {
    expect((await fetch(`${t.url}/events`)).status).toBe(405);
    expect((await fetch(`${t.url}/nope`)).status).toBe(404);
  });
});

describe("POST /events: pathological JSON is refused by its limits, before anything recurses", () => {
  /** The ASFF event with its first resource's Details nested `levels` objects deep, as raw text. */
  function deepDetails(levels: number): { raw: string; detailsAt: number } {
    const event = asffEvent({ id: `arn:test:deep-${levels}` }) as unknown as {
      detail: { findings: { Resources: { Details?: unknown }[] }[] };
    };
    const resource = event.detail.findings[0]?.Resources[0];
    if (!resource) throw new Error("the event has no resource");
    resource.Details = "DEEP";
    const [before, after] = JSON.stringify(event).split('"DEEP"') as [string, string];
    return {
      raw: `${before}${'{"a":'.repeat(levels)}1${"}".repeat(levels)}${after}`,
      detailsAt: before.length,
    };
  }

  it("a body nested 100,000 levels deep: 400 naming the limit and the byte, kept as a dead letter", async () => {
    const raw = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const response = await post(null, { raw });
    expect(response).toEqual({
      status: 400,
      body: {
        error: "invalid_event",
        message: "nesting deeper than 64 levels at byte 64",
        field: "(body)",
        errors: [{ field: "(body)", message: "nesting deeper than 64 levels at byte 64" }],
        deadLetterId: expect.any(Number),
      },
    });
    expect(await lastDeadLetter()).toMatchObject({
      id: response.body.deadLetterId,
      reason: "invalid_event",
      body: raw,
      truncated: false,
    });
  });

  it("a finding whose Resources[].Details nest 8,000 or 5,000 levels: 400 at the 65th level, not a crash or a 503", async () => {
    for (const levels of [8_000, 5_000]) {
      const { raw, detailsAt } = deepDetails(levels);
      const response = await post(null, { raw });
      // The envelope, detail, findings, the finding, Resources and the resource are six levels:
      // the 59th object of Details is the 65th level, each `{"a":` five bytes after the last.
      const byte = detailsAt + 5 * 58;
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error: "invalid_event",
        message: `nesting deeper than 64 levels at byte ${byte}`,
      });
      expect(raw.slice(byte, byte + 5)).toBe('{"a":');
      expect((await lastDeadLetter())?.id).toBe(response.body.deadLetterId);
    }
  });

  it("a finding 64 levels deep is within the limit: accepted and stored", async () => {
    const { raw } = deepDetails(58);
    const response = await post(null, { raw });
    expect(response.status).toBe(202);
    const detail = await eventually(
      async () => (await getCase(t.service.db, "arn:test:deep-58")) ?? undefined,
      20_000,
      "the case of the 64-level finding",
    );
    expect(detail.events.map((e) => e.type)).toEqual(["case.opened", "finding.observed"]);
  });

  it("more than 100 findings in one event, or more than 20,000 values in a body: 400 naming the limit", async () => {
    const event = asffEvent() as { detail: { findings: unknown[] } };
    const finding = event.detail.findings[0];
    const many = await post({ ...event, detail: { findings: Array.from({ length: 101 }, () => finding) } });
    expect(many.status).toBe(400);
    expect(many.body).toMatchObject({
      error: "invalid_event",
      field: "detail.findings",
      message: "detail.findings: more than 100 findings in one event (Security Hub sends one)",
    });
    const wide = `{"values":[${Array(30_000).fill("0").join(",")}]}`;
    const response = await post(null, { raw: wide });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(
      `more than 20000 values at byte ${wide.indexOf("0") + 2 * 19_999 - 1}`,
    );
    expect((await lastDeadLetter())?.id).toBe(response.body.deadLetterId);
  });

  it("a body with thousands of problems: the first 20 are listed, the rest counted", async () => {
    const event = asffEvent() as { detail: { findings: Record<string, unknown>[] } };
    (event.detail.findings[0] as Record<string, unknown>).Resources = Array.from({ length: 100 }, () => ({}));
    const response = await post(event);
    expect(response.status).toBe(400);
    const errors = response.body.errors as { field: string; message: string }[];
    expect(errors).toHaveLength(21);
    expect(errors[0]?.field).toBe("detail.findings[0].Resources[0].Type");
    expect(errors[20]).toEqual({ field: "(more)", message: "180 more problems not listed" });
    expect((await lastDeadLetter())?.errors).toEqual(errors);
  });
});

describe("health", () => {
  it("/healthz answers while the process is up, /readyz checks Redis and the database, and says Redis's persistence", async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Record<string, unknown>[] };
    expect(body.status).toBe("ready");
    expect(body.checks.slice(0, 2)).toEqual([
      { name: "redis", ok: true },
      { name: "database", ok: true },
    ]);
    // Whatever the shared Redis's persistence, these warn and never fail (redis-durability.test.ts).
    const [persistence, eviction] = body.checks.slice(2);
    expect(persistence).toMatchObject({ name: "redis_persistence", ok: true });
    expect("warning" in (persistence ?? {})).toBe(persistence?.persistence !== "aof");
    expect(eviction).toMatchObject({ name: "redis_eviction", ok: true });
  });
});

describe("the CLI's read API", () => {
  it("refuses requests without the admin bearer token", async () => {
    const response = await fetch(`${t.url}/api/cases`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: "unauthorized",
      message: "missing or invalid bearer token",
    });
    const wrong = await fetch(`${t.url}/api/cases`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
  });
});

describe("POST /events: text PostgreSQL cannot store", () => {
  it("a NUL character in a field: 400 naming it, body kept (NUL replaced), nothing queued to fail later", async () => {
    const event = asffEvent({ id: "arn:test:nul" }) as { detail: { findings: Record<string, unknown>[] } };
    (event.detail.findings[0] as Record<string, unknown>).Title = "bad\u0000title";
    const response = await post(event);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: "invalid_event",
      field: "detail.findings[0].Title",
      message: "detail.findings[0].Title: contains a NUL character (\\u0000)",
    });
    const letter = await lastDeadLetter();
    expect(letter?.id).toBe(response.body.deadLetterId);
    expect(letter?.body).toContain("bad\\u0000title"); // JSON escape text, stored as is
  });

  it("a lone surrogate: 400 naming the field", async () => {
    const raw = JSON.stringify(asffEvent({ id: "arn:test:surrogate" })).replace(
      '"Title":"',
      '"Title":"\\ud800',
    );
    const response = await post(null, { raw });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      field: "detail.findings[0].Title",
      message: "detail.findings[0].Title: contains a lone UTF-16 surrogate",
    });
  });

  it("a raw NUL byte in an unparseable body is kept as U+FFFD", async () => {
    const response = await post(null, { raw: "{\u0000" });
    expect(response.status).toBe(400);
    expect((await lastDeadLetter())?.body).toBe("{\ufffd");
  });
});
