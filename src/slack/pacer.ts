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
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  /** Waits until a post to `channel` is allowed; `cancelled` cuts the wait short (on stop). */
  async take(channel: string, cancelled: () => boolean = () => false): Promise<void> {
    const previous = this.queues.get(channel) ?? Promise.resolve();
    let release: () => void = () => {};
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chain = previous.then(() => turn);
    this.queues.set(channel, chain);
    await previous;
    try {
      for (;;) {
        if (cancelled()) return;
        const now = this.clock();
        const ready = Math.max(
          (this.lastGo.get(channel) ?? Number.NEGATIVE_INFINITY) + this.intervalMs,
          this.blockedUntil.get(channel) ?? Number.NEGATIVE_INFINITY,
        );
        if (ready <= now) {
          this.lastGo.set(channel, now);
          return;
        }
        await this.sleep(ready - now);
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

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
