import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCase } from "../../src/store/cases.js";
import { runCli } from "../support/cli.js";
import { eksEvent, REPO_ROOT, realAsffEvent } from "../support/events.js";
import { eventually, postEvent } from "../support/http.js";
import { startTestService, TEST_API_KEY, type TestService } from "../support/service.js";

/** Human inputs from the CLI (until Slack carries them), decided by the engine against PostgreSQL. */
let t: TestService;
let env: Record<string, string>;
let ec2Id: string;
let eksId: string;
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  t = await startTestService({ store: "postgres", workflowsDir: join(REPO_ROOT, "test/fixtures/policy") });
  env = { DATABASE_URL: t.env.DATABASE_URL ?? "", WORKFLOWS_DIR: t.env.WORKFLOWS_DIR };
  const ec2 = realAsffEvent() as { detail: { findings: { Id: string }[] } };
  ec2Id = ec2.detail.findings[0]?.Id ?? "";
  const eks = eksEvent({
    kubernetes: "1.35",
    updatedAt: new Date().toISOString(),
    firstObservedAt: new Date().toISOString(),
  });
  eksId = (eks.detail.findings[0] as { Id: string }).Id;
  for (const event of [ec2, eks])
    expect((await postEvent(t.url, event, { apiKey: TEST_API_KEY })).status).toBe(202);
  await eventually(async () =>
    (await t.service.db.query("SELECT id FROM cases")).length === 2 ? true : undefined,
  );
});
afterAll(async () => t.stop());

const as = (user: string, team: string) => ["--as", user, "--team", team];

describe("shgov exception", () => {
  it("a request by the owner team is recorded and the approver team is told", async () => {
    const result = await runCli(
      [
        "exception",
        "request",
        ec2Id,
        ...as("U0SAM", "security"),
        "--until",
        inDays(30),
        "--justification",
        "compensating control: EBS default encryption is enforced by SCP",
      ],
      env,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("exception.requested");
    expect(result.stdout).toContain("notify platform:");
  });

  it("the requester's own team cannot approve it: refused with the reason, exit 1, only the refusal recorded", async () => {
    const before = (await getCase(t.service.db, ec2Id))?.events.length ?? 0;
    const result = await runCli(["exception", "approve", ec2Id, ...as("U0SECLEAD", "security")], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "refused: U0SECLEAD belongs to team security, which requested exception EXC-1; they cannot decide it",
    );
    const after = await getCase(t.service.db, ec2Id);
    expect(after?.events.length).toBe(before + 1);
    expect(after?.events.at(-1)).toMatchObject({
      type: "action.refused",
      actor: "U0SECLEAD",
      data: { action: "exception_approve", by: { user: "U0SECLEAD", team: "security" } },
    });
    expect(after?.case.exception?.status).toBe("requested");
  });

  it("the counterpart approves: the bot will set SUPPRESSED with a note naming the exception", async () => {
    const result = await runCli(["exception", "approve", ec2Id, ...as("U0PAT", "platform"), "--json"], env);
    expect(result.code).toBe(0);
    const decided = JSON.parse(result.stdout) as {
      effects: { kind: string; workflowStatus?: string; note?: string }[];
    };
    const update = decided.effects.find((effect) => effect.kind === "securityhub.update");
    expect(update).toMatchObject({ workflowStatus: "SUPPRESSED" });
    expect(update?.note).toContain("EXC-1");
    expect((await getCase(t.service.db, ec2Id))?.case.status).toBe("excepted");
  });

  it("an expiry beyond the policy's max_duration is refused", async () => {
    const result = await runCli(
      [
        "exception",
        "request",
        eksId,
        ...as("U0PAT", "platform"),
        "--until",
        inDays(200),
        "--justification",
        "later",
      ],
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("beyond the policy's maximum");
  });

  it("a malformed date is refused before the engine sees it, naming the field", async () => {
    const result = await runCli(
      [
        "exception",
        "request",
        eksId,
        ...as("U0PAT", "platform"),
        "--until",
        "next week",
        "--justification",
        "x",
      ],
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("expires: expected a date YYYY-MM-DD or an ISO 8601 time");
  });
});

describe("shgov date and claim", () => {
  it("propose, agree twice (the second is refused), and claim", async () => {
    const late = await runCli(["date", "propose", eksId, "2027-04-01", ...as("U0PAT", "platform")], env);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain("not before the deadline 2027-03-27 (EKS 1.35 end of standard support)");
    const proposed = await runCli(["date", "propose", eksId, inDays(40), ...as("U0PAT", "platform")], env);
    expect(proposed.code).toBe(0);
    expect(proposed.stdout).toContain("date.proposed");
    const agreed = await runCli(["date", "agree", eksId, inDays(40), ...as("U0SAM", "security")], env);
    expect(agreed.code).toBe(0);
    const ref = (await getCase(t.service.db, eksId))?.ref;
    expect(ref).toMatch(/^SHG-\d+$/);
    expect(agreed.stdout).toContain(`case ${ref}: date_agreed`);
    const again = await runCli(["date", "agree", eksId, ...as("U0SAM", "security")], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`the date ${inDays(40)} is already agreed`);
    const claimed = await runCli(["claim", eksId, ...as("U0PAT", "platform")], env);
    expect(claimed.code).toBe(0);
    expect((await getCase(t.service.db, eksId))?.case.assignee).toMatchObject({
      user: "U0PAT",
      team: "platform",
    });
  });

  it("a date on a case with no upgrade-date rule is refused", async () => {
    const result = await runCli(["date", "propose", ec2Id, inDays(10), ...as("U0SAM", "security")], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("needs no upgrade date");
  });

  it("an unknown case is refused", async () => {
    const result = await runCli(["claim", "arn:nope", ...as("U0SAM", "security")], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no case arn:nope");
  });

  it("every action command takes the human id (SHG-n in any case, or n) as well as the finding id", async () => {
    const ref = async (id: string) => `SHG-${(await getCase(t.service.db, id))?.case.number}`;
    const ec2 = await ref(ec2Id);
    const eks = await ref(eksId);
    const claimed = await runCli(["claim", ec2, ...as("U0SAM", "security")], env);
    expect(claimed.stderr).toBe("");
    expect(claimed.stdout).toContain("case.claimed");
    expect((await getCase(t.service.db, ec2))?.case.assignee).toMatchObject({ user: "U0SAM" });
    const proposed = await runCli(
      ["date", "propose", eks.toLowerCase(), inDays(20), ...as("U0PAT", "platform")],
      env,
    );
    expect(proposed.stderr).toBe("");
    expect(proposed.stdout).toContain("date.proposed");
    const countered = await runCli(
      ["date", "counter", eks.slice("SHG-".length), inDays(21), ...as("U0SAM", "security")],
      env,
    );
    expect(countered.stderr).toBe("");
    expect(countered.stdout).toContain("date.countered");
    const unknown = await runCli(["exception", "approve", "SHG-999", ...as("U0PAT", "platform")], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no case SHG-999");
  }, 120_000);

  it("--help of each command says what it does", async () => {
    const result = await runCli(["exception", "request", "--help"]);
    expect(result.stdout).toContain("--justification <text>");
    expect(result.stdout).toContain("--as <user>");
  });
});
