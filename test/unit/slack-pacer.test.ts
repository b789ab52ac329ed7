import { describe, expect, it } from "vitest";
import { ChannelPacer, ChannelTurns } from "../../src/slack/pacer.js";

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

  it("after a 429 the posts already waiting for the channel leave one per interval, not all at once", async () => {
    // Virtual time: sleepers wake in the order of their deadlines, the clock jumping to each.
    let t = 0;
    const timers: { at: number; wake: () => void }[] = [];
    const sleep = (ms: number) => new Promise<void>((wake) => timers.push({ at: t + ms, wake }));
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const pacer = new ChannelPacer(1_000, () => t, sleep);
    await pacer.take("A");
    const went: number[] = [];
    const waiting = [1, 2, 3].map(async () => {
      await pacer.take("A");
      went.push(t);
    });
    await settle();
    pacer.block("A", 5_000); // a 429 while three posts wait for their turn
    for (let step = 0; step < 20 && went.length < 3; step += 1) {
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (next) {
        t = next.at;
        next.wake();
      }
      await settle();
    }
    await Promise.all(waiting);
    expect(went).toEqual([5_000, 6_000, 7_000]);
  });

  it("a sender that stops leaves at once, inside a long Retry-After and behind another waiter, and the others keep their order", async () => {
    // The real sleep: before, a stopping dispatcher slept out the whole block (here ten minutes,
    // far past the test's timeout).
    const pacer = new ChannelPacer(1_000);
    await pacer.take("A");
    pacer.block("A", 10 * 60_000);
    const other = new AbortController();
    const stopping = new AbortController();
    const first = pacer.take("A", other.signal);
    const second = pacer.take("A", stopping.signal);
    let firstLeft = false;
    void first.then(() => {
      firstLeft = true;
    });
    stopping.abort();
    await expect(second).resolves.toBeUndefined(); // left while `first` still waits
    expect(firstLeft).toBe(false);
    other.abort();
    await expect(first).resolves.toBeUndefined();
  });
});

describe("ChannelTurns", () => {
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it("hands out a channel's turns in the order they were reserved, not the order they are awaited", async () => {
    const turns = new ChannelTurns();
    const first = turns.reserve("A");
    const second = turns.reserve("A");
    const elsewhere = turns.reserve("B");
    const went: string[] = [];
    // The second and the other channel's turn are awaited before the first is.
    const waiting = [
      second.ready.then(() => went.push("second")),
      elsewhere.ready.then(() => went.push("B")),
    ];
    await settle();
    expect(went).toEqual(["B"]);
    await first.ready;
    went.push("first");
    await settle();
    expect(went).toEqual(["B", "first"]);
    first.end();
    await Promise.all(waiting);
    expect(went).toEqual(["B", "first", "second"]);
  });

  it("a turn ended early (given up) does not let a later one pass an earlier one still going", async () => {
    const turns = new ChannelTurns();
    const [first, second, third] = [turns.reserve("A"), turns.reserve("A"), turns.reserve("A")];
    let thirdWent = false;
    void third?.ready.then(() => {
      thirdWent = true;
    });
    second?.end();
    second?.end();
    await settle();
    expect(thirdWent).toBe(false);
    first?.end();
    await settle();
    expect(thirdWent).toBe(true);
  });
});
