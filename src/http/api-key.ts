import { createHash, timingSafeEqual } from "node:crypto";

/** Constant-time comparison; hashing first makes the lengths equal so nothing leaks through them. */
export function keysMatch(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
