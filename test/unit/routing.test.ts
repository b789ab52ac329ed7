import { describe, expect, it } from "vitest";
import { findingMatches } from "../../src/engine/routing.js";
import { finding } from "../support/engine.js";

describe("engine: routing matches", () => {
  const f = finding({
    resources: [
      {
        type: "AwsEksCluster",
        id: "c",
        region: "us-east-1",
        tags: { team: "payments", env: "prod" },
        details: null,
      },
    ],
  });

  it("an empty match matches every finding", () => {
    expect(findingMatches({}, f)).toBe(true);
  });

  it("every given key must match (AND), any listed value may (OR)", () => {
    expect(findingMatches({ controlIds: ["EKS.2", "EKS.1"], severities: ["HIGH"] }, f)).toBe(true);
    expect(findingMatches({ controlIds: ["EKS.2"], severities: ["LOW"] }, f)).toBe(false);
  });

  it("matches accounts, regions, resource types and product names", () => {
    expect(findingMatches({ accounts: ["111111111111"], regions: ["us-east-1"] }, f)).toBe(true);
    expect(findingMatches({ accounts: ["222222222222"] }, f)).toBe(false);
    expect(findingMatches({ resourceTypes: ["AwsEksCluster"] }, f)).toBe(true);
    expect(findingMatches({ resourceTypes: ["AwsS3Bucket"] }, f)).toBe(false);
    expect(findingMatches({ productNames: ["GuardDuty"] }, f)).toBe(false);
  });

  it("tags must all be present on one resource with the given values", () => {
    expect(findingMatches({ tags: { team: "payments", env: "prod" } }, f)).toBe(true);
    expect(findingMatches({ tags: { team: "payments", env: "dev" } }, f)).toBe(false);
  });

  it("a finding without a control id never matches a control_ids list", () => {
    expect(findingMatches({ controlIds: ["EKS.2"] }, finding({ controlId: null }))).toBe(false);
  });
});
