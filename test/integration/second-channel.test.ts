import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Policy } from "../../src/engine/policy.js";
import { parseEnvelope } from "../../src/intake/envelope.js";
import {
  ChannelDispatcher,
  type NotificationChannel,
  type NotificationDelivery,
} from "../../src/shell/notification-channel.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { renderNotification } from "../../src/slack/case-message.js";
import { createSlackClient } from "../../src/slack/client.js";
import { SlackDispatcher } from "../../src/slack/dispatcher.js";
import type { Database } from "../../src/store/database.js";
import { insertOutbox, listOutbox } from "../../src/store/outbox.js";
import { examplePolicy } from "../support/engine.js";
import { eksEvent } from "../support/events.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";
import { openTestStore } from "../support/stores.js";

/**
 * A second notification channel plugs in without touching the engine: the policy reaches a team on
 * it, the shell writes one delivery per channel, and a channel adapter of the test's own (a memo
 * board that fails once) gets its notifications through ChannelDispatcher while the Slack
 * dispatcher delivers the Slack ones to a fake Slack. Neither sees the other's rows.
 */
const base = examplePolicy();
const platform = base.teams.platform;
if (!platform) throw new Error("the example policy has no platform team");
const policy: Policy = {
  ...base,
  teams: {
    ...base.teams,
    platform: { ...platform, reach: { ...platform.reach, memo: { address: "board:platform", group: null } } },
  },
};
const NOW = new Date("2026-11-21T12:00:00.000Z");

/** The test's channel: a board of memos, whose first delivery fails. */
class MemoBoard implements NotificationChannel {
  readonly name = "memo";
  readonly memos: { to: string[]; topic: string; text: string; caseStatus: string | null }[] = [];
  failuresLeft = 1;
  async deliver(delivery: NotificationDelivery): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error("the memo board is down");
    }
    this.memos.push({
      to: delivery.to.map((target) => target.address.address),
      topic: delivery.effect.topic,
      text: delivery.effect.text,
      caseStatus: delivery.case?.status ?? null,
    });
  }
}

let db: Database;
let cleanup: () => Promise<void>;
let fake: FakeSlack;

beforeAll(async () => {
  ({ db, cleanup } = await openTestStore("pglite"));
  fake = await startFakeSlack({ perChannelIntervalMs: 10, burst: 10 });
  const parsed = parseEnvelope(eksEvent({}, "e-memo"));
  if (!parsed.ok) throw new Error("fixture did not parse");
  await observeFindings(db, policy, parsed.observations, () => NOW);
});

afterAll(async () => {
  await fake.close();
  await cleanup?.();
});

describe("a second notification channel", () => {
  it("given a team reached on Slack and on the memo board, when a case opens, then the outbox holds one delivery per channel", async () => {
    const notify = await listOutbox(db, { kind: "notify" });
    const on = (channel: string) => notify.filter((row) => row.channel === channel);
    expect(notify.map((row) => row.channel).sort()).toEqual(["memo", "slack"]);
    expect(on("memo").map((row) => row.payload)).toEqual(on("slack").map((row) => row.payload));
    expect(on("memo").map((row) => row.key.endsWith("@memo"))).toEqual([true]);
  });

  it("when both dispatchers run, then each delivers its own channel's rows: the memo after one failed try, Slack once", async () => {
    const board = new MemoBoard();
    let clock = NOW;
    const memo = new ChannelDispatcher({
      db,
      policy,
      channel: board,
      logger: pino({ level: "silent" }),
      now: () => clock,
    });
    await memo.drain();
    // The failed try put the row back for later; Slack's rows were not touched.
    expect(board.memos).toEqual([]);
    const [waiting] = await listOutbox(db, { kind: "notify", channel: "memo" });
    expect(waiting).toMatchObject({ status: "pending", attempts: 1, lastError: "the memo board is down" });
    expect((await listOutbox(db, { channel: "slack" })).map((row) => [row.status, row.attempts])).toEqual([
      ["pending", 0],
    ]);

    clock = new Date(NOW.getTime() + 60 * 60_000);
    await memo.drain();
    expect(board.memos).toEqual([
      {
        to: ["board:platform"],
        topic: "case.opened",
        text: expect.stringContaining("EKS"),
        caseStatus: "awaiting_date",
      },
    ]);
    expect((await listOutbox(db, { channel: "memo" })).map((row) => row.status)).toEqual(["done"]);

    const slack = new SlackDispatcher({
      db,
      policy,
      client: createSlackClient({ token: "xoxb-test", slackApiUrl: fake.url }),
      logger: pino({ level: "silent" }),
      render: renderNotification,
      now: () => clock,
      perChannelIntervalMs: 10,
    });
    await slack.drain();
    expect(fake.messages().map((message) => message.channel)).toEqual(["C0PLATFORM"]);
    expect((await listOutbox(db, { kind: "notify" })).map((row) => [row.channel, row.status]).sort()).toEqual(
      [
        ["memo", "done"],
        ["slack", "done"],
      ],
    );
    expect(board.memos).toHaveLength(1);
  });

  it("given a channel that keeps failing, when its attempts run out, then the delivery is closed as failed with its last error", async () => {
    const [opened] = await listOutbox(db, { channel: "memo" });
    if (!opened) throw new Error("no memo delivery");
    await insertOutbox(db, [
      { key: "memo-down", effect: opened.payload, channel: "memo", caseVersion: null, at: NOW.toISOString() },
    ]);
    const board = new MemoBoard();
    board.failuresLeft = Number.POSITIVE_INFINITY;
    let clock = NOW;
    const memo = new ChannelDispatcher({
      db,
      policy,
      channel: board,
      logger: pino({ level: "silent" }),
      now: () => clock,
      maxAttempts: 2,
    });
    for (let round = 0; round < 3; round++) {
      await memo.drain();
      clock = new Date(clock.getTime() + 60 * 60_000);
    }
    const rows = (await listOutbox(db, { channel: "memo" })).filter((row) => row.status !== "done");
    expect(rows.map((row) => [row.status, row.attempts, row.lastError])).toEqual([
      ["failed", 2, "the memo board is down"],
    ]);
    expect(board.memos).toEqual([]);
  });
});
