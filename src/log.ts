import { type Logger, pino } from "pino";

/** JSON lines on stderr, so that CLI output on stdout stays clean for pipes. */
export function createLogger(level: string, name = "shgov"): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

/** Exits once the log lines written so far have reached stderr (the destination is asynchronous). */
export function flushAndExit(logger: Logger, code: number): void {
  // Set first: should the flush never call back and nothing else hold the loop, the process
  // still ends with this code.
  process.exitCode = code;
  const exit = () => process.exit(code);
  // flush calls back once written; a stuck stderr must not hold the exit.
  setTimeout(exit, 1_000).unref();
  logger.flush(() => exit());
}

/**
 * Says a failure that repeats (a database away for a minute, a round failing every second) once
 * when it starts, and once when it ends with how often it happened, instead of every time; a
 * different message in between is said too.
 */
export class RepeatedFailureLog {
  private failures = 0;
  private lastMessage = "";

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  failed(error: unknown, fields: Record<string, unknown> = {}): void {
    const message = error instanceof Error ? error.message : String(error);
    this.failures++;
    if (this.failures === 1 || message !== this.lastMessage) {
      this.logger.error({ err: error, ...fields }, `${this.what} failed; retrying`);
    } else {
      this.logger.debug({ err: error, failures: this.failures }, `${this.what} failed again`);
    }
    this.lastMessage = message;
  }

  succeeded(): void {
    if (this.failures === 0) return;
    this.logger.info({ failures: this.failures }, `${this.what} works again after ${this.failures} failures`);
    this.failures = 0;
    this.lastMessage = "";
  }
}
