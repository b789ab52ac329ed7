/**
 * Time as people read it, in every human text of the bot (notifications, audit reasons, notes,
 * CLI lines, Slack, the report): an instant is "2026-12-20 09:58 UTC", a calendar day stays
 * "2026-12-20". Machine output (JSON, CSV, `datetime` attributes) keeps ISO 8601. Pure: the time
 * is an argument, never the clock.
 */

const CALENDAR_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * "2026-12-20T09:58:00.000Z" as "2026-12-20 09:58 UTC" (to the minute, seconds dropped); a bare
 * calendar day ("2026-11-26") is left as it is, and text that is not a time is returned unchanged.
 */
export function formatInstant(iso: string): string {
  if (CALENDAR_DAY.test(iso)) return iso;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The calendar day (UTC) of an instant: "2026-12-20T09:58:00.000Z" as "2026-12-20". */
export function calendarDay(iso: string): string {
  if (CALENDAR_DAY.test(iso)) return iso;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms).toISOString().slice(0, 10);
}
