import { describe, expect, it } from "vitest";
import { examplePolicy, finding, givenWhen, observed } from "../support/engine.js";

const policy = examplePolicy();
const NOW = "2026-11-21T12:00:00.000Z";

describe("engine: a finding observed", () => {
  it("given no case, when an EKS.2 finding arrives, then a case opens owned by platform with security as counterpart", () => {
    const { events, after, findingIsNewer } = givenWhen(policy, [], observed(finding()), NOW);
    expect(events.map((e) => e.type)).toEqual(["case.opened", "finding.observed"]);
    expect(findingIsNewer).toBe(true);
    expect(after).toMatchObject({
      owner: "platform",
      counterpart: "security",
      routingRule: "eks",
      // EKS.2 matches the example's upgrade_dates rule, so the case waits for an agreed date.
      status: "awaiting_date",
    });
    expect(events[0]).toMatchObject({ actor: "aws:securityhub", at: NOW, reason: 'routed by rule "eks"' });
  });

  it("given no case, when a finding matches no specific rule, then the catch-all rule routes it to security", () => {
    const { after } = givenWhen(policy, [], observed(finding({ controlId: "S3.1" })), NOW);
    expect(after).toMatchObject({ owner: "security", counterpart: "platform", routingRule: "default" });
  });

  it("then the SLA deadline is the first observation plus the SLA of the severity", () => {
    const high = givenWhen(policy, [], observed(finding({ severity: "HIGH" })), NOW).after;
    const critical = givenWhen(policy, [], observed(finding({ severity: "CRITICAL" })), NOW).after;
    expect(high?.slaDueAt).toBe("2026-12-01T00:00:00.000Z"); // 30 days after 2026-11-01
    expect(critical?.slaDueAt).toBe("2026-11-08T00:00:00.000Z"); // 7 days
    expect(high?.tracked).toBe(true);
  });

  it("given an INFORMATIONAL finding, then the case is kept but not tracked (no SLA)", () => {
    const { after } = givenWhen(
      policy,
      [],
      observed(finding({ severity: "INFORMATIONAL", controlId: "S3.1" })),
      NOW,
    );
    expect(after).toMatchObject({ tracked: false, slaDueAt: null, status: "open" });
  });

  it("given a severity the policy has no SLA for, then the case is not tracked", () => {
    const noLow = examplePolicy().slaMs;
    delete noLow.LOW;
    const { after } = givenWhen({ ...policy, slaMs: noLow }, [], observed(finding({ severity: "LOW" })), NOW);
    expect(after?.slaDueAt).toBeNull();
  });

  it("given a case, when a newer version arrives, then it is recorded and becomes the latest", () => {
    const first = givenWhen(policy, [], observed(finding()), NOW);
    const newer = finding({
      updatedAt: "2026-11-21T00:00:00.000Z",
      processedAt: "2026-11-21T00:00:01.000Z",
      workflowStatus: "NOTIFIED",
    });
    const { events, after, findingIsNewer } = givenWhen(policy, first.events, observed(newer), NOW);
    expect(events.map((e) => e.type)).toEqual(["finding.observed"]);
    expect(findingIsNewer).toBe(true);
    expect(after?.latest.workflowStatus).toBe("NOTIFIED");
    expect(after?.version).toBe(3);
  });

  it("given a case, when an older version arrives late, then it is recorded as stale and changes nothing", () => {
    const newest = finding({
      updatedAt: "2026-11-22T00:00:00.000Z",
      processedAt: "2026-11-22T00:00:00.000Z",
      workflowStatus: "NOTIFIED",
    });
    const first = givenWhen(policy, [], observed(newest), NOW);
    const older = finding({
      updatedAt: "2026-11-20T00:00:00.000Z",
      workflowStatus: "NEW",
      severity: "CRITICAL",
    });
    const { events, after, before, findingIsNewer } = givenWhen(policy, first.events, observed(older), NOW);
    expect(findingIsNewer).toBe(false);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "finding.observed", stale: true });
    expect(after).toEqual({ ...before, version: (before?.version ?? 0) + 1, updatedAt: NOW });
  });

  it("given the same UpdatedAt, when a BatchUpdateFindings moved ProcessedAt, then the later ProcessedAt wins", () => {
    const base = finding({ updatedAt: "2026-11-20T00:00:00.000Z", processedAt: "2026-11-20T00:00:05.000Z" });
    const first = givenWhen(policy, [], observed(base), NOW);
    const suppressed = {
      ...base,
      workflowStatus: "SUPPRESSED" as const,
      processedAt: "2026-11-20T06:00:00.000Z",
    };
    const { after, findingIsNewer } = givenWhen(policy, first.events, observed(suppressed), NOW);
    expect(findingIsNewer).toBe(true);
    expect(after?.latest.workflowStatus).toBe("SUPPRESSED");
  });

  it("given a case, when the same version arrives again, then it is not newer", () => {
    const first = givenWhen(policy, [], observed(finding()), NOW);
    expect(givenWhen(policy, first.events, observed(finding()), NOW).findingIsNewer).toBe(false);
  });

  it("given a HIGH case, when Security Hub reports CRITICAL, then the severity changes and the deadline is recomputed", () => {
    const first = givenWhen(policy, [], observed(finding()), NOW);
    const critical = finding({
      severity: "CRITICAL",
      updatedAt: "2026-11-21T00:00:00.000Z",
      processedAt: "2026-11-21T00:00:00.000Z",
    });
    const { events, after } = givenWhen(policy, first.events, observed(critical), NOW);
    expect(events.map((e) => e.type)).toEqual(["finding.observed", "severity.changed"]);
    expect(events[1]).toMatchObject({ from: "HIGH", to: "CRITICAL", sla: { durationMs: 7 * 86_400_000 } });
    expect(after?.slaDueAt).toBe("2026-11-08T00:00:00.000Z");
    expect(after?.severity).toBe("CRITICAL");
  });
});

describe("engine: a new case is announced by severity", () => {
  it.each([
    ["CRITICAL", "sent"],
    ["HIGH", "sent"],
    ["MEDIUM", "not sent (it goes into the digest)"],
    ["INFORMATIONAL", "not sent (it goes into the digest)"],
  ] as const)(
    "given per_finding_min_severity HIGH, when a %s finding opens a case, then a case.opened message is %s",
    (severity, told) => {
      const { effects } = givenWhen(policy, [], observed(finding({ severity, controlId: "S3.1" })), NOW);
      const opened = effects.filter((e) => e.kind === "notify" && e.topic === "case.opened");
      expect(opened).toHaveLength(told === "sent" ? 1 : 0);
      if (told === "sent")
        expect(opened[0]).toMatchObject({ teams: ["security"], text: expect.stringContaining(severity) });
    },
  );
});
