/** Parsing of the small value languages used in policy files: durations and percentages. */

const DURATION = /^([1-9]\d*)(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export const DURATION_PATTERN = DURATION.source;
export const PERCENT_PATTERN = /^(\d{1,3}(\.\d+)?)%$/.source;

/** `15m`, `12h`, `30d`, `2w` to milliseconds; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = match[2] as keyof typeof UNIT_MS;
  return amount > 0 ? amount * UNIT_MS[unit] : null;
}

/** `75%` to 0.75; null when the text is not a percentage. */
export function parsePercent(text: string): number | null {
  const match = new RegExp(PERCENT_PATTERN).exec(text);
  return match ? Number(match[1]) / 100 : null;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["w", UNIT_MS.w],
    ["d", UNIT_MS.d],
    ["h", UNIT_MS.h],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / UNIT_MS.m)}m`;
}
