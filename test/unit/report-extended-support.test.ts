import { describe, expect, it } from "vitest";
import { extendedSupport } from "../../src/report/build-report.js";
import { extendedSupportPhrase } from "../../src/report/format.js";
import { reportSummaryMessage } from "../../src/slack/report-summary.js";
import { sampleReport } from "../support/report-sample.js";

const at = (iso: string) => Date.parse(iso);

describe("the EKS extended-support figure", () => {
  // The week in which 1.31's extended support ends (2026-11-26): one cluster on 1.31, one on 1.32.
  const week = extendedSupport(
    [
      { version: "1.31", clusters: 1 },
      { version: "1.32", clusters: 1 },
      { version: "1.35", clusters: 4 },
    ],
    at("2026-11-23T00:00:00Z"),
    at("2026-11-30T00:00:00Z"),
  );

  it("counts the clusters on extended support apart from those past its end, and lists both versions", () => {
    expect(week).toMatchObject({ clusters: 1, clustersPastExtendedSupport: 1 });
    expect(week.byVersion).toEqual([
      {
        version: "1.31",
        clusters: 1,
        endOfStandardSupport: "2025-11-26",
        endOfExtendedSupport: "2026-11-26",
        pastExtendedSupport: true,
      },
      {
        version: "1.32",
        clusters: 1,
        endOfStandardSupport: "2026-03-23",
        endOfExtendedSupport: "2027-03-23",
        pastExtendedSupport: false,
      },
    ]);
    // The cost: 1.32 all week, 1.31 until its extended support ended (3 days); today's rate is 1.32's.
    expect(week.usdPerHour).toBe(0.6);
    expect(week.hoursInPeriod).toBe(7 * 24 + 3 * 24);
  });

  it("lists a version whose extended support ended before the period, with no cost", () => {
    const later = extendedSupport(
      [{ version: "1.29", clusters: 2 }],
      at("2026-11-23T00:00:00Z"),
      at("2026-11-30T00:00:00Z"),
    );
    expect(later).toMatchObject({
      clusters: 0,
      clustersPastExtendedSupport: 2,
      hoursInPeriod: 0,
      usdPerHour: 0,
    });
    expect(extendedSupportPhrase(later, "$0.00 extra per 30 days")).toBe(
      "no cluster on extended support; 2 clusters past the end of extended support",
    );
  });

  it("says one cluster, several clusters, and none, in every renderer's words", () => {
    expect(extendedSupportPhrase(week, "$360.00 extra per 30 days")).toBe(
      "1 cluster on extended support, $360.00 extra per 30 days; 1 cluster past the end of extended support",
    );
    expect(
      extendedSupportPhrase({ clusters: 2, clustersPastExtendedSupport: 0 }, "$720.00 extra per 30 days"),
    ).toBe("2 clusters on extended support, $720.00 extra per 30 days");
    expect(extendedSupportPhrase({ clusters: 0, clustersPastExtendedSupport: 0 }, "-")).toBe("no cluster");
  });

  it("says the same in the Slack summary, linked to its section", () => {
    const fields = (
      reportSummaryMessage(sampleReport(), { detailUrl: null }).blocks as { fields?: { text: string }[] }[]
    )
      .flatMap((block) => block.fields ?? [])
      .map((field) => field.text);
    expect(fields).toContain(
      "*EKS extended support*\n3 clusters on extended support, $1.80/h ($1,080.00 extra per 30 days); 1 cluster past the end of extended support",
    );
    const linked = (
      reportSummaryMessage(sampleReport(), { detailUrl: "https://gov.example.com/r/x" }).blocks as {
        fields?: { text: string }[];
      }[]
    )
      .flatMap((block) => block.fields ?? [])
      .find((field) => field.text.startsWith("*EKS extended support*"));
    expect(linked?.text).toBe(
      "*EKS extended support*\n<https://gov.example.com/r/x#eks-extended-support|3 clusters on extended support, $1.80/h ($1,080.00 extra per 30 days); 1 cluster past the end of extended support>",
    );
  });
});
