import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvelope } from "../../src/intake/envelope.js";
import { actOnCase, type CaseActionsDeps, mayAct } from "../../src/shell/act-on-case.js";
import type { Membership } from "../../src/shell/membership.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { getCase } from "../../src/store/cases.js";
import type { Database } from "../../src/store/database.js";
import { openStore } from "../../src/store/open.js";
import { examplePolicy } from "../support/engine.js";
import { asffEvent } from "../support/events.js";

/**
 * The one use case for a person acting on a case, as Slack uses it (no team named: it comes from
 * membership) with a membership of the test's own: who is in which team is whatever the port says.
 */
const policy = examplePolicy();
const NOW = new Date("2026-11-21T12:00:00.000Z");
const EC2 = "arn:aws:securityhub:us-east-1:111111111111:security-control/EC2.7/finding/act";

/** A Membership port answering from a table, counting its calls. */
class TableMembership implements Membership {
  calls = 0;
  constructor(private readonly table: Record<string, string[]>) {}
  async teamsOf(user: string): Promise<string[]> {
    this.calls += 1;
    return this.table[user] ?? [];
  }
}

let db: Database;
let membership: TableMembership;
let deps: CaseActionsDeps;

beforeAll(async () => {
  db = await openStore({ dataDir: "memory://" });
  const parsed = parseEnvelope(asffEvent({ id: EC2, updatedAt: "2026-11-21T11:00:00.000Z" }, "e-act"));
  if (!parsed.ok) throw new Error("fixture did not parse");
  await observeFindings(db, policy, parsed.observations, () => NOW);
  membership = new TableMembership({
    U_SEC: ["security"],
    U_PLAT: ["platform"],
    U_BOTH: ["security", "platform"],
  });
  deps = { db, policy, membership, now: () => NOW };
});

afterAll(async () => {
  await db.close();
});

describe("acting on a case through the use case", () => {
  it("given no team named, when a member of the owner team claims, then the team comes from membership", async () => {
    const outcome = await actOnCase(deps, { caseRef: EC2, user: "U_SEC", action: { action: "claim" } });
    expect(outcome).toMatchObject({
      ok: true,
      team: "security",
      case: { assignee: { user: "U_SEC", team: "security" } },
    });
  });

  it("given someone in no team of the case, when they claim, then it is refused with team.not_member and the refusal is audited", async () => {
    const before = (await getCase(db, EC2))?.events.length ?? 0;
    const calls = membership.calls;
    const outcome = await actOnCase(deps, { caseRef: EC2, user: "U_NOBODY", action: { action: "claim" } });
    expect(outcome).toMatchObject({ ok: false, refusal: { code: "team.not_member" } });
    // Membership was asked once, before the case was locked.
    expect(membership.calls).toBe(calls + 1);
    const after = await getCase(db, EC2);
    expect(after?.events).toHaveLength(before + 1);
    expect(after?.events.at(-1)).toMatchObject({
      type: "action.refused",
      actor: "U_NOBODY",
      data: { code: "team.not_member", action: "claim", by: { user: "U_NOBODY", team: "(none)" } },
    });
  });

  it("given a request by security, when someone membership puts in both teams approves, then the engine refuses it as separation of duties", async () => {
    const requested = await actOnCase(deps, {
      caseRef: EC2,
      user: "U_SEC",
      action: {
        action: "exception_request",
        justification: "vendor fix pending",
        expiresAt: "2026-12-10T00:00:00.000Z",
      },
    });
    expect(requested.ok).toBe(true);
    const outcome = await actOnCase(deps, {
      caseRef: EC2,
      user: "U_BOTH",
      action: { action: "exception_approve", reason: null },
    });
    expect(outcome).toMatchObject({
      ok: false,
      refusal: {
        code: "exception.separation_of_duties",
        message: "U_BOTH belongs to team security, which requested exception EXC-1; they cannot decide it",
      },
    });
    const approved = await actOnCase(deps, {
      caseRef: EC2,
      user: "U_PLAT",
      action: { action: "exception_approve", reason: null },
    });
    expect(approved).toMatchObject({ ok: true, team: "platform", case: { status: "excepted" } });
  });

  it("given a case reference nobody has, then the refusal is case.missing and nothing is written", async () => {
    const outcome = await actOnCase(deps, { caseRef: "SHG-999", user: "U_SEC", action: { action: "claim" } });
    expect(outcome).toEqual({
      ok: false,
      refusal: { code: "case.missing", message: "there is no case SHG-999" },
      before: null,
      case: null,
      events: [],
    });
  });

  it("given a form about to open, when the person may act for no candidate team, then mayAct refuses and audits it", async () => {
    const may = await mayAct(deps, { caseRef: EC2, user: "U_NOBODY", kind: "exception_request" });
    expect(may).toMatchObject({ ok: false, refusal: { code: "team.not_member" } });
    expect((await getCase(db, EC2))?.events.at(-1)).toMatchObject({
      type: "action.refused",
      actor: "U_NOBODY",
    });
    expect(await mayAct(deps, { caseRef: EC2, user: "U_PLAT", kind: "exception_request" })).toMatchObject({
      ok: true,
      team: "platform",
    });
  });
});
