/**
 * Paces posts per channel: Slack allows chat.postMessage about once per second per channel (short
 * bursts tolerated), so each channel gets a next-allowed time and posts to it are spaced by
 * `intervalMs`; a 429's Retry-After blocks the channel until it has passed. Slots are reserved
 * synchronously, so concurrent callers for one channel queue up instead of racing. The clock and
 * sleep are injectable for tests; callers must not hold a database transaction while they wait.
 */
export class ChannelPacer {
  private readonly nextSlot = new Map<string, number>();
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  /** Waits until a post to `channel` is allowed; `cancelled` cuts the wait short (on stop). */
  async take(channel: string, cancelled: () => boolean = () => false): Promise<void> {
    const start = this.clock();
    const slot = Math.max(start, this.nextSlot.get(channel) ?? Number.NEGATIVE_INFINITY);
    this.nextSlot.set(channel, slot + this.intervalMs);
    if (slot > start) await this.sleep(slot - start);
    for (;;) {
      const until = this.blockedUntil.get(channel) ?? Number.NEGATIVE_INFINITY;
      const now = this.clock();
      if (until <= now || cancelled()) return;
      await this.sleep(until - now);
    }
  }

  /** Slack answered 429 for `channel`: nothing is posted to it for `ms`. */
  block(channel: string, ms: number): void {
    const until = this.clock() + ms;
    this.blockedUntil.set(channel, Math.max(until, this.blockedUntil.get(channel) ?? until));
    this.nextSlot.set(channel, Math.max(until, this.nextSlot.get(channel) ?? until));
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
