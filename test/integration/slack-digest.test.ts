import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseEnvelope } from "../../src/intake/envelope.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { createSlackClient } from "../../src/slack/client.js";
import { type DigestOutcome, postDigests } from "../../src/slack/digest.js";
import type { Database } from "../../src/store/database.js";
import { examplePolicy } from "../support/engine.js";
import { asffEvent, type FindingVersion } from "../support/events.js";
import { type FakeSlack, type FakeSlackMessage, startFakeSlack } from "../support/fake-slack.js";
import { storePerFile } from "../support/stores.js";

/**
 * The digest of findings below the per-finding threshold (HIGH in the example policy), posted to a
 * fake Slack through the real WebClient. EKS.2 routes to platform, everything else to security.
 * Time is a variable: findings are observed at `clock`, digests run at a later instant.
 */
const policy = examplePolicy();
const CHANNEL = { security: "C0SECURITY", platform: "C0PLATFORM" } as const;
const MINUTE = 60_000;
const T0 = Date.parse("2026-11-21T12:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * MINUTE);
const logger = pino({ level: process.env.TEST_LOG ?? "silent" });

let db: Database;
const stores = storePerFile("pglite");
let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack({ perChannelIntervalMs: 50, burst: 3 });
});
afterAll(async () => {
  await fake.close();
  await stores.close();
});
beforeEach(async () => {
  db = await stores.fresh();
  fake.reset();
  fake.clearFailures();
});

/** Observes the findings at `when` (the cases' opened_at). */
async function observe(versions: FindingVersion[], when: Date): Promise<void> {
  const observations = versions.map((version, index) => {
    const parsed = parseEnvelope(asffEvent(version, `event-${version.id}-${index}`));
    if (!parsed.ok || !parsed.observations[0]) throw new Error("fixture did not parse");
    return parsed.observations[0];
  });
  const outcomes = await observeFindings(db, policy, observations, () => when);
  expect(outcomes.every((outcome) => outcome === "applied")).toBe(true);
}

function digests(now: Date) {
  return postDigests({
    db,
    policy,
    client: createSlackClient({ token: "xoxb-test", slackApiUrl: fake.url }),
    logger,
    now,
  });
}

const outcomeOf = (outcomes: DigestOutcome[], team: string) => outcomes.find((o) => o.team === team);
const blocksText = (message: FakeSlackMessage | undefined) => JSON.stringify(message?.blocks ?? null);
const hours = (n: number) => new Date(Date.parse("2026-10-01T00:00:00.000Z") + n * 3_600_000).toISOString();

/**
 * 40 findings below HIGH: 26 for security (EC2.7 and S3.8, MEDIUM and LOW), 14 for platform
 * (EKS.2), first observed an hour apart in a shuffled order so that "oldest" is not the input
 * order; plus 2 HIGH ones (announced one by one, not digested) and 2 INFORMATIONAL ones (no SLA:
 * counted separately).
 */
function burst(prefix: string): FindingVersion[] {
  const below: FindingVersion[] = Array.from({ length: 40 }, (_, i) => {
    const platform = i % 3 === 0; // 14 of them
    return {
      id: `arn:test:${prefix}:${String(i).padStart(2, "0")}`,
      controlId: platform ? "EKS.2" : i % 2 === 0 ? "EC2.7" : "S3.8",
      severity: i % 4 === 1 ? "LOW" : "MEDIUM",
      // Reversed in time: finding 39 is the oldest.
      firstObservedAt: hours(100 - i),
      title: `${prefix} finding ${i}`,
    };
  });
  return [
    ...below,
    { id: `arn:test:${prefix}:high-1`, controlId: "EC2.7", severity: "HIGH", firstObservedAt: hours(0) },
    { id: `arn:test:${prefix}:high-2`, controlId: "EKS.2", severity: "CRITICAL", firstObservedAt: hours(0) },
    {
      id: `arn:test:${prefix}:info-1`,
      controlId: "EC2.7",
      severity: "INFORMATIONAL",
      firstObservedAt: hours(0),
    },
    {
      id: `arn:test:${prefix}:info-2`,
      controlId: "EKS.2",
      severity: "INFORMATIONAL",
      firstObservedAt: hours(0),
    },
  ];
}

/** What the burst should digest, per owner team. */
function expected(versions: FindingVersion[], team: "security" | "platform") {
  const mine = versions.filter(
    (v) =>
      (v.controlId === "EKS.2") === (team === "platform") &&
      (v.severity === "MEDIUM" || v.severity === "LOW"),
  );
  const count = (f: (v: FindingVersion) => boolean) => mine.filter(f).length;
  const oldest = [...mine]
    .sort((a, b) => String(a.firstObservedAt).localeCompare(String(b.firstObservedAt)))
    .slice(0, 5)
    .map((v) => v.title);
  return {
    total: mine.length,
    bySeverity: Object.fromEntries(
      (["MEDIUM", "LOW"] as const)
        .map((s) => [s, count((v) => v.severity === s)] as const)
        .filter(([, n]) => n > 0),
    ),
    controls: Object.fromEntries(
      [...new Set(mine.map((v) => v.controlId))].map((c) => [c, count((v) => v.controlId === c)]),
    ),
    oldest,
    rest: mine.map((v) => v.title).filter((title) => !oldest.includes(title)),
  };
}

describe("digests of findings below the per-finding threshold", () => {
  it("posts exactly one digest per team with the counts and the 5 oldest; a second run posts nothing", async () => {
    const versions = burst("a");
    await observe(versions, at(0));
    const outcomes = await digests(at(15));

    expect(fake.calls("chat.postMessage")).toHaveLength(2);
    for (const team of ["security", "platform"] as const) {
      const want = expected(versions, team);
      const outcome = outcomeOf(outcomes, team);
      expect(outcome?.outcome).toBe("posted");
      if (outcome?.outcome !== "posted") continue;
      expect(outcome.digest.total).toBe(want.total);
      expect(outcome.digest.bySeverity).toEqual(want.bySeverity);
      expect(Object.fromEntries(outcome.digest.byControl.map((c) => [c.controlId, c.count]))).toEqual(
        want.controls,
      );
      expect(outcome.digest.untracked).toBe(1);
      expect(outcome.digest.oldest.map((item) => item.title)).toEqual(want.oldest);
      expect(outcome.digest.oldest.every((item) => item.slaDueAt !== null)).toBe(true);

      const messages = fake.messages(CHANNEL[team]);
      expect(messages).toHaveLength(1);
      const text = blocksText(messages[0]);
      expect(messages[0]?.ts).toBe(outcome.ts);
      for (const [severity, n] of Object.entries(want.bySeverity))
        expect(text).toContain(`*${severity}*\\n${n}`);
      for (const [control, n] of Object.entries(want.controls)) expect(text).toContain(`\`${control}\` ${n}`);
      for (const title of want.oldest) expect(text).toContain(title);
      for (const title of want.rest) expect(text).not.toContain(`${title}>`);
      expect(text).not.toContain("HIGH*");
      expect(text).not.toContain("CRITICAL*");
      expect(text).toContain("1 untracked finding");
      expect(text).toContain("Open App Home (the app's Home tab) for the full list");
      expect(messages[0]?.text).toContain(`${want.total} new findings below HIGH for team ${team}`);
    }
    expect(outcomeOf(outcomes, "leadership")?.outcome).toBe("nothing");
    expect(expected(versions, "security").total + expected(versions, "platform").total).toBe(40);

    const watermarks = await db.query<{ team: string; covered_until: Date; ts: string }>(
      "SELECT team, covered_until, ts FROM slack_digests ORDER BY team",
    );
    expect(watermarks.map((w) => [w.team, new Date(w.covered_until).toISOString()])).toEqual([
      ["platform", at(14).toISOString()],
      ["security", at(14).toISOString()],
    ]);

    fake.reset();
    const again = await digests(at(30));
    expect(again.every((outcome) => outcome.outcome === "nothing")).toBe(true);
    expect(fake.calls("chat.postMessage")).toHaveLength(0);
  });

  it("digests only the findings opened since the last digest", async () => {
    await observe(burst("a"), at(0));
    await digests(at(15));
    fake.reset();

    const later: FindingVersion[] = Array.from({ length: 5 }, (_, i) => ({
      id: `arn:test:later:${i}`,
      controlId: "S3.8",
      severity: "LOW",
      firstObservedAt: hours(200 + i),
      title: `later finding ${i}`,
    }));
    await observe(later, at(20));
    const outcomes = await digests(at(30));

    expect(fake.calls("chat.postMessage")).toHaveLength(1);
    const security = outcomeOf(outcomes, "security");
    expect(security?.outcome).toBe("posted");
    if (security?.outcome !== "posted") return;
    expect(security.digest.total).toBe(5);
    expect(security.digest.bySeverity).toEqual({ LOW: 5 });
    expect(security.digest.byControl).toEqual([{ controlId: "S3.8", count: 5 }]);
    expect(security.digest.untracked).toBe(0);
    expect(security.digest.coveredFrom).toBe(at(14).toISOString());
    expect(outcomeOf(outcomes, "platform")?.outcome).toBe("nothing");
    const text = blocksText(fake.messages(CHANNEL.security)[0]);
    expect(text).not.toContain("a finding");
    expect(text).toContain("later finding 0");
  });

  it("leaves out cases opened within the settle time and resolved cases", async () => {
    await observe([{ id: "arn:test:fresh", controlId: "S3.8", severity: "LOW" }], at(0));
    expect((await digests(at(0.5))).every((o) => o.outcome === "nothing")).toBe(true);
    await db.query("UPDATE cases SET status = 'resolved' WHERE id = 'arn:test:fresh'");
    expect((await digests(at(15))).every((o) => o.outcome === "nothing")).toBe(true);
    expect(fake.calls("chat.postMessage")).toHaveLength(0);
  });

  it("records nothing when Slack answers 503, and the next run posts the same cases once", async () => {
    const versions = burst("a");
    await observe(versions, at(0));
    fake.fail({ type: "http", calls: 2, status: 503, method: "chat.postMessage" });
    const failed = await digests(at(15));
    expect(failed.map((o) => [o.team, o.outcome]).sort()).toEqual([
      ["leadership", "nothing"],
      ["platform", "failed"],
      ["security", "failed"],
    ]);
    expect(fake.messages()).toHaveLength(0);
    expect(await db.query("SELECT * FROM slack_digests")).toHaveLength(0);

    const retried = await digests(at(30));
    const messages = fake.messages();
    expect(messages.map((m) => m.channel).sort()).toEqual([CHANNEL.platform, CHANNEL.security]);
    for (const team of ["security", "platform"] as const) {
      const outcome = outcomeOf(retried, team);
      expect(outcome?.outcome).toBe("posted");
      if (outcome?.outcome === "posted") {
        expect(outcome.digest.total).toBe(expected(versions, team).total);
        expect(outcome.digest.coveredFrom).toBeNull();
      }
    }
    fake.reset();
    expect((await digests(at(45))).every((o) => o.outcome === "nothing")).toBe(true);
    expect(fake.calls("chat.postMessage")).toHaveLength(0);
  });

  it("waits out one 429 and posts; a second 429 in a row fails the run without recording", async () => {
    await observe([{ id: "arn:test:one", controlId: "S3.8", severity: "MEDIUM" }], at(0));
    fake.fail({ type: "rate_limited", calls: 1, retryAfterSeconds: 1, method: "chat.postMessage" });
    const started = performance.now();
    const first = await digests(at(15));
    expect(outcomeOf(first, "security")?.outcome).toBe("posted");
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.messages(CHANNEL.security)).toHaveLength(1);

    await observe([{ id: "arn:test:two", controlId: "S3.8", severity: "MEDIUM" }], at(20));
    fake.fail({ type: "rate_limited", calls: 2, retryAfterSeconds: 1, method: "chat.postMessage" });
    const second = await digests(at(30));
    expect(outcomeOf(second, "security")?.outcome).toBe("failed");
    const rows = await db.query<{ covered_until: Date }>("SELECT covered_until FROM slack_digests");
    expect(rows.map((r) => new Date(r.covered_until).toISOString())).toEqual([at(14).toISOString()]);
    const third = await digests(at(45));
    const outcome = outcomeOf(third, "security");
    expect(outcome?.outcome === "posted" && outcome.digest.total).toBe(1);
  });
});
