import type { ChatPostMessageArguments, WebClient } from "@slack/web-api";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { NotifyEffect } from "../../src/engine/effects.js";
import type { HumanInput } from "../../src/engine/inputs.js";
import { parseEnvelope } from "../../src/intake/envelope.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { renderNotification } from "../../src/slack/case-message.js";
import { createSlackClient } from "../../src/slack/client.js";
import { SlackDispatcher } from "../../src/slack/dispatcher.js";
import { notificationMetadata } from "../../src/slack/earlier-post.js";
import { ACTION_IDS } from "../../src/slack/interaction-codecs.js";
import { slackAddress } from "../../src/slack/team-address.js";
import type { RenderNotification } from "../../src/slack/types.js";
import type { Database } from "../../src/store/database.js";
import { claimOutbox, insertOutbox, listOutbox, type OutboxRow } from "../../src/store/outbox.js";
import { listSlackMessages, listSlackUpdates, recordSlackMessage } from "../../src/store/slack-messages.js";
import { actAs } from "../support/act.js";
import { examplePolicy } from "../support/engine.js";
import { asffEvent, eksEvent } from "../support/events.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";
import { storePerFile } from "../support/stores.js";

/**
 * The outbox's notify rows delivered to a fake Slack through the real WebClient. The fake limits
 * chat.postMessage per channel like Slack (a bucket of 3, refilled one per interval); the interval
 * is 50 ms here instead of Slack's second, and the dispatcher paces at the same 50 ms, so the suite
 * runs fast with the same arithmetic. The outbox clock is a variable the tests move forward; pacing
 * and Retry-After use real time (Retry-After is whole seconds, so a 429 costs a second).
 */
const policy = examplePolicy();
const INTERVAL_MS = 50;
const CHANNEL = { security: "C0SECURITY", platform: "C0PLATFORM", leadership: "C0LEADERS" } as const;

let clock = new Date("2026-11-21T12:00:00.000Z");
const now = () => clock;
const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

let db: Database;
const stores = storePerFile("pglite");
let fake: FakeSlack;

/** Posts to a channel that started while an earlier post to it had no answer yet: none, ever. */
let overlapping: string[] = [];

/** The test renderer: one message per team, to the team's channel, with the effect's text. */
const render: RenderNotification = (effect, _current, currentPolicy) =>
  effect.teams.flatMap((team) => {
    const channel = slackAddress(currentPolicy.teams[team])?.address;
    return channel ? [{ channel, text: effect.text }] : [];
  });

beforeAll(async () => {
  fake = await startFakeSlack({ perChannelIntervalMs: INTERVAL_MS, burst: 3 });
});
afterAll(async () => {
  await fake.close();
  await stores.close();
});
beforeEach(async () => {
  db = await stores.fresh();
  fake.reset();
  fake.clearFailures();
  overlapping = [];
  clock = new Date("2026-11-21T12:00:00.000Z");
});

/** The real client, noting each post that starts while another post to its channel is unanswered. */
function trackedClient(): WebClient {
  const client = createSlackClient({ token: "xoxb-test", slackApiUrl: fake.url });
  const post = client.chat.postMessage.bind(client.chat);
  const inFlight = new Map<string, number>();
  client.chat.postMessage = (async (args: ChatPostMessageArguments) => {
    const channel = String(args.channel);
    if ((inFlight.get(channel) ?? 0) > 0) overlapping.push(`${channel}: ${(args as { text?: string }).text}`);
    inFlight.set(channel, (inFlight.get(channel) ?? 0) + 1);
    try {
      return await post(args);
    } finally {
      inFlight.set(channel, (inFlight.get(channel) ?? 1) - 1);
    }
  }) as typeof client.chat.postMessage;
  return client;
}

function dispatcher(options: { pageSize?: number; render?: RenderNotification } = {}) {
  return new SlackDispatcher({
    db,
    policy,
    client: trackedClient(),
    render,
    logger: pino({ level: process.env.TEST_LOG ?? "silent" }),
    now,
    perChannelIntervalMs: INTERVAL_MS,
    ...options,
  });
}

/** Findings first seen SUPPRESSED: real cases (blocked suppressions), ids returned. */
async function cases(count: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, index) => `arn:test:${prefix}:${index}`);
  const observations = ids.map((id, index) => {
    const parsed = parseEnvelope(asffEvent({ id, workflowStatus: "SUPPRESSED" }, `${prefix}-${index}`));
    if (!parsed.ok || !parsed.observations[0]) throw new Error("fixture did not parse");
    return parsed.observations[0];
  });
  await observeFindings(db, policy, observations, now);
  // The engine may notify about new cases itself; the tests below count only their own messages.
  await db.query("UPDATE outbox SET status = 'done', done_at = $1 WHERE kind = 'notify'", [
    now().toISOString(),
  ]);
  return ids;
}

let keys = 0;
async function notify(caseId: string, teams: string[], text: string): Promise<void> {
  const effect: NotifyEffect = {
    kind: "notify",
    caseId,
    topic: "escalated",
    teams,
    mentionLeads: false,
    text,
  };
  keys += 1;
  await insertOutbox(db, [
    { key: `test:${caseId}:${keys}`, effect, channel: "slack", caseVersion: null, at: now().toISOString() },
  ]);
}

/** Drains, moving the outbox clock on between rounds, until no notify row is pending. */
async function deliverAll(step = 60 * 60_000, rounds = 30): Promise<number> {
  const run = dispatcher();
  for (let round = 1; round <= rounds; round++) {
    await run.drain();
    if ((await listOutbox(db, { kind: "notify", status: "pending" })).length === 0) return round;
    advance(step);
  }
  throw new Error("notify rows still pending");
}

/** A dispatcher took the pending row, marked its post to `channel` as started, and died. */
async function diedAfterMarking(channel: string): Promise<OutboxRow> {
  const [row] = await db.transaction((tx) =>
    claimOutbox(tx, { kinds: ["notify"], channel: "slack" }, now(), 10, 120_000),
  );
  if (!row) throw new Error("no row");
  await db.query("INSERT INTO slack_posts_started (outbox_id, channel, started_at) VALUES ($1, $2, $3)", [
    row.id,
    channel,
    now().toISOString(),
  ]);
  return row;
}

function texts(channel: string): string[] {
  return fake.messages(channel).map((message) => message.text);
}

describe("Slack dispatcher", () => {
  it("posts an engine-made notification (an exception request) once to the approving team's channel", async () => {
    const [caseId] = await cases(1, "engine");
    const requested = await actAs(
      db,
      policy,
      caseId as string,
      {
        type: "human",
        action: "exception_request",
        user: "U0SAM",
        team: "security",
        justification: "compensating control",
        expiresAt: "2026-12-10T00:00:00.000Z",
      },
      now,
    );
    expect(requested.rejection).toBeNull();
    const rows = await listOutbox(db, { kind: "notify", status: "pending" });
    expect(rows.length).toBeGreaterThan(0);
    const expected = rows.flatMap((row) =>
      row.payload.kind === "notify" ? render(row.payload, null, policy).map((m) => [m.channel, m.text]) : [],
    );
    expect(expected.some(([channel]) => channel === CHANNEL.platform)).toBe(true);

    await dispatcher().drain();
    await dispatcher().drain();

    const posted = fake.calls("chat.postMessage").map((call) => [call.params.channel, call.params.text]);
    expect(posted).toEqual(expected);
    expect(fake.calls("chat.postMessage").every((call) => call.token === "xoxb-test")).toBe(true);
    const after = await listOutbox(db, { kind: "notify" });
    expect(rows.map((row) => after.find((done) => done.id === row.id)?.status)).toEqual(
      rows.map(() => "done"),
    );
    const recorded = await listSlackMessages(db, { caseId: caseId as string });
    expect(recorded.map((m) => [m.channel, m.ts])).toEqual(
      fake.messages().map((message) => [message.channel, message.ts]),
    );
  });

  it("delivers each notification once to each of its teams' channels", async () => {
    const ids = await cases(2, "teams");
    await notify(ids[0] as string, ["security", "platform"], "one");
    await notify(ids[1] as string, ["leadership"], "two");
    await notify(ids[1] as string, ["security", "platform", "leadership"], "three");
    await deliverAll();
    await dispatcher().drain();
    expect(texts(CHANNEL.security)).toEqual(["one", "three"]);
    expect(texts(CHANNEL.platform)).toEqual(["one", "three"]);
    expect(texts(CHANNEL.leadership)).toEqual(["two", "three"]);
    expect((await listSlackMessages(db)).length).toBe(6);
    expect(overlapping).toEqual([]);
  });

  it("posts to a channel in outbox id order, one at a time, though a later notification gets there with nothing to post before", async () => {
    const ids = await cases(2, "order");
    // "first" reaches the platform channel only after its security post has been answered and
    // recorded; "second" (another case, so delivered side by side) has nothing to do before it.
    await notify(ids[0] as string, ["security", "platform"], "first");
    await notify(ids[1] as string, ["platform"], "second");
    await dispatcher().drain();
    expect(texts(CHANNEL.security)).toEqual(["first"]);
    expect(texts(CHANNEL.platform)).toEqual(["first", "second"]);
    expect(overlapping).toEqual([]);
  });

  it("a database error in the middle of a round ends the round, and leaves no channel held for the rows after it", async () => {
    const ids = await cases(2, "db-error");
    await notify(ids[0] as string, ["platform"], "a1");
    await notify(ids[0] as string, ["platform"], "a2");
    await notify(ids[1] as string, ["platform"], "b1");
    // The database goes away right after the first post: recording it fails.
    let failNext = true;
    const flaky: Database = {
      ...db,
      transaction: (fn) =>
        db.transaction((tx) =>
          fn({
            query: (text, params) => {
              if (failNext && /INSERT INTO slack_messages/.test(text)) {
                failNext = false;
                return Promise.reject(new Error("Connection terminated unexpectedly"));
              }
              return tx.query(text, params);
            },
          }),
        ),
    };
    const run = new SlackDispatcher({
      db: flaky,
      policy,
      client: trackedClient(),
      render,
      logger: pino({ level: "silent" }),
      now,
      perChannelIntervalMs: INTERVAL_MS,
    });
    // Before: a2's turn was never ended, so b1 waited on it for ever and drain never settled.
    await expect(run.drain()).rejects.toThrow("Connection terminated unexpectedly");
    // Nothing was posted after the failure.
    expect(texts(CHANNEL.platform)).toEqual(["a1"]);
    // Once the database answers, the next round gives back the rows the failed one left leased
    // (before: they waited for the lease, two minutes) and they go again, in order; a1, posted but
    // never recorded, is found in the channel by its metadata and not posted again (before: a1,
    // a1, a2, b1).
    await run.drain();
    expect(texts(CHANNEL.platform)).toEqual(["a1", "a2", "b1"]);
    expect(fake.calls("conversations.history")).toHaveLength(1);
    expect(overlapping).toEqual([]);
    const a1 = (await listSlackMessages(db, { caseId: ids[0] as string })).find(
      (m) => m.ts === fake.messages()[0]?.ts,
    );
    expect(a1?.channelId).toBe(CHANNEL.platform);
    expect(await db.query("SELECT * FROM slack_posts_started")).toEqual([]);
  });

  it("a notification put back for a retry is not overtaken on its channel, in the same round or a later one", async () => {
    const ids = await cases(3, "retry-order");
    await notify(ids[0] as string, ["platform"], "first");
    await notify(ids[1] as string, ["platform"], "second");
    fake.fail({ type: "http", status: 503, calls: 1, method: "chat.postMessage" });
    await dispatcher().drain();
    // "first" got the 503 and waits for its retry; "second", of another case, waits with it.
    expect(fake.calls("chat.postMessage").map((call) => [call.params.text, call.status])).toEqual([
      ["first", 503],
    ]);
    expect(texts(CHANNEL.platform)).toEqual([]);
    // A notification made meanwhile is due before their retry: it goes where nothing waits.
    await notify(ids[2] as string, ["security", "platform"], "third");
    await dispatcher().drain();
    expect(texts(CHANNEL.security)).toEqual(["third"]);
    expect(texts(CHANNEL.platform)).toEqual([]);
    await deliverAll();
    expect(texts(CHANNEL.platform)).toEqual(["first", "second", "third"]);
    expect(texts(CHANNEL.security)).toEqual(["third"]);
    const rows = await listOutbox(db, { kind: "notify" });
    expect(rows.every((row) => row.status === "done")).toBe(true);
    // Only "first" was tried and failed; the rows held behind it were not attempts, so their
    // backoff did not grow while they waited (before: 3 and 2).
    const mine = rows.filter((row) => row.key.startsWith("test:"));
    expect(mine.map((row) => [(row.payload as NotifyEffect).text, row.attempts])).toEqual([
      ["first", 2],
      ["second", 1],
      ["third", 1],
    ]);
    expect(overlapping).toEqual([]);
  });

  it("a dispatcher whose lease ran out while it posted leaves the row to the one that took it over: each channel gets it once", async () => {
    const [caseId] = await cases(1, "lease-lost");
    await notify(caseId as string, ["security", "platform"], "slow");
    const slow = dispatcher();
    const quick = dispatcher();
    // The slow dispatcher's first post is answered only after its lease has run out and the
    // quick one has taken the row over and delivered it.
    const client = (slow as unknown as { options: { client: WebClient } }).options.client;
    const post = client.chat.postMessage.bind(client.chat);
    let stalled = false;
    client.chat.postMessage = (async (args: ChatPostMessageArguments) => {
      const answer = await post(args);
      if (!stalled) {
        stalled = true;
        advance(121_000);
        await quick.drain();
      }
      return answer;
    }) as typeof client.chat.postMessage;
    await slow.drain();
    // The quick one found the slow one's unrecorded post in the channel; the slow one posted
    // nothing once it no longer held the row (before: "slow" twice in the second channel).
    expect(texts(CHANNEL.security)).toEqual(["slow"]);
    expect(texts(CHANNEL.platform)).toEqual(["slow"]);
    const [row] = await listOutbox(db, { kind: "notify" });
    expect(row?.status).toBe("done");
    expect((await listSlackMessages(db, { caseId: caseId as string })).map((m) => m.channel).sort()).toEqual([
      CHANNEL.platform,
      CHANNEL.security,
    ]);
  });

  it("a post started and never answered (the process died): the channel is searched, and the message posted once", async () => {
    const [caseId] = await cases(1, "died-before-post");
    await notify(caseId as string, ["platform"], "never reached Slack");
    // A dispatcher marked the post and died before Slack saw it; its lease runs out.
    const row = await diedAfterMarking(CHANNEL.platform);
    // Another case's message in the channel meanwhile, with metadata of its own: not a match.
    const client = createSlackClient({ token: "xoxb-test", slackApiUrl: fake.url });
    await client.chat.postMessage({
      channel: CHANNEL.platform,
      text: "someone else's",
      metadata: notificationMetadata({ outboxId: "999", caseId: caseId as string, topic: "escalated" }),
    });
    advance(121_000);
    await dispatcher().drain();
    expect(texts(CHANNEL.platform)).toEqual(["someone else's", "never reached Slack"]);
    const [history] = fake.calls("conversations.history");
    expect(history?.params).toMatchObject({ channel: CHANNEL.platform, include_all_metadata: "true" });
    // The search starts (with a margin for clock skew) before the mark's time, never at 0.
    expect(Number(history?.params.oldest)).toBeGreaterThan(0);
    expect(Number(history?.params.oldest)).toBeLessThan(Date.parse("2026-11-21T12:00:00Z") / 1_000);
    const posted = fake.calls("chat.postMessage").at(-1)?.params.metadata;
    expect(JSON.parse(String(posted))).toEqual({
      event_type: "shgov_notification",
      event_payload: {
        outbox_id: row.id,
        case_digest: expect.stringMatching(/^[0-9a-f]{16}$/),
        topic: "escalated",
      },
    });
  });

  it("a search that gets a 503 puts the row back; the next search finds the post, and it is not posted again", async () => {
    const [caseId] = await cases(1, "history-503");
    await notify(caseId as string, ["platform"], "posted once");
    // A dispatcher marked and made the post, then died before recording it.
    const row = await diedAfterMarking(CHANNEL.platform);
    const client = createSlackClient({ token: "xoxb-test", slackApiUrl: fake.url });
    await client.chat.postMessage({
      channel: CHANNEL.platform,
      text: "posted once",
      metadata: notificationMetadata({ outboxId: row.id, caseId: caseId as string, topic: "escalated" }),
    });
    fake.fail({ type: "http", status: 503, calls: 1, method: "conversations.history" });
    advance(121_000);
    await dispatcher().drain();
    expect((await listOutbox(db, { kind: "notify" })).find((r) => r.id === row.id)?.status).toBe("pending");
    await deliverAll();
    expect(texts(CHANNEL.platform)).toEqual(["posted once"]);
    expect(fake.calls("conversations.history").map((call) => call.status)).toEqual([503, 200]);
    const [recorded] = await listSlackMessages(db, { caseId: caseId as string });
    expect(recorded?.ts).toBe(fake.messages(CHANNEL.platform)[0]?.ts);
  });

  it("a search Slack refuses (missing_scope) is said, and the message is posted rather than lost", async () => {
    const [caseId] = await cases(1, "no-history-scope");
    await notify(caseId as string, ["platform"], "posted anyway");
    await diedAfterMarking(CHANNEL.platform);
    fake.fail({ type: "platform_error", error: "missing_scope", method: "conversations.history" });
    advance(121_000);
    const lines: { msg: string; error?: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    await new SlackDispatcher({
      db,
      policy,
      client: trackedClient(),
      render,
      logger,
      now,
      perChannelIntervalMs: INTERVAL_MS,
    }).drain();
    expect(texts(CHANNEL.platform)).toEqual(["posted anyway"]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: expect.stringContaining("could not look in Slack"),
        error: "missing_scope",
      }),
    );
  });

  it("a Slack outage (503s) delays delivery but loses and duplicates nothing", async () => {
    const ids = await cases(3, "outage");
    for (const [index, id] of ids.entries()) await notify(id, ["security", "platform"], `outage ${index}`);
    fake.fail({ type: "http", status: 503, calls: 7, method: "chat.postMessage" });
    const rounds = await deliverAll();
    expect(rounds).toBeGreaterThan(1);
    expect(fake.calls("chat.postMessage").filter((call) => call.status === 503)).toHaveLength(7);
    for (const channel of [CHANNEL.security, CHANNEL.platform])
      expect(texts(channel).sort()).toEqual(["outage 0", "outage 1", "outage 2"]);
    const rows = await listOutbox(db, { kind: "notify" });
    expect(rows.every((row) => row.status === "done")).toBe(true);
    expect(rows.some((row) => row.attempts > 1)).toBe(true);
  });

  it("a 429 storm during a burst of 30 messages to 3 channels: each delivered exactly once, and pacing keeps the fake's own 429s at zero", async () => {
    const ids = await cases(6, "burst");
    const teams = ["security", "platform", "leadership"] as const;
    for (let index = 0; index < 30; index++)
      await notify(ids[index % ids.length] as string, [teams[index % 3] as string], `burst ${index}`);
    fake.fail({ type: "rate_limited", calls: 5, retryAfterSeconds: 1, method: "chat.postMessage" });
    await deliverAll(60_000);
    for (const [position, team] of teams.entries()) {
      const channel = CHANNEL[team];
      const want = Array.from({ length: 30 }, (_, index) => index)
        .filter((index) => index % 3 === position)
        .map((index) => `burst ${index}`);
      expect(texts(channel).sort()).toEqual(want.sort());
    }
    expect(fake.messages()).toHaveLength(30);
    expect((await listSlackMessages(db)).length).toBe(30);
    expect(fake.calls("chat.postMessage").filter((call) => call.outcome === "injected_429")).toHaveLength(5);
    // The dispatcher spaces posts to a channel by the fake's refill interval and waits out each
    // Retry-After for that channel, so the fake's bucket (3 deep) never runs dry: no 429 of its own.
    // One is tolerated for scheduling jitter, should requests bunch up in transit.
    expect(fake.rateLimited()).toBeLessThanOrEqual(1);
    expect((await listOutbox(db, { kind: "notify" })).every((row) => row.status === "done")).toBe(true);
    // A 429 posted nothing: its retry posts without first searching the channel's history.
    expect(fake.calls("conversations.history")).toHaveLength(0);
  });

  it("a row leased again after posting to one of its two channels posts only the missing one", async () => {
    const [caseId] = await cases(1, "crash");
    await notify(caseId as string, ["security", "platform"], "half done");
    // A dispatcher takes the row, posts to the first channel and records it, then dies.
    const [row] = await db.transaction((tx) =>
      claimOutbox(tx, { kinds: ["notify"], channel: "slack" }, now(), 10, 120_000),
    );
    if (!row) throw new Error("no row");
    const client = createSlackClient({ token: "xoxb-test", slackApiUrl: fake.url });
    const answer = await client.chat.postMessage({ channel: CHANNEL.security, text: "half done" });
    await db.transaction((tx) =>
      recordSlackMessage(tx, {
        outboxId: row.id,
        channel: CHANNEL.security,
        channelId: answer.channel ?? CHANNEL.security,
        ts: answer.ts ?? "",
        caseId: caseId as string,
        topic: "escalated",
        postedAt: now().toISOString(),
      }),
    );
    // Still leased: nothing happens.
    await dispatcher().drain();
    expect(fake.messages()).toHaveLength(1);
    // The lease runs out; the row is offered again.
    advance(121_000);
    await dispatcher().drain();
    expect(texts(CHANNEL.security)).toEqual(["half done"]);
    expect(texts(CHANNEL.platform)).toEqual(["half done"]);
    const closed = (await listOutbox(db, { kind: "notify" })).find((other) => other.id === row.id);
    expect(closed?.status).toBe("done");
    expect(closed?.attempts).toBe(2);
  });

  it("a permanent error (channel_not_found) fails the row with the error, after posting to the other channel, and is not fed to the engine", async () => {
    const [caseId] = await cases(1, "gone");
    await notify(caseId as string, ["security", "leadership"], "to a missing channel");
    fake.fail({ type: "platform_error", error: "channel_not_found", channel: CHANNEL.leadership });
    const before = await listOutbox(db);
    const events = await db.query("SELECT id FROM audit_events");
    await dispatcher().drain();
    const row = (await listOutbox(db, { kind: "notify" })).at(-1);
    expect(row?.status).toBe("failed");
    expect(row?.lastError).toBe(`${CHANNEL.leadership}: channel_not_found`);
    expect(texts(CHANNEL.security)).toEqual(["to a missing channel"]);
    expect(fake.calls("chat.postMessage")).toHaveLength(2);
    expect(await listOutbox(db)).toHaveLength(before.length);
    expect(await db.query("SELECT id FROM audit_events")).toHaveLength(events.length);
  });
});

describe("Slack dispatcher: messages updated after a decision", () => {
  const blocks = () => dispatcher({ render: renderNotification });
  /** The action ids of a stored message's blocks. */
  const actionIdsOf = (message: { blocks: unknown[] | null } | undefined) =>
    JSON.stringify(message?.blocks ?? [])
      .match(/"action_id":"(shgov_[a-z_]+)"/g)
      ?.map((found) => found.slice(13, -1)) ?? [];
  const human = async (caseId: string, input: HumanInput) => {
    const result = await actAs(db, policy, caseId, input, now);
    expect(result.rejection).toBeNull();
  };
  const request = (caseId: string) =>
    human(caseId, {
      type: "human",
      action: "exception_request",
      user: "U0SAM",
      team: "security",
      justification: "compensating control",
      expiresAt: "2026-12-10T00:00:00.000Z",
    });

  it("an approval replaces the request's Approve/Reject with who approved and when, once", async () => {
    const [caseId] = (await cases(1, "approve")) as [string];
    await request(caseId);
    await blocks().drain();
    const [asked] = fake.messages(CHANNEL.platform);
    expect(actionIdsOf(asked)).toEqual([
      ACTION_IDS.exceptionApprove,
      ACTION_IDS.exceptionReject,
      ACTION_IDS.console,
    ]);

    advance(60_000);
    await human(caseId, {
      type: "human",
      action: "exception_approve",
      user: "U0PAT",
      team: "platform",
      reason: null,
    });
    await blocks().drain();
    const updates = fake.calls("chat.update");
    expect(updates).toHaveLength(1);
    expect(updates[0]?.params).toMatchObject({ channel: CHANNEL.platform, ts: asked?.ts });
    const updated = fake.messages(CHANNEL.platform).find((m) => m.ts === asked?.ts);
    expect(updated?.edits).toBe(1);
    expect(actionIdsOf(updated)).toEqual([]);
    expect(JSON.stringify(updated?.blocks)).toContain(
      "approved by <@U0PAT> (platform) at 2026-11-21 12:01 UTC",
    );
    expect(updated?.text).toMatch(/approved by <@U0PAT>/);
    // The approval itself was posted to both teams.
    expect(fake.messages().filter((m) => /approved exception EXC-1/.test(m.text))).toHaveLength(2);
    expect((await listSlackUpdates(db, caseId)).map((u) => [u.channelId, u.ts])).toEqual([
      [CHANNEL.platform, asked?.ts],
    ]);
    // Updates are not messages.
    expect((await listSlackMessages(db, { caseId })).every((m) => !m.channel.startsWith("update:"))).toBe(
      true,
    );

    // Delivered again (a lease that ran out after the update): nothing is posted or updated again.
    await db.query(
      "UPDATE outbox SET status = 'pending' WHERE kind = 'notify' AND payload->>'topic' = 'exception.approved'",
    );
    await blocks().drain();
    expect(fake.calls("chat.update")).toHaveLength(1);
    expect(fake.messages()).toHaveLength(3);
  });

  it("a rejection updates the request; the next request's message is left for its own decision", async () => {
    const [caseId] = (await cases(1, "reject")) as [string];
    await request(caseId);
    await blocks().drain();
    await human(caseId, {
      type: "human",
      action: "exception_reject",
      user: "U0PAT",
      team: "platform",
      reason: "fix it instead",
    });
    await request(caseId);
    await blocks().drain();
    const asked = fake.messages(CHANNEL.platform).filter((m) => /requests exception/.test(m.text));
    expect(asked).toHaveLength(2);
    expect(asked.map((m) => m.edits)).toEqual([1, 0]);
    expect(JSON.stringify(asked[0]?.blocks)).toContain("EXC-1 rejected by <@U0PAT> (platform)");
    expect(actionIdsOf(asked[0])).toEqual([]);
    expect(actionIdsOf(asked[1])).toContain(ACTION_IDS.exceptionApprove);
  });

  it("an agreed date updates the proposals' Agree buttons", async () => {
    const parsed = parseEnvelope(eksEvent({ kubernetes: "1.32" }, "dispatch-eks"));
    if (!parsed.ok || !parsed.observations[0]) throw new Error("fixture did not parse");
    const caseId = parsed.observations[0].finding.id;
    await observeFindings(db, policy, parsed.observations, now);
    await db.query("UPDATE outbox SET status = 'done' WHERE kind = 'notify'");
    await human(caseId, {
      type: "human",
      action: "date_propose",
      user: "U0ALICE",
      team: "platform",
      date: "2026-12-15",
    });
    await blocks().drain();
    const [proposed] = fake.messages(CHANNEL.security);
    expect(actionIdsOf(proposed)).toContain(ACTION_IDS.dateAgree);
    await human(caseId, {
      type: "human",
      action: "date_agree",
      user: "U0SAM",
      team: "security",
      date: "2026-12-15",
    });
    await blocks().drain();
    const updated = fake.messages(CHANNEL.security).find((m) => m.ts === proposed?.ts);
    expect(updated?.edits).toBe(1);
    expect(actionIdsOf(updated)).toEqual([]);
    expect(JSON.stringify(updated?.blocks)).toContain(
      "Upgrade date 2026-12-15 agreed by <@U0ALICE> (platform) and <@U0SAM> (security)",
    );
  });

  it("a message that cannot be updated (message_not_found) is given up on; 5xx retries the row without posting again", async () => {
    const [caseId] = (await cases(1, "update-fails")) as [string];
    await request(caseId);
    await blocks().drain();
    await human(caseId, {
      type: "human",
      action: "exception_approve",
      user: "U0PAT",
      team: "platform",
      reason: null,
    });
    fake.fail({ type: "http", status: 503, calls: 1, method: "chat.update" });
    await blocks().drain();
    const row = (await listOutbox(db, { kind: "notify" })).at(-1);
    expect(row?.status).toBe("pending");
    expect(fake.messages().filter((m) => /approved exception/.test(m.text))).toHaveLength(2);

    fake.fail({ type: "platform_error", error: "message_not_found", method: "chat.update", calls: 1 });
    advance(60 * 60_000);
    await blocks().drain();
    expect((await listOutbox(db, { kind: "notify" })).at(-1)?.status).toBe("done");
    expect(fake.messages().filter((m) => /approved exception/.test(m.text))).toHaveLength(2);
    expect(await listSlackUpdates(db, caseId)).toHaveLength(1);
    advance(60 * 60_000);
    await blocks().drain();
    expect(fake.calls("chat.update")).toHaveLength(2);
  });
});
