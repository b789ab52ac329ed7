import { describe, expect, it } from "vitest";
import { caseDetailText } from "../../src/cli/format-cases.js";
import type { Case } from "../../src/engine/case.js";
import type { Finding } from "../../src/engine/finding.js";
import { upgradeDeadlineText } from "../../src/engine/upgrade-dates.js";
import type { CaseDetail } from "../../src/store/cases.js";
import { examplePolicy, finding, givenWhen } from "../support/engine.js";
import { ALICE, act, play, seen } from "../support/engine-steps.js";

const policy = examplePolicy();

/** An EKS.2 case opened at `at` for a cluster on `version` (null: no version in the finding). */
function openedOn(version: string | null, at: string) {
  const resource = finding().resources[0];
  if (!resource) throw new Error("the finding has no resource");
  const details = version ? { AwsEksCluster: { Version: version } } : null;
  const overrides: Partial<Finding> = { resources: [{ ...resource, details }] };
  return play(policy, [[at, seen(at, overrides)]]);
}

function upgradeLine(c: Case): string | undefined {
  const detail = { ref: "SHG-1", case: c, events: [], outbox: [] } as unknown as CaseDetail;
  return caseDetailText(detail)
    .split("\n")
    .find((line) => line.startsWith("upgrade date"));
}

describe("where an upgrade deadline comes from, as people write it", () => {
  it("given a limit ahead, says it and its day", () => {
    const { state } = openedOn("1.35", "2026-11-20T10:00:00.000Z");
    expect(state.upgrade && upgradeDeadlineText(state.upgrade)).toBe(
      "before 2027-03-27 (EKS 1.35 end of standard support)",
    );
    expect(upgradeLine(state)).toMatch(
      /^upgrade date +no date agreed; before 2027-03-27 \(EKS 1\.35 end of standard support\)$/,
    );
  });

  it("given EKS 1.31 past end of standard support, says the end of extended support is the limit and why", () => {
    const { state, events } = openedOn("1.31", "2026-11-20T10:00:00.000Z");
    expect(upgradeLine(state)).toMatch(
      /^upgrade date +no date agreed; before 2026-11-26 \(EKS 1\.31 end of extended support, since its end of standard support passed on 2025-11-26\)$/,
    );
    expect(
      givenWhen(
        policy,
        events,
        act(ALICE, { action: "date_propose", date: "2026-12-01" }),
        "2026-11-20T11:00:00.000Z",
      ).rejection,
    ).toBe(
      "2026-12-01 is not before the deadline 2026-11-26 (EKS 1.31 end of extended support, since its end of standard support passed on 2025-11-26)",
    );
  });

  it("given EKS 1.31 after the end of extended support and the SLA deadline, says that nothing limits the date any more", () => {
    // First observed 2026-11-01 (HIGH, 30 days): the SLA deadline 2026-12-01 has passed too.
    const { state } = openedOn("1.31", "2026-12-05T10:00:00.000Z");
    expect(state.upgrade?.deadline).toBeNull();
    expect(upgradeLine(state)).toMatch(
      /^upgrade date +no date agreed; no deadline left: EKS 1\.31 end of standard support \(2025-11-26\), its end of extended support \(2026-11-26\) and the SLA deadline \(2026-12-01 00:00 UTC\) have passed; any future date can be agreed$/,
    );
    expect(upgradeLine(state)).not.toContain("before -");
  });

  it("given no EKS version and the SLA deadline passed, says so", () => {
    const { state } = openedOn(null, "2026-12-05T10:00:00.000Z");
    expect(state.upgrade && upgradeDeadlineText(state.upgrade)).toBe(
      "no deadline left: the SLA deadline (2026-12-01 00:00 UTC) has passed (the EKS version is unknown); any future date can be agreed",
    );
  });
});
