import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Embedded PGlite allows one process per data directory. The process that opens it writes this
 * file; others read it to find the running service (its port and admin token) and ask it instead.
 */
export interface DataDirOwner {
  pid: number;
  /** Port of the service's HTTP API, or null for a CLI command holding the directory briefly. */
  port: number | null;
  adminToken: string | null;
  startedAt: string;
}

export class DataDirBusyError extends Error {
  override name = "DataDirBusyError";
}

const LOCK_FILE = "shgov.lock.json";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The live process holding the data directory, if any; a lock left by a dead process is ignored. */
export async function readDataDirOwner(dataDir: string): Promise<DataDirOwner | null> {
  try {
    const owner = JSON.parse(await readFile(join(dataDir, LOCK_FILE), "utf8")) as DataDirOwner;
    return owner.pid !== process.pid && isAlive(owner.pid) ? owner : null;
  } catch {
    return null;
  }
}

export async function acquireDataDir(
  dataDir: string,
  owner: Omit<DataDirOwner, "pid" | "startedAt">,
): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const current = await readDataDirOwner(dataDir);
  if (current) {
    throw new DataDirBusyError(
      `${dataDir} is in use by process ${current.pid}${current.port ? ` (shgov serve on port ${current.port})` : ""}; ` +
        "embedded PGlite allows one process per data directory: stop it, or set DATABASE_URL to use PostgreSQL",
    );
  }
  const record: DataDirOwner = { ...owner, pid: process.pid, startedAt: new Date().toISOString() };
  await writeFile(path, JSON.stringify(record), { mode: 0o600 });
  return async () => {
    const now = await readFile(path, "utf8").catch(() => null);
    if (now && (JSON.parse(now) as DataDirOwner).pid === process.pid) await rm(path, { force: true });
  };
}

/** Records the port and admin token once the service listens (they are unknown when the lock is taken). */
export async function announceDataDirService(
  dataDir: string,
  port: number,
  adminToken: string,
): Promise<void> {
  const path = join(dataDir, LOCK_FILE);
  const current = JSON.parse(await readFile(path, "utf8")) as DataDirOwner;
  if (current.pid !== process.pid) throw new DataDirBusyError(`${dataDir} is held by process ${current.pid}`);
  await writeFile(path, JSON.stringify({ ...current, port, adminToken }), { mode: 0o600 });
}
