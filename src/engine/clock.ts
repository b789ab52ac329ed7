import type { Finding } from "./finding.js";
import type { Policy } from "./policy.js";

/**
 * The remediation clock of a case. It runs from `startAt` for `durationMs`; time spent under an
 * approved exception does not count (`pausedMs`, and `pausedSince` while paused).
 */
export interface SlaClock {
  startAt: string;
  durationMs: number;
  pausedMs: number;
  pausedSince: string | null;
}

/** The SLA of a severity; null when the severity is not tracked (INFORMATIONAL, or absent from the policy). */
export function slaDurationMs(policy: Policy, severity: Finding["severity"]): number | null {
  if (severity === "INFORMATIONAL") return null;
  return policy.slaMs[severity] ?? null;
}

export function startClock(policy: Policy, severity: Finding["severity"], startAt: string): SlaClock | null {
  const durationMs = slaDurationMs(policy, severity);
  return durationMs === null ? null : { startAt, durationMs, pausedMs: 0, pausedSince: null };
}

/** The same clock measured against another SLA (the severity changed); time already used stays used. */
export function rescaleClock(
  policy: Policy,
  clock: SlaClock | null,
  severity: Finding["severity"],
  startAt: string,
) {
  const durationMs = slaDurationMs(policy, severity);
  if (durationMs === null) return null;
  return clock ? { ...clock, durationMs } : { startAt, durationMs, pausedMs: 0, pausedSince: null };
}

/** The instant the share `fraction` of the SLA is used up (1 = the deadline), paused time excluded. */
export function clockMark(clock: SlaClock, fraction: number): string {
  return new Date(
    Date.parse(clock.startAt) + clock.pausedMs + Math.round(clock.durationMs * fraction),
  ).toISOString();
}

export function clockDueAt(clock: SlaClock): string {
  return clockMark(clock, 1);
}

export function pauseClock(clock: SlaClock, at: string): SlaClock {
  return clock.pausedSince ? clock : { ...clock, pausedSince: at };
}

/** Resumes where it stopped: the paused span is added to every mark. */
export function resumeClock(clock: SlaClock, at: string): SlaClock {
  if (!clock.pausedSince) return clock;
  const paused = Math.max(0, Date.parse(at) - Date.parse(clock.pausedSince));
  return { ...clock, pausedMs: clock.pausedMs + paused, pausedSince: null };
}
