import { PGlite } from "@electric-sql/pglite";
import type { Database, Sql } from "./database.js";

/**
 * Embedded PostgreSQL (WASM) in a data directory; `memory://` keeps it in memory. Only one
 * process may open a data directory at a time: see service-lock.ts.
 */
export async function openPglite(dataDir: string): Promise<Database> {
  const db = await PGlite.create(dataDir === "memory://" ? undefined : dataDir);
  return {
    kind: "pglite",
    async query<Row>(text: string, params?: unknown[]) {
      return (await db.query<Row>(text, params as unknown[])).rows;
    },
    async exec(text: string) {
      await db.exec(text);
    },
    transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      return db.transaction(async (tx) =>
        fn({
          async query<Row>(text: string, params?: unknown[]) {
            return (await tx.query<Row>(text, params as unknown[])).rows;
          },
        }),
      );
    },
    async ping() {
      await db.query("SELECT 1");
    },
    async close() {
      await db.close();
    },
  };
}
