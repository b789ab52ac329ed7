import { access } from "node:fs/promises";
import { join } from "node:path";
import { ShgovError } from "../errors.js";
import { acquireDataDir, DataDirBusyError } from "./data-dir-lock.js";
import type { Database } from "./database.js";
import { MIGRATIONS, migrate } from "./migrations.js";
import { openPglite } from "./pglite.js";
import { describePostgresError, isPostgresUnavailable, openPostgres } from "./postgres.js";

export interface StoreConfig {
  databaseUrl?: string | undefined;
  dataDir: string;
  /**
   * Open only a store that exists and is migrated, and create nothing: what commands that read
   * (or act on existing cases) do, so that a mistyped DATA_DIR or DATABASE_URL is named as such
   * instead of looking like an empty system.
   */
  existingOnly?: boolean;
}

/**
 * PostgreSQL when DATABASE_URL is set, embedded PGlite in dataDir otherwise; migrated either way
 * (unless existingOnly). Closing the returned database also releases the PGlite data directory.
 * Failures to reach or open the store are ShgovErrors naming the setting.
 */
export async function openStore(config: StoreConfig): Promise<Database> {
  if (config.databaseUrl) {
    const url = config.databaseUrl;
    const db = openPostgres({ connectionString: url });
    try {
      if (config.existingOnly) await checkMigrated(db, `the database of DATABASE_URL`);
      else await migrate(db);
    } catch (error) {
      await db.close().catch(() => {});
      if (error instanceof ShgovError) throw error;
      throw new ShgovError("database.unavailable", describePostgresError(error, url), { cause: error });
    }
    return db;
  }
  if (config.dataDir === "memory://") {
    if (config.existingOnly) {
      throw new ShgovError(
        "store.empty",
        "DATA_DIR is memory://: an in-memory store holds nothing for this command to read",
      );
    }
    const db = await openPglite("memory://");
    await migrate(db);
    return db;
  }
  if (config.existingOnly) await checkDataDirHoldsData(config.dataDir);
  const release = await acquireDataDir(config.dataDir, { port: null, adminToken: null }).catch((error) => {
    if (error instanceof DataDirBusyError) throw error;
    throw new ShgovError(
      "data_dir.unusable",
      `DATA_DIR ${config.dataDir} cannot be used: ${(error as Error).message}`,
      { cause: error },
    );
  });
  try {
    const db = await openPglite(config.dataDir);
    if (config.existingOnly) await checkMigrated(db, `the data in ${config.dataDir} (DATA_DIR)`);
    else await migrate(db);
    return {
      ...db,
      async close() {
        await db.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    if (error instanceof ShgovError) throw error;
    throw new ShgovError(
      "data_dir.unusable",
      `DATA_DIR ${config.dataDir} cannot be opened as a PGlite database: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** PGlite writes PG_VERSION when it creates a data directory: without it there is no data. */
async function checkDataDirHoldsData(dataDir: string): Promise<void> {
  try {
    await access(join(dataDir, "PG_VERSION"));
  } catch {
    throw new ShgovError(
      "store.empty",
      `no data in ${dataDir} (DATA_DIR): nothing has been stored there; run shgov serve with this DATA_DIR first, or point DATA_DIR (or DATABASE_URL) at where the data is`,
    );
  }
}

/** The store a read command opens must have every migration this version knows. */
async function checkMigrated(db: Database, what: string): Promise<void> {
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  const [row] = await db.query<{ present: string | null }>(
    "SELECT to_regclass('schema_migrations')::text AS present",
  );
  if (!row?.present) {
    throw new ShgovError(
      "store.empty",
      `${what} has no securityhub-governor tables: run shgov serve against it first (it creates them), or point at where the data is`,
    );
  }
  const [applied] = await db.query<{ version: number | null }>(
    "SELECT max(version) AS version FROM schema_migrations",
  );
  const version = Number(applied?.version ?? 0);
  if (version < latest) {
    throw new ShgovError(
      "store.outdated",
      `${what} is at schema version ${version} and this shgov needs ${latest}: run shgov serve once (it migrates), then try again`,
    );
  }
}

export interface ServiceStore {
  db: Database;
  /**
   * Resolves once the store is migrated and reachable: at once for PGlite and for a PostgreSQL
   * that answered at start; later when PostgreSQL was away at start (it is retried until then).
   */
  ready: Promise<void>;
  /** False when PostgreSQL was away at start. */
  readyAtStart: boolean;
  close(): Promise<void>;
}

const STORE_RETRY_MS = 5_000;

/**
 * The store as `serve` opens it: a PostgreSQL that is away at start (down, restarting, failing
 * over) is waited for in the background, so that intake keeps accepting events into Redis; one
 * that is misconfigured (no such database, user refused) is refused at once, as openStore does.
 */
export async function openServiceStore(
  config: StoreConfig,
  onUnavailable: (message: string) => void,
): Promise<ServiceStore> {
  if (!config.databaseUrl) {
    const db = await openStore(config);
    return { db, ready: Promise.resolve(), readyAtStart: true, close: () => db.close() };
  }
  const url = config.databaseUrl;
  const db = openPostgres({ connectionString: url });
  /** Null once migrated; the error while PostgreSQL is away; throws when it is misconfigured. */
  const attempt = async (): Promise<unknown | null> => {
    try {
      await migrate(db);
      return null;
    } catch (error) {
      if (isPostgresUnavailable(error)) return error;
      throw new ShgovError("database.unavailable", describePostgresError(error, url), { cause: error });
    }
  };
  const firstError = await attempt().catch(async (error) => {
    await db.close().catch(() => {});
    throw error;
  });
  if (firstError === null)
    return { db, ready: Promise.resolve(), readyAtStart: true, close: () => db.close() };
  onUnavailable(describePostgresError(firstError, url));
  let closed = false;
  let wake: (() => void) | null = null;
  const ready = (async () => {
    while (!closed) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, STORE_RETRY_MS).unref();
      });
      if (closed) break;
      // A misconfiguration found once PostgreSQL answers is said, and retried too: the operator
      // fixes it while intake goes on.
      const error = await attempt().catch((refused: Error) => {
        onUnavailable(refused.message);
        return refused;
      });
      if (error === null) return;
    }
    throw new ShgovError("store.closed", "closed before the database was reachable");
  })();
  ready.catch(() => {});
  return {
    db,
    ready,
    readyAtStart: false,
    async close() {
      closed = true;
      wake?.();
      await db.close();
    },
  };
}
