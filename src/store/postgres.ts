import pg from "pg";
import type { Database, Sql } from "./database.js";

export interface PostgresOptions {
  connectionString: string;
  maxConnections?: number;
}

export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  // Nor may a checked-out one (the server restarted, or ended the session): the query in flight
  // rejects with the same error, and that is where it is handled.
  pool.on("connect", (client) => client.on("error", () => {}));

  return {
    kind: "postgres",
    async query<Row>(text: string, params?: unknown[]) {
      const result = await pool.query(text, params as unknown[]);
      return result.rows as Row[];
    },
    async exec(text: string) {
      await pool.query(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const tx: Sql = {
          async query<Row>(text: string, params?: unknown[]) {
            return (await client.query(text, params as unknown[])).rows as Row[];
          },
        };
        const result = await fn(tx);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query("SELECT 1");
    },
    async close() {
      await pool.end();
    },
  };
}

/** host:port/database of a PostgreSQL URL, never its user's password: what messages may say. */
export function postgresAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || "localhost"}:${parsed.port || "5432"}${parsed.pathname || ""}`;
  } catch {
    return "the address in DATABASE_URL";
  }
}

/** One line a person can act on, for a failure to reach or use the PostgreSQL of DATABASE_URL. */
export function describePostgresError(error: unknown, url: string): string {
  const { code, message = String(error) } = error as { code?: string; message?: string };
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {}
  const hostPort = parsed ? `${parsed.hostname || "localhost"}:${parsed.port || "5432"}` : "DATABASE_URL";
  const database = parsed ? decodeURIComponent(parsed.pathname.replace(/^\//, "")) : "";
  const user = parsed ? decodeURIComponent(parsed.username) : "";
  switch (code) {
    case "ECONNREFUSED":
      return `PostgreSQL refused the connection at ${hostPort} (DATABASE_URL): is it running?`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `PostgreSQL host ${parsed?.hostname ?? ""} (DATABASE_URL) was not found`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `PostgreSQL at ${hostPort} (DATABASE_URL) cannot be reached from here`;
    case "3D000":
      return `PostgreSQL at ${hostPort} has no database "${database}" (DATABASE_URL): create it (createdb ${database}) or name another`;
    case "28P01":
    case "28000":
      return `PostgreSQL at ${hostPort} refused user "${user}" (DATABASE_URL): ${message}`;
    case "57P03":
      return `PostgreSQL at ${hostPort} (DATABASE_URL) is starting up or shutting down; try again shortly`;
  }
  if (/timeout/i.test(message)) {
    return `PostgreSQL at ${hostPort} (DATABASE_URL) did not answer in time`;
  }
  // The driver's and the server's messages name no password: said as they are.
  return `PostgreSQL at ${hostPort} (DATABASE_URL): ${message}`;
}

/**
 * The database is away (down, restarting, failing over, unreachable for now) rather than
 * misconfigured: worth waiting for. A missing database or a refused user is not.
 */
export function isPostgresUnavailable(error: unknown): boolean {
  const { code, message = "" } = error as { code?: string; message?: string };
  if (
    code &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/.test(code)
  )
    return true;
  // admin_shutdown, crash_shutdown, cannot_connect_now; connection_exception class 08.
  if (code && (/^57P0[123]$/.test(code) || code.startsWith("08"))) return true;
  return /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/.test(
    message,
  );
}
