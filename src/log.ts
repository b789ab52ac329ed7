import { type Logger, pino } from "pino";

/** JSON lines on stderr, so that CLI output on stdout stays clean for pipes. */
export function createLogger(level: string, name = "shgov"): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

/** Exits once the log lines written so far have reached stderr (the destination is asynchronous). */
export function flushAndExit(logger: Logger, code: number): void {
  const exit = () => process.exit(code);
  // flush calls back once written; a stuck stderr must not hold the exit.
  setTimeout(exit, 1_000).unref();
  logger.flush(() => exit());
}
