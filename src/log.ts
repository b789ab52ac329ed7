import { type Logger, pino } from "pino";

/** JSON lines on stderr, so that CLI output on stdout stays clean for pipes. */
export function createLogger(level: string, name = "shgov"): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}
