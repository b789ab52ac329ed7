import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvelope } from "../../src/intake/envelope.js";
import { sweepAndLog } from "../../src/queue/timers.js";
import { createSecurityHubClient } from "../../src/securityhub/client.js";
import { SecurityHubDispatcher } from "../../src/securityhub/dispatcher.js";
import { createRateLimiter } from "../../src/securityhub/rate-limiter.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { renderNotification } from "../../src/slack/case-message.js";
import { createSlackClient } from "../../src/slack/client.js";
import { SlackDispatcher } from "../../src/slack/dispatcher.js";
import type { Database } from "../../src/store/database.js";
import { listOutbox } from "../../src/store/outbox.js";
import { examplePolicy } from "../support/engine.js";
import { asffEvent } from "../support/events.js";
import { type FakeSecurityHub, startFakeSecurityHub } from "../support/fake-securityhub.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";
import { openTestStore } from "../support/stores.js";

/**
 * The JSON log lines of two cases' lives, captured from pino: a blocked suppression whose revert
 * Security Hub first throttles and then refuses for good, a dry-run dispatch, Slack refusing the
 * notifications, and a sweep that escalates both. Every line that mentions a case must carry
 * caseId and findingId (or, for a line about many cases, caseIds and findingIds).
 */
const policy = examplePolicy();
const REFUSED = "arn:test:logs:refused";
const DRY = "arn:test:logs:dry";

let clock = new Date("2026-11-21T12:00:00.000Z");
const now = () => clock;
const lines: Record<string, unknown>[] = [];
const raw: string[] = [];
const logger = pino(
  { level: "debug" },
  {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  },
);

let db: Database;
let cleanup: () => Promise<void>;
let securityHub: FakeSecurityHub;
let slack: FakeSlack;

beforeAll(async () => {
  ({ db, cleanup } = await openTestStore("pglite"));
  securityHub = await startFakeSecurityHub();
  slack = await startFakeSlack({ perChannelIntervalMs: 10, burst: 100 });
});
afterAll(async () => {
  await slack?.close();
  await securityHub?.close();
  await cleanup?.();
});

function securityHubDispatcher(dryRun: boolean) {
  return new SecurityHubDispatcher({
    db,
    policy,
    client: dryRun
      ? null
      : createSecurityHubClient({
          endpoint: securityHub.url,
          region: "us-east-1",
          maxAttempts: 1,
          credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
        }),
    logger,
    now,
    limiter: createRateLimiter({ ratePerSecond: 1_000, burst: 1_000 }),
  });
}

async function suppressed(id: string, eventId: string): Promise<void> {
  const parsed = parseEnvelope(asffEvent({ id, workflowStatus: "SUPPRESSED" }, eventId));
  if (!parsed.ok) throw new Error("fixture did not parse");
  await observeFindings(db, policy, parsed.observations, now);
}

describe("log lines about a case", () => {
  it("all carry caseId and findingId", async () => {
    // A suppression blocked at first sight: a revert and a GetFindingHistory lookup to make.
    // The finding is not seeded in the fake, so after the throttling the revert fails for good.
    await suppressed(REFUSED, "logs-0001");
    // Throttled through all five rounds of one call (a few seconds of backoff): retried later.
    securityHub.fail({ kind: "throttle", times: 5, operation: "BatchUpdateFindings" });
    await securityHubDispatcher(false).drain();
    clock = new Date(clock.getTime() + 60 * 60_000);
    await securityHubDispatcher(false).drain();
    const reverts = await listOutbox(db, { caseId: REFUSED, kind: "securityhub.update" });
    expect(reverts.map((row) => row.status)).toEqual(["failed"]);

    await suppressed(DRY, "logs-0002");
    await securityHubDispatcher(true).drain();

    // Slack refuses every post: each notification fails for good.
    slack.fail({ type: "platform_error", error: "channel_not_found" });
    await new SlackDispatcher({
      db,
      policy,
      client: createSlackClient({ token: "xoxb-test", slackApiUrl: slack.url }),
      render: renderNotification,
      logger,
      now,
      perChannelIntervalMs: 10,
    }).drain();
    expect((await listOutbox(db, { kind: "notify", status: "failed" })).length).toBeGreaterThan(0);

    // Sixty days on, the escalation ladder of both cases has run.
    const swept = await sweepAndLog(db, policy, new Date(clock.getTime() + 60 * 86_400_000), logger);
    expect(swept.fired).toBe(2);

    const messages = new Set(lines.map((line) => line.msg));
    for (const expected of [
      "Security Hub update will be retried",
      "Security Hub update failed for good",
      "dry run: would call Security Hub",
      "Slack post failed for good",
      "timers fired",
    ])
      expect(messages, expected).toContain(expected);

    let checked = 0;
    for (const [index, line] of lines.entries()) {
      for (const id of [REFUSED, DRY]) {
        if (!raw[index]?.includes(id)) continue;
        checked += 1;
        if (Array.isArray(line.caseIds)) {
          expect(line.caseIds, String(line.msg)).toContain(id);
          expect(line.findingIds, String(line.msg)).toContain(id);
        } else {
          expect(line, String(line.msg)).toMatchObject({ caseId: id, findingId: id });
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});
