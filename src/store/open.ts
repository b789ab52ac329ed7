import { acquireDataDir } from "./data-dir-lock.js";
import type { Database } from "./database.js";
import { migrate } from "./migrations.js";
import { openPglite } from "./pglite.js";
import { openPostgres } from "./postgres.js";

export interface StoreConfig {
  databaseUrl?: string | undefined;
  dataDir: string;
}

/**
 * PostgreSQL when DATABASE_URL is set, embedded PGlite in dataDir otherwise; migrated either way.
 * Closing the returned database also releases the PGlite data directory.
 */
export async function openStore(config: StoreConfig): Promise<Database> {
  if (config.databaseUrl) {
    const db = openPostgres({ connectionString: config.databaseUrl });
    await migrate(db);
    return db;
  }
  if (config.dataDir === "memory://") {
    const db = await openPglite("memory://");
    await migrate(db);
    return db;
  }
  const release = await acquireDataDir(config.dataDir, { port: null, adminToken: null });
  try {
    const db = await openPglite(config.dataDir);
    await migrate(db);
    return {
      ...db,
      async close() {
        await db.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
