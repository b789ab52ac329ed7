import { describe, expect, it } from "vitest";
import { ChannelPacer } from "../../src/slack/pacer.js";

/** A clock that only moves when the pacer sleeps. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    clock: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("ChannelPacer", () => {
  it("spaces posts to one channel by the interval and leaves other channels alone", async () => {
    const time = fakeTime();
    const pacer = new ChannelPacer(1_000, time.clock, time.sleep);
    const at: [string, number][] = [];
    for (const channel of ["A", "A", "B", "A"]) {
      await pacer.take(channel);
      at.push([channel, time.clock()]);
    }
    expect(at).toEqual([
      ["A", 0],
      ["A", 1_000],
      ["B", 1_000],
      ["A", 2_000],
    ]);
  });

  it("does not wait when the interval has already passed", async () => {
    const time = fakeTime();
    const pacer = new ChannelPacer(1_000, time.clock, time.sleep);
    await pacer.take("A");
    time.advance(5_000);
    await pacer.take("A");
    expect(time.sleeps).toEqual([]);
  });

  it("blocks a channel for Retry-After after a 429", async () => {
    const time = fakeTime();
    const pacer = new ChannelPacer(1_000, time.clock, time.sleep);
    await pacer.take("A");
    pacer.block("A", 30_000);
    await pacer.take("B");
    expect(time.clock()).toBe(0);
    await pacer.take("A");
    expect(time.clock()).toBe(30_000);
  });
});
