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
