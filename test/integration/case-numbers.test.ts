import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../../src/engine/case.js";
import { parseCaseRef } from "../../src/engine/case-ref.js";
import { adminRoutes } from "../../src/http/admin-api.js";
import { createHttpServer } from "../../src/http/server.js";
import { type Observation, parseEnvelope } from "../../src/intake/envelope.js";
import { PolicyMembership } from "../../src/shell/membership.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { verifyAudit } from "../../src/store/audit-verify.js";
import { findCase, getCase, listCases, loadCases, resolveCaseId, saveCases } from "../../src/store/cases.js";
import type { Database } from "../../src/store/database.js";
import { MIGRATIONS, migrate } from "../../src/store/migrations.js";
import { openStore } from "../../src/store/open.js";
import { openPglite } from "../../src/store/pglite.js";
import { openPostgres } from "../../src/store/postgres.js";
import { actAs } from "../support/act.js";
import { examplePolicy, finding, givenWhen, observed } from "../support/engine.js";
import { asffEvent, type FindingVersion } from "../support/events.js";
import { createTestDatabase } from "../support/postgres.js";
import { openTestStore, STORE_KINDS, type StoreKind } from "../support/stores.js";

/**
 * Case numbers (SHG-42): given once when a case is first saved, never changed, no number burned by
 * an update, never one number for two cases under concurrent writers; and the one resolver of the
 * ids people type. Real PostgreSQL and PGlite.
 */
const policy = examplePolicy();
const arn = (name: string) =>
  `arn:aws:securityhub:us-east-1:111111111111:security-control/EC2.7/finding/${name}`;

function observationOf(version: FindingVersion, eventId?: string): Observation {
  const result = parseEnvelope(asffEvent(version, eventId));
  if (!result.ok || !result.observations[0]) throw new Error("fixture did not parse");
  return result.observations[0];
}

/** A clock that moves a minute at each reading, so cases of one batch are opened one after the other. */
function tickingClock(start = "2026-11-21T12:00:00.000Z"): () => Date {
  let t = Date.parse(start);
  return () => {
    t += 60_000;
    return new Date(t);
  };
}

async function numbers(db: Database): Promise<Record<string, number>> {
  const rows = await db.query<{ id: string; number: number }>("SELECT id, number FROM cases ORDER BY number");
  return Object.fromEntries(rows.map((row) => [row.id, Number(row.number)]));
}

async function lastDrawn(db: Database): Promise<number> {
  const rows = await db.query<{ last_value: string | number; is_called: boolean }>(
    "SELECT last_value, is_called FROM case_number_seq",
  );
  const row = rows[0];
  return row?.is_called ? Number(row.last_value) : 0;
}

describe("case refs as people type them", () => {
  it("reads SHG-42 (the prefix in any case) and 42, and nothing else", () => {
    expect(["SHG-42", "shg-42", "Shg-42", " SHG-42 ", "42", "SHG-042"].map(parseCaseRef)).toEqual([
      42, 42, 42, 42, 42, 42,
    ]);
    expect(
      [
        "SHG-0",
        "0",
        "SHG-",
        "SHG42",
        "SHG-4x",
        "-4",
        "4.2",
        "SHG-99999999999",
        "2147483648",
        "arn:x:42",
        "",
      ].map(parseCaseRef),
    ).toEqual(Array(11).fill(null));
    expect(parseCaseRef("2147483647")).toBe(2_147_483_647);
  });
});

describe.each(STORE_KINDS)("case numbers: %s", (kind: StoreKind) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  const clock = tickingClock();

  beforeAll(async () => {
    ({ db, cleanup } = await openTestStore(kind));
  });
  afterAll(async () => cleanup());

  it("numbers new cases once, in the order they were opened, and keeps each number over every update; updates burn none", async () => {
    // One batch, opened in the order c, a, b (the clock moves at each observation).
    const outcomes = await observeFindings(
      db,
      policy,
      [
        observationOf({ id: arn("c") }, "e-c"),
        observationOf({ id: arn("a") }, "e-a"),
        observationOf({ id: arn("b") }, "e-b"),
      ],
      clock,
    );
    expect(outcomes).toEqual(["applied", "applied", "applied"]);
    expect(await numbers(db)).toEqual({ [arn("c")]: 1, [arn("a")]: 2, [arn("b")]: 3 });

    // Updates: new versions of every finding, the timer sweep's kind of save, and people's actions.
    for (let round = 1; round <= 3; round++) {
      const updatedAt = `2026-11-2${round}T10:00:00.000Z`;
      await observeFindings(
        db,
        policy,
        ["a", "b", "c"].map((name) =>
          observationOf({ id: arn(name), updatedAt, title: `round ${round}` }, `e-${name}-${round}`),
        ),
        clock,
      );
    }
    const claimed = await actAs(
      db,
      policy,
      "SHG-2",
      { type: "human", action: "claim", user: "U0SAM", team: "security" },
      clock,
    );
    expect(claimed.rejection).toBeNull();
    expect(claimed.case).toMatchObject({ id: arn("a"), number: 2, assignee: { user: "U0SAM" } });
    expect(await numbers(db)).toEqual({ [arn("c")]: 1, [arn("a")]: 2, [arn("b")]: 3 });
    expect((await getCase(db, arn("b")))?.case.title).toBe("round 3");
    expect(await lastDrawn(db)).toBe(3);

    // The number has one home: its column. The stored JSON leaves it out; readers get it attached.
    const copies = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM cases WHERE state ? 'number'",
    );
    expect(copies[0]?.n).toBe(0);
    const loaded = await loadCases(db, [arn("a"), arn("b"), arn("c")]);
    expect([...loaded.values()].map((stored) => [stored.state.id, stored.state.number])).toEqual(
      expect.arrayContaining([
        [arn("c"), 1],
        [arn("a"), 2],
        [arn("b"), 3],
      ]),
    );

    // The next new case takes the next number: no gap.
    await observeFindings(db, policy, [observationOf({ id: arn("d") }, "e-d")], clock);
    expect((await numbers(db))[arn("d")]).toBe(4);
    // The audit log is untouched by numbering.
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it("resolves SHG-n in any case, n and the finding id to the case's key; unknown ids to null", async () => {
    for (const ref of ["SHG-2", "shg-2", "2", " SHG-2", arn("a")]) {
      expect(await resolveCaseId(db, ref), ref).toBe(arn("a"));
    }
    for (const ref of ["SHG-999", "999", "SHG-0", "SHG-2x", "99999999999", arn("nope"), ""]) {
      expect(await resolveCaseId(db, ref), ref).toBeNull();
      expect(await findCase(db, ref), ref).toBeNull();
      expect(await getCase(db, ref), ref).toBeNull();
    }
  });

  it("lets an exact finding id win over a number, so no finding is unreachable", async () => {
    // A custom provider's finding whose id reads as a number: "1" is that finding, SHG-1 is case 1.
    await observeFindings(db, policy, [observationOf({ id: "1" }, "e-one")], clock);
    const own = (await numbers(db))["1"];
    expect(own).toBe(5);
    expect(await resolveCaseId(db, "1")).toBe("1");
    expect(await resolveCaseId(db, "SHG-1")).toBe(arn("c"));
    expect(await resolveCaseId(db, "SHG-5")).toBe("1");
  });

  it("getCase, listCases and actOnCase take the human id; the summaries and the detail carry it as ref", async () => {
    const detail = await getCase(db, "shg-3");
    expect(detail).toMatchObject({ ref: "SHG-3", case: { id: arn("b"), number: 3 } });
    expect(detail?.events[0]?.type).toBe("case.opened");
    const listed = await listCases(db);
    expect(listed.find((c) => c.id === arn("b"))?.ref).toBe("SHG-3");
    expect(new Set(listed.map((c) => c.ref)).size).toBe(listed.length);

    const unknown = await actAs(
      db,
      policy,
      "SHG-999",
      { type: "human", action: "claim", user: "U0SAM", team: "security" },
      clock,
    );
    expect(unknown).toMatchObject({ rejection: "there is no case SHG-999", case: null, events: [] });
    const refused = await actAs(
      db,
      policy,
      "3",
      { type: "human", action: "exception_approve", user: "U0SAM", team: "security", reason: null },
      clock,
    );
    // Refused by the rules (nothing to approve), and the refusal is audited on case 3.
    expect(refused.rejection).toMatch(/exception/);
    expect((await getCase(db, arn("b")))?.events.at(-1)?.type).toBe("action.refused");
    expect(await verifyAudit(db, { caseId: "SHG-3" })).toMatchObject({
      ok: true,
      caseId: arn("b"),
      casesChecked: 1,
    });
  });
});

describe.each(STORE_KINDS)("migration 6 on a database from before: %s", (kind: StoreKind) => {
  let db: Database;
  let drop: () => Promise<void> = async () => {};

  beforeAll(async () => {
    if (kind === "pglite") db = await openPglite("memory://");
    else {
      const database = await createTestDatabase();
      db = openPostgres({ connectionString: database.url });
      drop = database.drop;
    }
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it("numbers the existing cases by (opened_at, id) and continues after them", async () => {
    // The schema as released before case numbers: migrations 1 to 5.
    await db.exec(
      "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    for (const migration of MIGRATIONS.filter((m) => m.version <= 5)) {
      await db.exec(migration.sql);
      await db.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
    }
    // Cases saved by that version: opened z first, then x and y at the same instant.
    const opened: [string, string][] = [
      ["y", "2026-11-02T00:00:00.000Z"],
      ["z", "2026-11-01T00:00:00.000Z"],
      ["x", "2026-11-02T00:00:00.000Z"],
    ];
    for (const [name, at] of opened) {
      const c = caseOf(arn(name), at);
      await db.query(
        `INSERT INTO cases (id, control_id, severity, title, account_id, region, resource_id, owner_team,
           counterpart_team, status, sla_due_at, next_due_at, opened_at, updated_at, version, audit_head, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $12, $13, 'head', $14::jsonb)`,
        [
          c.id,
          c.controlId,
          c.severity,
          c.title,
          c.accountId,
          c.region,
          c.resourceId,
          c.owner,
          c.counterpart,
          c.status,
          c.slaDueAt,
          at,
          c.version,
          JSON.stringify({ ...c, number: undefined }),
        ],
      );
    }

    expect(await migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version > 5).map((m) => m.version));
    expect(await numbers(db)).toEqual({ [arn("z")]: 1, [arn("x")]: 2, [arn("y")]: 3 });
    expect((await findCase(db, "SHG-2"))?.id).toBe(arn("x"));

    await db.transaction((tx) =>
      saveCases(tx, [
        { state: caseOf(arn("w"), "2026-11-03T00:00:00.000Z"), auditHead: "h", nextDueAt: null },
      ]),
    );
    expect((await numbers(db))[arn("w")]).toBe(4);
    // A second start migrates nothing and renumbers nothing.
    expect(await migrate(db)).toEqual([]);
    expect(Object.values(await numbers(db))).toEqual([1, 2, 3, 4]);
  });
});

/** A case as the engine opens it for a finding `id`, opened at `at`. */
function caseOf(id: string, at: string): Case {
  const { after } = givenWhen(policy, [], observed(finding({ id })), at);
  if (!after) throw new Error("no case");
  return after;
}

describe("case numbers with concurrent writers (PostgreSQL, two connection pools)", () => {
  let first: Database;
  let second: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    first = await openStore({ databaseUrl: database.url, dataDir: "unused" });
    second = await openStore({ databaseUrl: database.url, dataDir: "unused" });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await drop?.();
  });

  const save = (db: Database, states: Case[], holdMs = 0) =>
    db.transaction(async (tx) => {
      await saveCases(
        tx,
        states.map((state) => ({ state, auditHead: "h", nextDueAt: null })),
      );
      if (holdMs > 0) await tx.query(`SELECT pg_sleep(${holdMs / 1000})`);
    });

  it("never gives one number to two cases nor two numbers to one case, even when both insert the same new cases", async () => {
    const at = "2026-11-21T12:00:00.000Z";
    const assigned = new Map<string, number>();
    for (let round = 0; round < 8; round++) {
      const own = (who: string) =>
        Array.from({ length: 30 }, (_, i) => caseOf(arn(`${who}-${round}-${i}`), at));
      const shared = Array.from({ length: 15 }, (_, i) => caseOf(arn(`shared-${round}-${i}`), at));
      // The first holds its transaction open after inserting, so the second meets the shared cases
      // uncommitted, waits, and must take the update path: the worst case the sequence can meet.
      const hold = round % 2 === 0 ? 150 : 0;
      await Promise.all([
        save(first, [...own("first"), ...shared], hold),
        (async () => {
          if (hold > 0) await new Promise((resolve) => setTimeout(resolve, 30));
          await save(second, [...shared.slice().reverse(), ...own("second")]);
        })(),
      ]);
      for (const [id, number] of Object.entries(await numbers(first))) {
        // Once given, a case's number stays whatever the other writer did after.
        if (assigned.has(id)) expect(number, id).toBe(assigned.get(id));
        assigned.set(id, number);
      }
    }
    const rows = await first.query<{ cases: number; numbers: number }>(
      "SELECT count(*)::int AS cases, count(DISTINCT number)::int AS numbers FROM cases",
    );
    expect(rows[0]).toEqual({ cases: 8 * 75, numbers: 8 * 75 });

    // The race was met: the writer that lost an insert drew a number it did not use.
    const drawn = await lastDrawn(first);
    expect(drawn).toBeGreaterThanOrEqual(8 * 75 + 15);

    // Both writers update every case at once: no number moves and none is drawn.
    const everything = [...assigned.keys()].map((id) => ({ ...caseOf(id, at), title: "updated" }));
    await Promise.all([save(first, everything), save(second, everything.slice().reverse())]);
    expect(await numbers(first)).toEqual(Object.fromEntries(assigned));
    expect(await lastDrawn(first)).toBe(drawn);
    const titles = await first.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM cases WHERE title = 'updated'",
    );
    expect(titles[0]?.n).toBe(8 * 75);
  });
});

describe("the admin API takes the human id beside the finding id (PGlite)", () => {
  const TOKEN = "admin-token-for-case-numbers";
  const clock = tickingClock();
  let db: Database;
  let cleanup: () => Promise<void>;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    ({ db, cleanup } = await openTestStore("pglite"));
    await observeFindings(
      db,
      policy,
      [observationOf({ id: arn("api-1") }, "e-1"), observationOf({ id: arn("api-2") }, "e-2")],
      clock,
    );
    server = createHttpServer(
      adminRoutes(db, TOKEN, { policy, membership: new PolicyMembership(policy), now: clock }),
      pino({ level: "silent" }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await cleanup?.();
  });

  const call = async (path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("GET /api/cases lists each case with its ref, and GET /api/cases/ID answers SHG-2, shg-2, 2 and the ARN alike", async () => {
    const list = await call("/api/cases");
    expect((list.body.cases as { ref: string; id: string }[]).map((c) => [c.ref, c.id]).sort()).toEqual([
      ["SHG-1", arn("api-1")],
      ["SHG-2", arn("api-2")],
    ]);
    for (const ref of ["SHG-2", "shg-2", "2", arn("api-2")]) {
      const answer = await call(`/api/cases/${encodeURIComponent(ref)}`);
      expect(answer.status, ref).toBe(200);
      expect(answer.body, ref).toMatchObject({ ref: "SHG-2", case: { id: arn("api-2"), number: 2 } });
    }
    expect(await call("/api/cases/SHG-999")).toMatchObject({
      status: 404,
      body: { error: "not_found", message: "no case SHG-999" },
    });
  });

  it("POST /api/cases/ID/actions acts on the case a human id names, and names an unknown one", async () => {
    const claimed = await call("/api/cases/shg-1/actions", {
      action: "claim",
      user: "U0SAM",
      team: "security",
    });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({
      case: { id: arn("api-1"), number: 1, assignee: { user: "U0SAM" } },
    });
    const byArn = await call(`/api/cases/${encodeURIComponent(arn("api-2"))}/actions`, {
      action: "claim",
      user: "U0PAT",
      team: "security",
    });
    expect(byArn.status).toBe(200);
    expect((await getCase(db, "SHG-2"))?.case.assignee?.user).toBe("U0PAT");
    expect(
      await call("/api/cases/SHG-999/actions", { action: "claim", user: "U0SAM", team: "security" }),
    ).toMatchObject({
      status: 404,
      body: { error: "not_found", message: "no case SHG-999" },
    });
    // A refusal answers 409 with its code and, when it has one, the field it concerns.
    expect(
      await call("/api/cases/SHG-1/actions", {
        action: "exception_request",
        user: "U0SAM",
        team: "security",
        justification: "later",
        expires: "2030-01-01",
      }),
    ).toMatchObject({
      status: 409,
      body: { error: "refused", code: "expiry.beyond_maximum", field: "expiry" },
    });
    const verify = await call("/api/audit/verify?case=SHG-1");
    expect(verify.body).toMatchObject({ ok: true, caseId: arn("api-1"), casesChecked: 1 });
  });
});
