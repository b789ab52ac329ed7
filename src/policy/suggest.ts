/**
 * "Did you mean" for policy files: the valid name closest to a misspelt one, and the one-line
 * messages that name an unknown key or value, suggest the closest valid one and list them.
 */

/** Edit distance counting a swap of two neighbouring letters as one edit (`HIHG` → `HIGH` is 1). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** How far a name may be from a valid one and still be taken for a misspelling of it. */
function tolerance(length: number): number {
  return length <= 3 ? 1 : length <= 6 ? 2 : 3;
}

/** A name that is a valid one with a word added or left out (`channel`, `slack_channel_id`). */
function sharesWords(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short.length >= 3 && (long.startsWith(`${short}_`) || long.endsWith(`_${short}`));
}

/**
 * The valid name `input` is most likely a misspelling of, or undefined when none is close.
 * Case is ignored; on a tie, a name in `preferred` (such as a required key that is missing) wins,
 * then the earlier in `candidates`.
 */
export function closest(
  input: string,
  candidates: readonly string[],
  preferred: ReadonlySet<string> = new Set(),
): string | undefined {
  const typed = input.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    const valid = name.toLowerCase();
    const distance = editDistance(typed, valid);
    const near = distance <= tolerance(Math.max(typed.length, valid.length)) || sharesWords(typed, valid);
    if (!near) continue;
    // Whole edits first; being preferred breaks a tie between equally close names.
    const score = distance * 2 + (preferred.has(name) ? 0 : 1);
    if (!best || score < best.score) best = { name, score };
  }
  return best?.name;
}

/** How the names of one vocabulary (keys of an object, values of an enum) are spoken of. */
export interface Wording {
  /** `key`, `severity`, `status`. */
  noun: string;
  /** `keys`, `severities`, `statuses`. */
  plural: string;
  /** List the valid names even when one is suggested: for short, fixed vocabularies. */
  alwaysList?: boolean;
  /** Names that are known but refused here, with the reason, said instead of "unknown". */
  refused?: Readonly<Record<string, string>>;
  /** Said after the list of valid names for an unknown one. */
  note?: string;
}

export const KEY_WORDING: Wording = { noun: "key", plural: "keys" };

/** `unknown key "slack_chanel"; did you mean "slack_channel"?`, or the list of valid names. */
export function unknownNameMessage(
  input: string,
  valid: readonly string[],
  wording: Wording,
  preferred?: ReadonlySet<string>,
): { message: string; suggestion: string | undefined } {
  const list = `valid ${wording.plural}: ${valid.join(", ")}`;
  const refused = Object.hasOwn(wording.refused ?? {}, input) ? wording.refused?.[input] : undefined;
  if (refused) return { message: `${refused}; ${list}`, suggestion: undefined };
  const suggestion = closest(input, valid, preferred);
  const head = `unknown ${wording.noun} "${input}"`;
  const listed = wording.note ? `${list}; ${wording.note}` : list;
  if (!suggestion) return { message: `${head}; ${listed}`, suggestion };
  const guess = `${head}; did you mean "${suggestion}"?`;
  return { message: wording.alwaysList ? `${guess} ${listed}` : guess, suggestion };
}

/** The type of a parsed YAML value, as zod names it in its messages. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
