import { execFile } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../src/demo/redis-server.js";

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster (initdb) on a free port, for tests that stop or break the
 * database: the machine's shared server is never touched. Run as the `postgres` user when the
 * tests run as root, since PostgreSQL refuses to run as root.
 */
export interface PrivatePostgres {
  url: string;
  port: number;
  start(): Promise<void>;
  /** Fast shutdown: sessions are ended, as in a restart or failover. */
  stop(): Promise<void>;
  /** Stops it and deletes its files. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (!newest) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql");
  return join("/usr/lib/postgresql", newest, "bin");
}

async function asPostgres(command: string, args: string[]): Promise<void> {
  const asRoot = userInfo().uid === 0;
  const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  await run(file, argv as string[], { timeout: 60_000 });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "shgov-pg-"));
  const data = join(dir, "data");
  if (userInfo().uid === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  chmodSync(dir, 0o700);
  await asPostgres(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  const port = await freePort();
  const pgCtl = join(bin, "pg_ctl");
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const self: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () => asPostgres(pgCtl, ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]),
    stop: () => asPostgres(pgCtl, ["-D", data, "-m", "fast", "-w", "stop"]),
    async destroy() {
      await self.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}
