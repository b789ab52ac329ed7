import type { Database } from "../../src/store/database.js";
import { openStore } from "../../src/store/open.js";
import { createTestDatabase } from "./postgres.js";

/** Both store implementations, fresh and migrated: suites run once against each. */
export const STORE_KINDS = ["postgres", "pglite"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export async function openTestStore(kind: StoreKind): Promise<{ db: Database; cleanup(): Promise<void> }> {
  if (kind === "pglite") {
    const db = await openStore({ dataDir: "memory://" });
    return { db, cleanup: () => db.close() };
  }
  const database = await createTestDatabase();
  const db = await openStore({ databaseUrl: database.url, dataDir: "unused" });
  return {
    db,
    async cleanup() {
      await db.close();
      await database.drop();
    },
  };
}

/** Empties every table of a migrated store; its sequences start again, as in a new store. */
export async function emptyStore(db: Database): Promise<void> {
  const tables = await db.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
  );
  await db.query(`TRUNCATE ${tables.map((table) => `"${table.name}"`).join(", ")} RESTART IDENTITY CASCADE`);
}

/**
 * One store for a test file, emptied before each test: a new PGlite costs about 1.6 s of CPU and a
 * new PostgreSQL database its migrations, emptying one a few milliseconds.
 */
export function storePerFile(kind: StoreKind): { fresh(): Promise<Database>; close(): Promise<void> } {
  let opened: ReturnType<typeof openTestStore> | null = null;
  return {
    async fresh() {
      opened ??= openTestStore(kind);
      const { db } = await opened;
      await emptyStore(db);
      return db;
    },
    async close() {
      if (opened) await (await opened).cleanup();
      opened = null;
    },
  };
}
