import { ShgovError } from "../errors.js";
import { DataDirBusyError } from "../store/data-dir-lock.js";
import { MIGRATIONS } from "../store/migrations.js";
import { openStore } from "../store/open.js";
import { type CheckResult, fail, ok, warn } from "./check.js";

/** The database answers and has every migration this version knows (serve applies them at start). */
export async function storeChecks(databaseUrl: string | undefined, dataDir: string): Promise<CheckResult[]> {
  const where = databaseUrl ? "PostgreSQL (DATABASE_URL)" : `PGlite in ${dataDir} (DATA_DIR)`;
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  try {
    const db = await openStore({ databaseUrl, dataDir, existingOnly: true });
    await db.close();
    return [ok("database", `${where} answers, at schema version ${latest}`)];
  } catch (error) {
    if (error instanceof DataDirBusyError) return [ok("database", `${where} is held by the running service`)];
    if (error instanceof ShgovError && (error.code === "store.empty" || error.code === "store.outdated")) {
      return [warn("database", error.message, "start shgov serve: it creates or migrates the schema")];
    }
    return [
      fail("database", (error as Error).message, "start the database or correct DATABASE_URL / DATA_DIR"),
    ];
  }
}
