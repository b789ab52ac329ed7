import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvelope } from "../../src/intake/envelope.js";
import { buildReport } from "../../src/report/build-report.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import type { Database } from "../../src/store/database.js";
import { openClustersByEksVersion } from "../../src/store/report-queries.js";
import { examplePolicy } from "../support/engine.js";
import { eksEvent } from "../support/events.js";
import { openTestStore } from "../support/stores.js";

const policy = examplePolicy();
const CLUSTER = "arn:aws:eks:us-east-1:111111111111:cluster/";

/** An EKS.2 finding `id` for cluster `name` on `kubernetes`, observed at `at`. */
function eksFinding(id: string, name: string, kubernetes: string, at: string) {
  const event = eksEvent({ kubernetes, updatedAt: at, firstObservedAt: at }, `event-${id}`) as unknown as {
    detail: { findings: { Id: string; Resources: { Id: string }[] }[] };
  };
  const finding = event.detail.findings[0];
  const resource = finding?.Resources[0];
  if (!finding || !resource) throw new Error("the EKS event has no finding");
  finding.Id = `arn:aws:securityhub:us-east-1:111111111111:security-control/EKS.2/finding/${id}`;
  resource.Id = `${CLUSTER}${name}`;
  const parsed = parseEnvelope(event);
  if (!parsed.ok || !parsed.observations[0]) throw new Error("the EKS event did not parse");
  return parsed.observations[0];
}

describe("the report's EKS clusters", () => {
  let db: Database;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ db, cleanup } = await openTestStore("pglite"));
    // ledger: an older finding opened on 1.31 and a newer one on 1.32 for the same cluster;
    // cards on 1.32; batch on 1.31.
    for (const [id, cluster, version, at] of [
      ["a-ledger-old", "ledger", "1.31", "2026-11-01T00:00:00.000Z"],
      ["b-ledger-new", "ledger", "1.32", "2026-11-10T00:00:00.000Z"],
      ["c-cards", "cards", "1.32", "2026-11-12T00:00:00.000Z"],
      ["d-batch", "batch", "1.31", "2026-11-14T00:00:00.000Z"],
    ] as const) {
      const outcome = await observeFindings(
        db,
        policy,
        [eksFinding(id, cluster, version, at)],
        () => new Date(at),
      );
      if (outcome[0] instanceof Error) throw outcome[0];
    }
  });
  afterAll(async () => cleanup?.());

  it("counts each cluster once, under the version of its newest case", async () => {
    const scope = { since: "2026-11-23T00:00:00.000Z", until: "2026-11-30T00:00:00.000Z", team: null };
    expect(await openClustersByEksVersion(db, scope)).toEqual([
      { version: "1.31", clusters: 1 },
      { version: "1.32", clusters: 2 },
    ]);
  });

  it("tells the clusters on extended support from those past it, for the week 1.31's extended support ends", async () => {
    const report = await buildReport(db, {
      since: new Date("2026-11-23T00:00:00.000Z"),
      until: new Date("2026-11-30T00:00:00.000Z"),
      team: null,
      generatedAt: new Date("2026-11-30T00:00:00.000Z"),
    });
    expect(report.extendedSupport).toMatchObject({ clusters: 2, clustersPastExtendedSupport: 1 });
    expect(
      report.extendedSupport.byVersion.map((v) => [v.version, v.clusters, v.pastExtendedSupport]),
    ).toEqual([
      ["1.31", 1, true],
      ["1.32", 2, false],
    ]);
  });
});
