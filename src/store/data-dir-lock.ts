import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { ShgovError } from "../errors.js";

/**
 * Embedded PGlite allows one process per data directory. The process that opens it writes this
 * file; others read it to find the running service (its port and admin token) and ask it instead.
 */
export interface DataDirOwner {
  pid: number;
  /** The pid means something only on its own host (two containers sharing a volume are both pid 1). */
  host: string;
  /** Port of the service's HTTP API, or null for a CLI command holding the directory briefly. */
  port: number | null;
  adminToken: string | null;
  startedAt: string;
}

export class DataDirBusyError extends ShgovError {
  override name = "DataDirBusyError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("store.data_dir_busy", message, options);
  }
}

function busyError(dataDir: string, owner: DataDirOwner | null): DataDirBusyError {
  if (!owner) {
    return new DataDirBusyError(`${dataDir} is being taken by another process at the same moment; try again`);
  }
  const where = owner.host && owner.host !== hostname() ? ` on host ${owner.host}` : "";
  return new DataDirBusyError(
    `${dataDir} is in use by process ${owner.pid}${where}${owner.port ? ` (shgov serve on port ${owner.port})` : ""}; ` +
      "embedded PGlite allows one process per data directory: stop it, or set DATABASE_URL to use PostgreSQL" +
      (where ? ` (if that host is gone, delete ${join(dataDir, LOCK_FILE)})` : ""),
  );
}

const LOCK_FILE = "shgov.lock.json";

/** Whether a process with this id runs on this host (EPERM: it does, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The process holding the data directory, if any. A lock left by a dead process of this host is
 * ignored; one from another host is taken as held, since its pid cannot be checked from here.
 */
export async function readDataDirOwner(dataDir: string): Promise<DataDirOwner | null> {
  try {
    const owner = JSON.parse(await readFile(join(dataDir, LOCK_FILE), "utf8")) as DataDirOwner;
    if (owner.host !== undefined && owner.host !== hostname()) return owner;
    return owner.pid !== process.pid && isAlive(owner.pid) ? owner : null;
  } catch {
    return null;
  }
}

export async function acquireDataDir(
  dataDir: string,
  owner: Omit<DataDirOwner, "pid" | "host" | "startedAt">,
): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const record: DataDirOwner = {
    ...owner,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
  };
  // Created exclusively (wx), so two processes starting together cannot both take the directory.
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, JSON.stringify(record), { mode: 0o600, flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (attempt > 0) throw busyError(dataDir, null);
      const current = await readDataDirOwner(dataDir);
      if (current) throw busyError(dataDir, current);
      await rm(path, { force: true }); // left by a process that is gone
    }
  }
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
