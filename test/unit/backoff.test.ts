import { describe, expect, it } from "vitest";
import { FINDING_JOB_OPTIONS } from "../../src/queue/findings-queue.js";
import { cappedBackoff } from "../../src/queue/findings-worker.js";

describe("retry backoff of findings jobs", () => {
  it("doubles from one second and stops growing at ten minutes", () => {
    expect([1, 2, 3, 4, 10, 11, 50].map(cappedBackoff)).toEqual([
      1_000, 2_000, 4_000, 8_000, 512_000, 600_000, 600_000,
    ]);
  });

  it("keeps retrying for at least a day, as EventBridge would have", () => {
    let total = 0;
    for (let attempt = 1; attempt < FINDING_JOB_OPTIONS.attempts; attempt++) total += cappedBackoff(attempt);
    expect(total).toBeGreaterThanOrEqual(24 * 3_600_000);
  });
});
