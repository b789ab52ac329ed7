/**
 * The one small interface both stores implement: PostgreSQL through `pg`, and embedded PGlite.
 * Both speak the same SQL, so every repository and migration is written once.
 */
export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
}

export interface Database extends Sql {
  readonly kind: "postgres" | "pglite";
  /** Runs several statements (migrations); no parameters. */
  exec(text: string): Promise<void>;
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Timestamps come back as Date from both drivers; the domain keeps ISO strings. */
export function isoOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

export function iso(value: unknown): string {
  const out = isoOrNull(value);
  if (out === null) throw new Error("expected a timestamp");
  return out;
}
