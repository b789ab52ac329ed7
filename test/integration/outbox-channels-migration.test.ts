import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.js";
import { MIGRATIONS, migrate } from "../../src/store/migrations.js";
import { listOutbox } from "../../src/store/outbox.js";
import { openPglite } from "../../src/store/pglite.js";

/**
 * Migration 9 on an outbox written before delivery channels: notify rows become Slack deliveries,
 * other effects get no channel, and each row's case version is read from its key once, here.
 */
describe("migration 9 on an outbox from before", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openPglite("memory://");
    await db.exec(
      "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    for (const migration of MIGRATIONS.filter((m) => m.version <= 8)) {
      await db.exec(migration.sql);
      await db.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
    }
    const rows: [string, string][] = [
      ["arn:case:a#3#0", "notify"],
      ["arn:case:a#3#1", "securityhub.update"],
      ["hand-made", "notify"],
    ];
    for (const [key, kind] of rows) {
      await db.query(
        `INSERT INTO outbox (key, case_id, kind, payload, status, available_at, created_at)
         VALUES ($1, 'arn:case:a', $2, $3::jsonb, 'pending', now(), now())`,
        [key, kind, JSON.stringify({ kind, caseId: "arn:case:a" })],
      );
    }
  });
  afterAll(async () => {
    await db.close();
  });

  it("gives notify rows the slack channel and every row the case version its key names", async () => {
    // Migration 9 and every one after it.
    expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version).filter((version) => version >= 9));
    const rows = await listOutbox(db);
    expect(rows.map((row) => [row.key, row.channel])).toEqual([
      ["arn:case:a#3#0", "slack"],
      ["arn:case:a#3#1", null],
      ["hand-made", "slack"],
    ]);
    const versions = await db.query<{ key: string; case_version: number | null }>(
      "SELECT key, case_version FROM outbox ORDER BY id",
    );
    expect(versions.map((row) => [row.key, row.case_version])).toEqual([
      ["arn:case:a#3#0", 3],
      ["arn:case:a#3#1", 3],
      ["hand-made", null],
    ]);
  });
});
