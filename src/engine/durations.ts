/** A day in milliseconds: deadlines and ages are whole UTC days of 86,400 s (no leap seconds). */
export const DAY_MS = 86_400_000;
