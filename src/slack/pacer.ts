/**
 * Paces posts per channel: Slack allows chat.postMessage about once per second per channel (short
 * bursts tolerated). Callers for one channel queue up in order; each goes `intervalMs` after the
 * previous one actually went, and not before a 429's Retry-After has passed. After a block the
 * waiting posts leave one by one, not all at once (which would only earn more 429s). The clock
 * and sleep are injectable for tests; callers must not hold a database transaction while they wait.
 */
export class ChannelPacer {
  private readonly lastGo = new Map<string, number>();
  private readonly blockedUntil = new Map<string, number>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly intervalMs: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {}

  /**
   * Waits until a post to `channel` is allowed; an aborted `signal` (its sender stopping) ends the
   * wait at once, even in a long Retry-After: the caller then posts nothing.
   */
  async take(channel: string, signal?: AbortSignal): Promise<void> {
    const previous = this.queues.get(channel) ?? Promise.resolve();
    let release: () => void = () => {};
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chain = previous.then(() => turn);
    this.queues.set(channel, chain);
    try {
      // The next caller waits for the ones before this one as well (chain), so leaving early on
      // abort keeps the order of the others.
      await untilAborted(previous, signal);
      for (;;) {
        if (signal?.aborted) return;
        const now = this.clock();
        const ready = Math.max(
          (this.lastGo.get(channel) ?? Number.NEGATIVE_INFINITY) + this.intervalMs,
          this.blockedUntil.get(channel) ?? Number.NEGATIVE_INFINITY,
        );
        if (ready <= now) {
          this.lastGo.set(channel, now);
          return;
        }
        await this.sleep(ready - now, signal);
      }
    } finally {
      release();
      // The last caller of a quiet channel leaves nothing behind.
      if (this.queues.get(channel) === chain) this.queues.delete(channel);
    }
  }

  /** Slack answered 429 for `channel`: nothing is posted to it for `ms`. */
  block(channel: string, ms: number): void {
    const until = this.clock() + ms;
    this.blockedUntil.set(channel, Math.max(until, this.blockedUntil.get(channel) ?? until));
  }
}

/** `promise`, or sooner once `signal` aborts. */
function untilAborted(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    promise.then(done, done);
  });
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return untilAborted(slept, signal).finally(() => clearTimeout(timer));
}

/** One sender's place in a channel's order (see ChannelTurns). */
export interface ChannelTurn {
  /** Resolves once every turn reserved before this one at the channel has ended. */
  readonly ready: Promise<void>;
  /** Ends the turn: posted and answered, or given up. Ending it again does nothing. */
  end(): void;
}

/**
 * The order of posts to each channel, decided before anyone posts: turns are reserved up front,
 * and each is ready only once the turns reserved before it at that channel have ended. A sender
 * ends its turn when its post has been answered (so two posts to one channel are never in flight
 * together, and Slack receives them in the reserved order), or when it gives the channel up. How
 * the senders' other work interleaves (posts to other channels first, database writes, slow
 * answers) cannot change the order; a turn left unended holds its channel, so end every turn.
 */
export class ChannelTurns {
  private readonly tails = new Map<string, Promise<void>>();

  reserve(channel: string): ChannelTurn {
    const ready = this.tails.get(channel) ?? Promise.resolve();
    let end: () => void = () => {};
    const over = new Promise<void>((resolve) => {
      end = resolve;
    });
    this.tails.set(
      channel,
      ready.then(() => over),
    );
    return { ready, end: () => end() };
  }
}
