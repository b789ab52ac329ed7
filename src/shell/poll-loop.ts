/**
 * Runs a delivery round until it finds nothing to do, then again every `pollMs`, until stopped.
 * The outbox dispatchers share it: a round returns how many rows it took; an error is reported
 * (through a RepeatedFailureLog, so a database away for a minute is said once) and the next
 * round tries again.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stoppedFlag = false;

  constructor(
    private readonly round: () => Promise<number>,
    private readonly options: {
      pollMs: number;
      onError: (error: unknown) => void;
      /** Called after a round succeeds that follows failed ones. */
      onRecovered?: () => void;
    },
  ) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Runs rounds until one takes nothing (for tests and the demo). */
  async drain(): Promise<void> {
    while ((await this.round()) > 0) {
      // keep going
    }
  }

  start(): void {
    const loop = async () => {
      if (this.stoppedFlag) return;
      this.running = this.drain().then(() => this.options.onRecovered?.(), this.options.onError);
      await this.running;
      if (!this.stoppedFlag) this.timer = setTimeout(loop, this.options.pollMs);
    };
    void loop();
  }

  /** Takes no new round and waits for the one in progress. */
  async stop(beforeWaiting: () => void = () => {}): Promise<void> {
    this.stoppedFlag = true;
    beforeWaiting();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
