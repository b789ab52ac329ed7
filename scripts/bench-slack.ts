/**
 * npm run bench:slack [-- --findings 10000 --second-wave 300 --interval-ms 1000 --batch 500 --page-size 60 --own-pacer --keep]
 *
 * A burst of new findings through the real shell and the real Slack delivery, against PostgreSQL
 * (a throwaway database on BENCH_DATABASE_ADMIN_URL's server, dropped afterwards unless --keep)
 * and the fake Slack Web API of test/support/fake-slack.ts (per-channel token bucket of 3, refilled
 * one per interval, 429 with Retry-After beyond it).
 *
 * 1. Policy: a temp dir with three owner teams routed by account (111111111111 -> platform,
 *    222222222222 -> data, everything else -> security), per-finding threshold HIGH, digest 15m.
 * 2. Burst: `--findings` new findings (severities mixed: 5% CRITICAL, 20% HIGH, 40% MEDIUM, 30%
 *    LOW, 5% INFORMATIONAL; accounts spread over the three teams) applied through observeFindings
 *    in batches of `--batch` (one transaction each).
 * 3. Delivery: the real SlackDispatcher (paced at `--interval-ms` per channel) posts the HIGH and
 *    CRITICAL cases one by one while the digest schedule runs postDigests every digest interval:
 *    run 1 covers the burst; a second, smaller wave (`--second-wave`) arrives after it; run 2
 *    covers only that wave; run 3 finds nothing new and posts nothing.
 *
 * Time: Slack allows about one message per second per channel, so --interval-ms 1000 (the default)
 * is real time and 10,000 findings take about 15 minutes of delivery and 45 minutes of digest
 * runs. `--interval-ms 20` scales every duration by 20/1000: the dispatcher's pacing, the fake's
 * refill interval, the digest interval (15 min -> 18 s) and the digest's settle time. Only
 * Retry-After is not scaled (Slack sends whole seconds, so a 429 costs at least a real second).
 *
 * Asserts (and prints): per-finding messages == HIGH + CRITICAL findings; exactly one digest per
 * team in each run that has something new for it and none in the run with nothing new; each
 * digest's count == that team's new below-threshold tracked cases; 429s the fake sent to the
 * dispatcher's posts == 0; no duplicates (a case posted twice, a team digested twice in one run);
 * every notify row of the outbox done. Progress on stderr; figures on stdout; last a one-line JSON object.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import pino from "pino";
import { type Severity, severityRank } from "../src/engine/finding.js";
import type { Policy } from "../src/engine/policy.js";
import { type Observation, parseEnvelope } from "../src/intake/envelope.js";
import { loadPolicyDir } from "../src/policy/load.js";
import { observeFindings } from "../src/shell/observe-findings.js";
import { renderNotification } from "../src/slack/case-message.js";
import { createSlackClient } from "../src/slack/client.js";
import { DIGEST_SETTLE_MS, type DigestOutcome, postDigests } from "../src/slack/digest.js";
import { SlackDispatcher } from "../src/slack/dispatcher.js";
import { ChannelPacer } from "../src/slack/pacer.js";
import type { Database } from "../src/store/database.js";
import { openStore } from "../src/store/open.js";
import { asffEvent, REPO_ROOT } from "../test/support/events.js";
import { createBenchDatabase } from "./bench-database.js";

const { values } = parseArgs({
  options: {
    findings: { type: "string", default: "10000" },
    "second-wave": { type: "string", default: "300" },
    "interval-ms": { type: "string", default: "1000" },
    batch: { type: "string", default: "500" },
    "page-size": { type: "string", default: "60" },
    keep: { type: "boolean", default: false },
    "own-pacer": { type: "boolean", default: false },
  },
});
const FINDINGS = Number(values.findings);
const SECOND_WAVE = Number(values["second-wave"]);
const INTERVAL_MS = Number(values["interval-ms"]);
const BATCH = Number(values.batch);
const PAGE_SIZE = Number(values["page-size"]);
/** Real milliseconds per Slack millisecond: 0.02 at --interval-ms 20. */
const SCALE = INTERVAL_MS / 1_000;
const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const run = randomBytes(4).toString("hex");

const log = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => Number((ms / 1_000).toFixed(1));

const TEAMS = {
  platform: { channel: "C0PLATFORM", account: "111111111111" },
  data: { channel: "C0DATA", account: "222222222222" },
  security: { channel: "C0SECURITY", account: "333333333333" },
} as const;
type TeamName = keyof typeof TEAMS;
const TEAM_NAMES = Object.keys(TEAMS) as TeamName[];

const POLICY_YAML = `version: 1
teams:
  platform: { slack_channel: C0PLATFORM, slack_usergroup: S0PLATFORM, leads: [U0PLATLEAD] }
  data: { slack_channel: C0DATA, slack_usergroup: S0DATA, leads: [U0DATALEAD] }
  security: { slack_channel: C0SECURITY, slack_usergroup: S0SECURITY, leads: [U0SECLEAD] }
  leadership: { slack_channel: C0LEADERS, leads: [U0CISO] }
routing:
  - { name: platform-account, match: { accounts: ["111111111111"] }, owner: platform, counterpart: security }
  - { name: data-account, match: { accounts: ["222222222222"] }, owner: data, counterpart: security }
  - { name: default, match: {}, owner: security, counterpart: platform }
slas: { CRITICAL: 7d, HIGH: 30d, MEDIUM: 90d, LOW: 180d }
escalation:
  - { at: 50%, notify: [owner] }
  - { at: 75%, notify: [owner, counterpart], mention_leads: true }
  - { at: 100%, notify: [owner, counterpart, leadership], mention_leads: true, breach: true }
suppression: { approver: counterpart, max_duration: 90d, revert_to: NOTIFIED }
notifications: { per_finding_min_severity: HIGH, digest_interval: 15m }
`;

/** 5% CRITICAL, 20% HIGH, 40% MEDIUM, 30% LOW, 5% INFORMATIONAL, independent of the account. */
function severityOf(i: number): Severity {
  const k = Math.floor(i / TEAM_NAMES.length) % 20;
  if (k === 0) return "CRITICAL";
  if (k <= 4) return "HIGH";
  if (k <= 12) return "MEDIUM";
  if (k <= 18) return "LOW";
  return "INFORMATIONAL";
}
const CONTROLS = ["EC2.7", "S3.8", "IAM.1", "RDS.3", "Lambda.1", "CloudTrail.1", "KMS.4"];

interface Made {
  id: string;
  team: TeamName;
  severity: Severity;
}

/** Findings `from`..`from + count - 1` as observations, made from one real ASFF event. */
function makeFindings(from: number, count: number): { observations: Observation[]; made: Made[] } {
  const template = asffEvent({}, "template");
  const observations: Observation[] = [];
  const made: Made[] = [];
  for (let i = from; i < from + count; i++) {
    const team = TEAM_NAMES[i % TEAM_NAMES.length] as TeamName;
    const severity = severityOf(i);
    const controlId = CONTROLS[(i * 7 + Math.floor(i / 5)) % CONTROLS.length] as string;
    const id = `arn:aws:securityhub:us-east-1:${TEAMS[team].account}:security-control/${controlId}/finding/bench-${run}-${i}`;
    const event = structuredClone(template) as {
      id: string;
      detail: { findings: Record<string, unknown>[] };
    };
    const finding = event.detail.findings[0] as Record<string, unknown>;
    event.id = `bench-${run}-${i}`;
    finding.Id = id;
    finding.AwsAccountId = TEAMS[team].account;
    finding.ProductFields = { ...(finding.ProductFields as object), ControlId: controlId };
    finding.Severity = { Label: severity };
    finding.Title = `${controlId} bench finding ${i}`;
    finding.FirstObservedAt = new Date(Date.parse("2026-01-01T00:00:00.000Z") + i * 60_000).toISOString();
    const parsed = parseEnvelope(event);
    if (!parsed.ok || !parsed.observations[0]) throw new Error(`finding ${i} did not parse`);
    observations.push(parsed.observations[0]);
    made.push({ id, team, severity });
  }
  return { observations, made };
}

async function ingest(db: Database, policy: Policy, observations: Observation[], label: string) {
  const started = performance.now();
  for (let offset = 0; offset < observations.length; offset += BATCH) {
    const outcomes = await observeFindings(
      db,
      policy,
      observations.slice(offset, offset + BATCH),
      () => new Date(),
    );
    const bad = outcomes.find((outcome) => outcome !== "applied");
    if (bad !== undefined) throw new Error(`${label}: an observation was not applied: ${String(bad)}`);
    note(
      `${label}: ${Math.min(offset + BATCH, observations.length)}/${observations.length} findings applied`,
    );
  }
  return performance.now() - started;
}

const isDigest = (text: unknown) => typeof text === "string" && text.startsWith("Digest: ");
const FINDING_ID = new RegExp(`bench-${run}-(\\d+)`);
const caseOf = (message: DumpedMessage) => FINDING_ID.exec(JSON.stringify(message))?.[1] ?? null;

interface DumpedMessage {
  channel: string;
  text: string;
  blocks: unknown[] | null;
}
interface Counts {
  perChannel: Record<string, { perFinding: number; digests: number }>;
  perFinding: number;
  digests: number;
  rateLimited: number;
}
interface Dump {
  messages: DumpedMessage[];
  posts: { outcome: string; text: unknown; at: number }[];
  rateLimited: number;
}

/**
 * The fake Slack of test/support/fake-slack.ts in a process of its own: in the bench's process, a
 * pause of its event loop (GC, the engine applying a batch) would hold requests the dispatcher sent
 * well apart and then let the fake's bucket see them all at once, 429s that Slack would never send.
 * Asked over IPC for counts (while delivering) and for everything it holds (at the end).
 */
const FAKE_CHILD = `
import { startFakeSlack } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "test/support/fake-slack.ts")).href)};
const fake = await startFakeSlack({ perChannelIntervalMs: Number(process.env.FAKE_INTERVAL_MS), burst: 3 });
const isDigest = (text) => typeof text === "string" && text.startsWith("Digest: ");
process.on("message", async (m) => {
  if (m.type === "counts") {
    const perChannel = {};
    let perFinding = 0, digests = 0;
    for (const x of fake.messages()) {
      const c = (perChannel[x.channel] ??= { perFinding: 0, digests: 0 });
      if (isDigest(x.text)) { c.digests++; digests++; } else { c.perFinding++; perFinding++; }
    }
    process.send({ id: m.id, value: { perChannel, perFinding, digests, rateLimited: fake.rateLimited() } });
  } else if (m.type === "dump") {
    process.send({ id: m.id, value: {
      messages: fake.messages().map((x) => ({ channel: x.channel, text: x.text, blocks: x.blocks })),
      posts: fake.calls("chat.postMessage").map((r) => ({ outcome: r.outcome, text: r.text, at: r.at })),
      rateLimited: fake.rateLimited(),
    } });
  } else if (m.type === "close") {
    await fake.close();
    process.exit(0);
  }
});
process.send({ id: 0, value: fake.url });
`;

async function startRemoteFake(intervalMs: number) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", FAKE_CHILD],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...process.env, FAKE_INTERVAL_MS: String(intervalMs) },
    },
  );
  const waiting = new Map<number, (value: unknown) => void>();
  let next = 1;
  child.on("message", (message: { id: number; value: unknown }) => {
    waiting.get(message.id)?.(message.value);
    waiting.delete(message.id);
  });
  const url = await new Promise<string>((resolve, reject) => {
    waiting.set(0, (value) => resolve(String(value)));
    child.once("exit", (code) => reject(new Error(`the fake Slack exited with ${code}`)));
  });
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const id = next++;
      waiting.set(id, (value) => resolve(value as T));
      child.send({ type, id });
    });
  return {
    url,
    counts: () => ask<Counts>("counts"),
    dump: () => ask<Dump>("dump"),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "close", id: next++ });
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null) child.kill();
    },
  };
}

function expectedDigests(made: Made[], policy: Policy): Record<TeamName, number> {
  const threshold = severityRank(policy.notifications.perFindingMinSeverity);
  const counts = Object.fromEntries(TEAM_NAMES.map((team) => [team, 0])) as Record<TeamName, number>;
  for (const m of made) {
    // Tracked (has an SLA) and below the threshold: INFORMATIONAL is untracked, counted apart.
    if (policy.slaMs[m.severity] !== undefined && severityRank(m.severity) < threshold) counts[m.team] += 1;
  }
  return counts;
}

async function main() {
  if (!(FINDINGS > 0 && INTERVAL_MS > 0 && BATCH > 0))
    throw new Error("need --findings, --interval-ms, --batch > 0");
  const dir = await mkdtemp(join(tmpdir(), "shgov-bench-slack-"));
  await writeFile(join(dir, "governance.yaml"), POLICY_YAML);
  const policy = await loadPolicyDir(dir);
  const digestEveryMs = policy.notifications.digestIntervalMs * SCALE;
  const settleMs = DIGEST_SETTLE_MS * SCALE;
  log(
    `bench:slack: ${FINDINGS} new findings (+ ${SECOND_WAVE} in a second wave) for ${TEAM_NAMES.length} owner teams, PostgreSQL, fake Slack`,
  );
  log(
    SCALE === 1
      ? "time: real (1 message/s per channel, digest every 15 min)"
      : `time: scaled by ${SCALE} (--interval-ms ${INTERVAL_MS}): 1 message per ${INTERVAL_MS} ms per channel, ` +
          `digest every ${seconds(digestEveryMs)} s for 15 min, settle ${settleMs} ms; Retry-After stays in real seconds`,
  );
  const database = await createBenchDatabase(ADMIN_DATABASE_URL, `shgov_bench_slack_${run}`);
  const fake = await startRemoteFake(INTERVAL_MS);
  const logger = pino({ level: process.env.BENCH_LOG ?? "error" });
  let db: Database | null = null;
  let dispatcher: SlackDispatcher | null = null;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await dispatcher?.stop().catch(() => {});
    await db?.close().catch(() => {});
    await fake.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    if (values.keep) log(`kept ${database.url}`);
    else await database.drop();
  };
  process.once("SIGINT", () => {
    void cleanup().finally(() => process.exit(130));
  });
  try {
    db = await openStore({ databaseUrl: database.url, dataDir: "" });
    const store = db;
    const wave1 = makeFindings(0, FINDINGS);
    const wave2 = makeFindings(FINDINGS, SECOND_WAVE);
    const ingestMs = await ingest(store, policy, wave1.observations, "burst");
    log(
      `burst: ${FINDINGS} findings applied in ${seconds(ingestMs)} s (${Math.round(FINDINGS / (ingestMs / 1_000))} findings/s)`,
    );
    const all = [...wave1.made, ...wave2.made];
    const perFindingExpected = all.filter((m) => severityRank(m.severity) >= severityRank("HIGH")).length;
    const perFindingByChannel = Object.fromEntries(
      TEAM_NAMES.map((team) => [
        TEAMS[team].channel,
        all.filter((m) => m.team === team && severityRank(m.severity) >= severityRank("HIGH")).length,
      ]),
    );
    const digestExpected = [expectedDigests(wave1.made, policy), expectedDigests(wave2.made, policy), null];

    const client = createSlackClient({ token: "xoxb-bench", slackApiUrl: fake.url });
    // The digests share the dispatcher's per-channel pacer, as in the service: two pacers for one
    // channel add up to more than Slack allows. `--own-pacer` gives them one of their own instead.
    const sharedPacer = new ChannelPacer(INTERVAL_MS);
    dispatcher = new SlackDispatcher({
      db: store,
      policy,
      client,
      render: renderNotification,
      logger,
      perChannelIntervalMs: INTERVAL_MS,
      pacer: sharedPacer,
      pageSize: PAGE_SIZE,
      pollMs: Math.max(10, INTERVAL_MS),
    });
    const digestPacer = values["own-pacer"] ? new ChannelPacer(INTERVAL_MS) : sharedPacer;
    // Warm-up, not counted: the first call of a WebClient is slow (connection, code compiled), and
    // posts paced 20 ms apart would queue behind it and reach Slack together, a burst that only
    // exists because time is scaled (at 1 s per message it is lost in the spacing).
    await client.api.test();
    const started = performance.now();
    dispatcher.start();
    let deliveredMs: number | null = null;
    const progress = setInterval(() => {
      void fake.counts().then((counts) => {
        if (counts.perFinding >= perFindingExpected && deliveredMs === null)
          deliveredMs = performance.now() - started;
        const perChannel = Object.values(TEAMS)
          .map(({ channel }) => `${channel} ${counts.perChannel[channel]?.perFinding ?? 0}`)
          .join(", ");
        note(
          `delivering: ${counts.perFinding}/${perFindingExpected} per-finding messages (${perChannel}); ` +
            `digests ${counts.digests}; 429s ${counts.rateLimited}; ${seconds(performance.now() - started)} s`,
        );
      });
    }, 1_000);

    // The digest schedule: run k at k × interval after the burst; the second wave lands after run 1.
    const runs: { at: number; outcomes: DigestOutcome[] }[] = [];
    for (let k = 1; k <= 3; k++) {
      await sleep(Math.max(0, started + k * digestEveryMs - performance.now()));
      const outcomes = await postDigests({
        db: store,
        policy,
        client,
        pacer: digestPacer,
        logger,
        now: new Date(),
        settleMs,
      });
      runs.push({ at: performance.now() - started, outcomes });
      const posted = outcomes.filter((o) => o.outcome === "posted");
      note(
        `digest run ${k} at ${seconds(performance.now() - started)} s: ${posted.length} posted ` +
          `(${posted.map((o) => (o.outcome === "posted" ? `${o.team} ${o.digest.total}` : "")).join(", ")})` +
          `${outcomes.some((o) => o.outcome === "failed") ? ", some FAILED" : ""}`,
      );
      if (k === 1) {
        const ms = await ingest(store, policy, wave2.observations, "second wave");
        note(`second wave: ${SECOND_WAVE} findings applied in ${seconds(ms)} s`);
        // Make sure the second wave is older than the settle time when run 2 comes.
        await sleep(settleMs);
      }
    }
    // Wait until every notify row is delivered.
    for (;;) {
      const pending = await store.query<{ n: string }>(
        "SELECT count(*) AS n FROM outbox WHERE kind = 'notify' AND status = 'pending'",
      );
      if (Number(pending[0]?.n) === 0 && (await fake.counts()).perFinding >= perFindingExpected) break;
      await sleep(200);
    }
    const elapsedMs = performance.now() - started;
    deliveredMs ??= elapsedMs;
    clearInterval(progress);
    await dispatcher.stop();

    // ---- checks ----
    const problems: string[] = [];
    const dump = await fake.dump();
    const messages = dump.messages;
    const perFinding = messages.filter((m) => !isDigest(m.text));
    const digests = messages.filter((m) => isDigest(m.text));
    const posts = dump.posts;
    const dispatcher429 = posts.filter((r) => r.outcome === "rate_limit_429" && !isDigest(r.text)).length;
    const digest429 = posts.filter((r) => r.outcome === "rate_limit_429" && isDigest(r.text)).length;
    const seen = new Map<string, number>();
    let unattributed = 0;
    for (const message of perFinding) {
      const id = caseOf(message);
      if (id === null) unattributed += 1;
      else seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const duplicateCases = [...seen.values()].filter((n) => n > 1).length;
    const duplicateDigests = runs.reduce((sum, r) => {
      const teams = r.outcomes.filter((o) => o.outcome === "posted").map((o) => o.team);
      return sum + teams.length - new Set(teams).size;
    }, 0);
    const outbox = await store.query<{ status: string; n: string }>(
      "SELECT status, count(*) AS n FROM outbox WHERE kind = 'notify' GROUP BY status",
    );
    const outboxByStatus = Object.fromEntries(outbox.map((row) => [row.status, Number(row.n)]));
    const slackRows = Number(
      (await store.query<{ n: string }>("SELECT count(*) AS n FROM slack_messages"))[0]?.n ?? 0,
    );

    if (perFinding.length !== perFindingExpected)
      problems.push(
        `per-finding messages ${perFinding.length} != HIGH+CRITICAL findings ${perFindingExpected}`,
      );
    if (seen.size + unattributed !== perFinding.length || unattributed > 0)
      problems.push(`${unattributed} per-finding messages name no bench finding`);
    if (duplicateCases > 0) problems.push(`${duplicateCases} cases posted more than once`);
    if (duplicateDigests > 0) problems.push(`${duplicateDigests} teams digested twice in one run`);
    if (dispatcher429 > 0) problems.push(`the fake sent ${dispatcher429} 429s to the dispatcher`);
    if ((outboxByStatus.done ?? 0) !== perFindingExpected || Object.keys(outboxByStatus).length !== 1)
      problems.push(
        `outbox notify rows ${JSON.stringify(outboxByStatus)}, expected ${perFindingExpected} done`,
      );
    if (slackRows !== perFindingExpected)
      problems.push(`slack_messages ${slackRows} != ${perFindingExpected}`);
    runs.forEach((r, index) => {
      const want = digestExpected[index];
      for (const team of TEAM_NAMES) {
        const outcome = r.outcomes.find((o) => o.team === team);
        const got = outcome?.outcome === "posted" ? outcome.digest.total : 0;
        const expected = want ? want[team] : 0;
        if (got !== expected)
          problems.push(`digest run ${index + 1}, ${team}: ${got} cases, expected ${expected}`);
        if (outcome?.outcome === "failed")
          problems.push(`digest run ${index + 1}, ${team}: ${outcome.error}`);
      }
    });
    const digestsPerRun = runs.map((r) => r.outcomes.filter((o) => o.outcome === "posted").length);
    const wantPerRun = digestExpected.map((want) =>
      want ? TEAM_NAMES.filter((team) => want[team] > 0).length : 0,
    );
    if (digestsPerRun.join() !== wantPerRun.join())
      problems.push(`digests per run ${digestsPerRun.join("/")}, expected ${wantPerRun.join("/")}`);
    if (digests.length !== wantPerRun.reduce((a, b) => a + b, 0))
      problems.push(`the fake holds ${digests.length} digests`);

    const channels = [...Object.values(TEAMS).map((t) => t.channel), "C0LEADERS"];
    const perChannel = Object.fromEntries(
      channels.map((channel) => [
        channel,
        {
          per_finding: perFinding.filter((m) => m.channel === channel).length,
          digests: digests.filter((m) => m.channel === channel).length,
        },
      ]),
    );
    const busiest = Math.max(...Object.values(perFindingByChannel));
    log(
      `per-finding messages: ${perFinding.length} (HIGH+CRITICAL findings: ${perFindingExpected}), ` +
        `delivered in ${seconds(deliveredMs)} s` +
        (SCALE === 1 ? "" : ` (${seconds(deliveredMs / SCALE)} s at Slack's 1 message/s per channel)`) +
        `; floor ${seconds(busiest * INTERVAL_MS)} s for the busiest channel (${busiest} messages)`,
    );
    log(
      `digests per run: ${digestsPerRun.join(" / ")} (expected ${wantPerRun.join(" / ")}); ` +
        `cases per digest: ${runs
          .map((r) =>
            r.outcomes
              .filter((o) => o.outcome === "posted")
              .map((o) => (o.outcome === "posted" ? `${o.team} ${o.digest.total}` : ""))
              .join(", "),
          )
          .map((text, i) => `run ${i + 1}: ${text || "none"}`)
          .join("; ")}`,
    );
    log(
      `429s: ${dispatcher429} to the dispatcher, ${digest429} to digests (fake total ${dump.rateLimited}); duplicates: ${duplicateCases} cases, ${duplicateDigests} digests`,
    );
    log(
      `messages per channel: ${Object.entries(perChannel)
        .map(([channel, n]) => `${channel} ${n.per_finding} + ${n.digests} digests`)
        .join(", ")}`,
    );
    log(`elapsed: ${seconds(elapsedMs)} s (three digest runs)`);
    const startedAt = Date.now() - (performance.now() - started);
    const times429 = posts
      .filter((r) => r.outcome === "rate_limit_429")
      .map((r) => `${seconds(r.at - startedAt)}${isDigest(r.text) ? "d" : ""}`);
    if (times429.length > 0) note(`429s at (s after the start; d = digest): ${times429.join(" ")}`);
    for (const problem of problems) note(`FAILED: ${problem}`);
    log(
      JSON.stringify({
        bench: "slack",
        store: "postgres",
        ok: problems.length === 0,
        findings: FINDINGS,
        second_wave: SECOND_WAVE,
        teams: TEAM_NAMES.length,
        interval_ms: INTERVAL_MS,
        time_scale: SCALE,
        ingest_s: seconds(ingestMs),
        per_finding_expected: perFindingExpected,
        per_finding_messages: perFinding.length,
        digests_per_run: digestsPerRun,
        digests_expected_per_run: wantPerRun,
        digest_pacer: digestPacer === sharedPacer ? "shared with the dispatcher" : "own",
        rate_limited_dispatcher: dispatcher429,
        rate_limited_digests: digest429,
        rate_limited_total: dump.rateLimited,
        duplicates: duplicateCases + duplicateDigests,
        delivered_s: seconds(deliveredMs),
        delivered_s_unscaled: seconds(deliveredMs / SCALE),
        elapsed_s: seconds(elapsedMs),
        per_channel: perChannel,
      }),
    );
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:slack failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
