import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseEnvelope } from "../../src/intake/envelope.js";
import { type FindingSource, readEach } from "../../src/intake/finding-source.js";
import { FINDING_SOURCES, sourceOf } from "../../src/intake/finding-sources.js";
import { realAsffEvent } from "../support/events.js";

/**
 * The finding-source registry: each source claims its detail-types, and a new one plugs in as one
 * object without a change to intake. The source here is the test's own (an in-house scanner that
 * puts its results on the bus), not an AWS format.
 */
const scanner: FindingSource = {
  name: "in-house scanner",
  source: "example.scanner",
  detailTypes: ["Scanner Result"],
  read(event) {
    const results = z.array(z.unknown()).min(1).safeParse(event.detail.results);
    if (!results.success)
      return {
        findings: [],
        errors: [{ field: "detail.results", message: "expected results" }],
        customAction: null,
      };
    const schema = z.object({ id: z.string().min(1), title: z.string().min(1), at: z.iso.datetime() });
    const read = readEach(results.data, schema, (result) => ({
      id: result.id,
      productArn: "example:scanner",
      productName: "scanner",
      format: "asff",
      title: result.title,
      accountId: event.account,
      region: event.region,
      generatorId: null,
      controlId: null,
      severity: "HIGH",
      workflowStatus: "NEW",
      recordState: "ACTIVE",
      complianceStatus: null,
      resources: [],
      firstObservedAt: result.at,
      createdAt: result.at,
      updatedAt: result.at,
      processedAt: null,
      note: null,
    }));
    return { ...read, customAction: null };
  },
};

const scannerEvent = (results: unknown[]) => ({
  version: "0",
  id: "scan-1",
  "detail-type": "Scanner Result",
  source: "example.scanner",
  account: "111111111111",
  time: "2026-11-21T12:00:00Z",
  region: "eu-west-1",
  resources: [],
  detail: { results },
});

describe("finding sources", () => {
  it("given the registry, then each Security Hub detail-type is claimed by exactly one source", () => {
    for (const detailType of [
      "Security Hub Findings - Imported",
      "Security Hub Findings - Custom Action",
      "Findings Imported V2",
    ]) {
      expect(
        FINDING_SOURCES.filter((source) => source.detailTypes.includes(detailType)),
        detailType,
      ).toHaveLength(1);
    }
    expect(sourceOf("Scanner Result")).toBeUndefined();
  });

  it("given a new source added to the list, when its event arrives, then intake reads it with no other change", () => {
    const sources = [...FINDING_SOURCES, scanner];
    const parsed = parseEnvelope(
      scannerEvent([{ id: "scan:1", title: "open port", at: "2026-11-21T11:00:00.000Z" }]),
      sources,
    );
    expect(
      parsed.ok && parsed.observations.map((o) => [o.finding.id, o.finding.title, o.detailType]),
    ).toEqual([["scan:1", "open port", "Scanner Result"]]);
    // Security Hub events still go to their own source.
    expect(parseEnvelope(realAsffEvent(), sources).ok).toBe(true);
  });

  it("given the new source, when one of its results is bad, then the whole event is refused with the field named", () => {
    const parsed = parseEnvelope(
      scannerEvent([{ id: "scan:1", title: "", at: "2026-11-21T11:00:00.000Z" }]),
      [scanner],
    );
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors.map((error) => error.field)).toEqual(["detail.findings[0].title"]);
  });

  it("given a source that does not claim the event, then the detail-type is refused, and a claimed type from another source is refused on its source field", () => {
    const unclaimed = parseEnvelope(scannerEvent([]));
    expect(!unclaimed.ok && unclaimed.errors[0]?.field).toBe("detail-type");
    const spoofed = parseEnvelope({ ...scannerEvent([]), "detail-type": "Security Hub Findings - Imported" });
    expect(!spoofed.ok && spoofed.errors[0]).toEqual({
      field: "source",
      message:
        'expected "aws.securityhub" for detail-type "Security Hub Findings - Imported", got "example.scanner"',
    });
  });
});
