import { describe, expect, it } from "vitest";
import { TimeoutError, within, withTimeout } from "../../src/lib/timeout.js";

const never = new Promise<never>(() => {});

describe("withTimeout and within", () => {
  it("given a promise that settles in time, both give its value or its rejection", async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, "late")).resolves.toBe(7);
    await expect(within(Promise.resolve(7), 1_000, "fallback")).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error("refused")), 1_000, "late")).rejects.toThrow("refused");
  });

  it("given a promise that never settles, withTimeout rejects with the message and within gives the fallback", async () => {
    const late = withTimeout(never, 5, "Redis did not answer within 5 ms");
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    await expect(late).rejects.toThrow("Redis did not answer within 5 ms");
    await expect(within(never, 5, false)).resolves.toBe(false);
  });
});
