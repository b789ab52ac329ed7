import type { ChatPostMessageArguments, WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import { SEVERITIES, type Severity, severityRank } from "../engine/finding.js";
import type { Policy, Team } from "../engine/policy.js";
import { formatInstant } from "../engine/time-text.js";
import { truncate } from "../lib/text.js";
import type { Database, Sql } from "../store/database.js";
import {
  type DigestItem,
  digestGroups,
  loadWatermarks,
  oldestDigestCases,
  recordDigest,
} from "../store/digests.js";

export type { DigestItem } from "../store/digests.js";

import { MAX_BLOCKS, SECTION_TEXT_MAX } from "./block-kit.js";
import { consoleUrl } from "./case-message.js";
import { classifySlackError, type SlackFailure } from "./dispatcher.js";
import { code, joinMrkdwn, link, type Mrkdwn, md, mrkdwnText, plainText, truncateMrkdwn } from "./mrkdwn.js";
import { ChannelPacer } from "./pacer.js";
import { slackAddress } from "./team-address.js";
import type { SlackMessage } from "./types.js";

/**
 * The digest: findings below `notifications.per_finding_min_severity` are not announced one by
 * one (src/engine/observe.ts); instead each team gets at most ONE message per digest run with the
 * cases it owns that were opened since its last digest and are still unresolved: counts by
 * severity and by control, the oldest few, and a pointer to App Home for the full list.
 *
 * Which cases: owner_team = the team, opened_at in (covered_until of the team's last digest,
 * now - settleMs], status not resolved, and either a severity below the threshold or no SLA at all.
 * Untracked cases (no SLA for their severity: INFORMATIONAL in the example policy) are COUNTED
 * SEPARATELY, on a line of their own, and never listed: they carry no deadline, so they ask for no
 * action, but a team should still see that they exist. Untracked cases alone do not make a digest
 * (a message saying "nothing to do" is noise): the watermark then stays, and they are counted in
 * the next digest that has tracked cases to show.
 *
 * Delivery and the watermark (table slack_digests, one row per team):
 * - The post is chat.postMessage through the client of src/slack/client.ts (no retries inside the
 *   client, 429 rejected with Retry-After), paced per channel by a ChannelPacer. A 429 blocks the
 *   channel for Retry-After and the post is tried once more; a second 429, a 5xx, a network error
 *   or a platform error fails the team's digest for this run. Nothing is written then, so the next
 *   run covers the same cases again (and any opened since): nothing is lost.
 * - The watermark is written right after a successful post, in a small transaction of its own; no
 *   transaction is held while waiting for Slack. A crash between the post and that write means the
 *   next run posts the same cases again: an accepted duplicate risk (one extra digest, a window of
 *   one round trip), preferred to the opposite order, which could lose a digest.
 * - The watermark only moves forward (compare-and-set on covered_until), so two runs that overlap
 *   (a manual one and the scheduled one) cannot move it back. They can still post one duplicate:
 *   the scheduler (src/queue/digests.ts) runs one job at a time, which is what prevents it.
 *
 * Why `settleMs`: a case's opened_at is the engine's `now` inside the observing transaction, which
 * commits a moment later (and on another host, with its own clock). A digest covering up to the
 * very instant it runs could miss a case opened just before and committed just after, and the
 * next digest would start after it: lost. Covering only up to now - settleMs (one minute by
 * default, far longer than any transaction and any sane clock skew) closes that window; those
 * cases go into the next digest instead.
 */

export const DIGEST_OLDEST_ITEMS = 5;
/** Controls listed by name; the rest are summed up as "n more". */
export const DIGEST_MAX_CONTROLS = 15;
export const DIGEST_SETTLE_MS = 60_000;

export interface PostDigestsOptions {
  db: Database;
  policy: Policy;
  client: WebClient;
  /** Share the pacer of other posters to the same channels when there is one; a fresh one otherwise. */
  pacer?: ChannelPacer;
  logger: Logger;
  /** The instant of this run. */
  now: Date;
  /** Cases opened in the last settleMs before `now` are left to the next digest (see above). */
  settleMs?: number;
}

export interface TeamDigest {
  team: string;
  /** Exclusive lower bound: the previous digest's covered_until, null before the team's first digest. */
  coveredFrom: string | null;
  /** Inclusive upper bound of opened_at. */
  coveredUntil: string;
  /** Tracked cases below the threshold. */
  total: number;
  bySeverity: Partial<Record<Severity, number>>;
  /** Tracked cases by control id ("none" for findings without one), most first. */
  byControl: { controlId: string; count: number }[];
  /** Cases without an SLA, counted separately and not listed. */
  untracked: number;
  /** The oldest tracked cases (first observed first). */
  oldest: DigestItem[];
}

export type DigestOutcome =
  | { team: string; outcome: "posted"; digest: TeamDigest; channel: string; ts: string }
  | { team: string; outcome: "nothing"; untracked: number }
  | { team: string; outcome: "failed"; digest: TeamDigest; channel: string; error: string };

/** The severities that are digested rather than announced one by one. */
export function digestSeverities(policy: Policy): Severity[] {
  const threshold = severityRank(policy.notifications.perFindingMinSeverity);
  return SEVERITIES.filter((severity) => severityRank(severity) < threshold);
}

/**
 * Posts one digest per team that has something new, in parallel across teams (one message each);
 * returns what happened per team. A database error is thrown after every team had its turn, so a
 * scheduled job fails visibly; Slack failures are per team and only logged and returned.
 */
export async function postDigests(options: PostDigestsOptions): Promise<DigestOutcome[]> {
  const { db, policy, logger, now } = options;
  const pacer = options.pacer ?? new ChannelPacer(1_000);
  const until = new Date(now.getTime() - (options.settleMs ?? DIGEST_SETTLE_MS));
  const watermarks = await loadWatermarks(db);
  const settled = await Promise.allSettled(
    Object.values(policy.teams)
      .filter((team) => slackAddress(team) !== null)
      .map(async (team): Promise<DigestOutcome> => {
        const digest = await loadDigest(db, policy, team.name, watermarks.get(team.name) ?? null, until);
        if (digest.total === 0) return { team: team.name, outcome: "nothing", untracked: digest.untracked };
        const message = renderDigest(digest, team, policy);
        const posted = await postOnce(options.client, pacer, message);
        const context = {
          team: team.name,
          channel: message.channel,
          cases: digest.total,
          coveredFrom: digest.coveredFrom,
          coveredUntil: digest.coveredUntil,
        };
        if (!posted.ok) {
          (posted.failure.kind === "permanent" ? logger.error.bind(logger) : logger.warn.bind(logger))(
            { ...context, error: posted.failure.message },
            "digest not posted; the next run covers the same cases",
          );
          return {
            team: team.name,
            outcome: "failed",
            digest,
            channel: message.channel,
            error: posted.failure.message,
          };
        }
        // Right after the post: a crash before this line means one duplicate digest, never a lost one.
        await db.transaction((tx) => recordDigest(tx, team.name, until, now, posted.ts));
        logger.info({ ...context, ts: posted.ts }, "digest posted");
        return { team: team.name, outcome: "posted", digest, channel: message.channel, ts: posted.ts };
      }),
  );
  const failure = settled.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<DigestOutcome>).value);
}

/** What the team's digest would hold for cases opened in (since, until]. */
export async function loadDigest(
  db: Sql,
  policy: Policy,
  team: string,
  since: string | null,
  until: Date,
): Promise<TeamDigest> {
  const scope = { team, since, until, severities: digestSeverities(policy) };
  const [groups, oldest] = await Promise.all([
    digestGroups(db, scope),
    oldestDigestCases(db, scope, DIGEST_OLDEST_ITEMS),
  ]);
  const bySeverity: Partial<Record<Severity, number>> = {};
  const byControl = new Map<string, number>();
  let total = 0;
  let untracked = 0;
  for (const group of groups) {
    const n = group.count;
    if (!group.tracked) {
      untracked += n;
      continue;
    }
    total += n;
    bySeverity[group.severity] = (bySeverity[group.severity] ?? 0) + n;
    const control = group.controlId ?? "none";
    byControl.set(control, (byControl.get(control) ?? 0) + n);
  }
  return {
    team,
    coveredFrom: since,
    coveredUntil: until.toISOString(),
    total,
    bySeverity,
    byControl: [...byControl]
      .map(([controlId, count]) => ({ controlId, count }))
      .sort((a, b) => b.count - a.count || a.controlId.localeCompare(b.controlId)),
    untracked,
    oldest,
  };
}

/** Marks a digest message (text and blocks) so that tools and tests can tell it from the others. */
export const DIGEST_TITLE = ":bookmark_tabs: Digest";

const day = (stamp: string | null) => (stamp ? stamp.slice(0, 10) : "none");
const mrkdwn = (text: Mrkdwn) => mrkdwnText(text, SECTION_TEXT_MAX);

/** The digest as one Block Kit message to the team's channel. It mentions nobody: it asks for no action now. */
export function renderDigest(digest: TeamDigest, team: Team, policy: Policy): SlackMessage {
  const address = slackAddress(team);
  if (!address) throw new Error(`team ${team.name} is not reached on Slack`);
  const threshold = policy.notifications.perFindingMinSeverity;
  const severities = [...SEVERITIES]
    .reverse()
    .filter((severity) => (digest.bySeverity[severity] ?? 0) > 0)
    .map((severity) => ({ severity, count: digest.bySeverity[severity] ?? 0 }));
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const headline = `${plural(digest.total, "new finding")} below ${threshold} for team ${team.name}`;
  const window = digest.coveredFrom
    ? `opened between ${formatInstant(digest.coveredFrom)} and ${formatInstant(digest.coveredUntil)}`
    : `opened up to ${formatInstant(digest.coveredUntil)}`;
  const controls = digest.byControl.slice(0, DIGEST_MAX_CONTROLS);
  const moreControls = digest.byControl.length - controls.length;
  const controlText = joinMrkdwn(
    [
      ...controls.map((control) => md`${code(truncate(control.controlId, 100))} ${control.count}`),
      ...(moreControls > 0 ? [`and ${plural(moreControls, "more control")}`] : []),
    ],
    "  ·  ",
  );
  const items = digest.oldest.map((item) => {
    const title = truncate(item.title.replace(/[|\n]/g, " "), 200);
    const resource = item.resourceId
      ? code(truncate(item.resourceId, 200))
      : md`${truncate(item.accountId, 100)} / ${truncate(item.region, 100)}`;
    const consoleLink = link(consoleUrl({ region: item.region, findingId: item.findingId }), title);
    return md`• *${item.severity}* ${code(item.caseRef)} ${consoleLink}
      ${resource}, ${truncate(item.controlId ?? "no control", 100)}, SLA due ${day(item.slaDueAt)}`;
  });
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: plainText(`Digest: ${headline}`, 150) },
    {
      type: "section",
      text: mrkdwn(
        md`${DIGEST_TITLE} for *${team.name}*: ${plural(digest.total, "case")} ${window}, still unresolved, each below the per-finding threshold (${threshold}) so not announced one by one.`,
      ),
    },
    {
      type: "section",
      fields: severities.map(({ severity, count }) => mrkdwn(md`*${severity}*\n${count}`)),
    },
    { type: "section", text: mrkdwn(md`*By control*\n${controlText}`) },
  ];
  if (items.length > 0) {
    const oldestTitle =
      digest.total > items.length ? md`*The ${items.length} oldest*` : md`*${plural(items.length, "case")}*`;
    blocks.push({ type: "section", text: mrkdwn(md`${oldestTitle}\n${joinMrkdwn(items, "\n")}`) });
  }
  const context = [
    ...(digest.untracked > 0
      ? [md`Also ${plural(digest.untracked, "untracked finding")} (no SLA for its severity), not listed.`]
      : []),
    md`Open App Home (the app's Home tab) for the full list.`,
  ];
  blocks.push({ type: "context", elements: context.map((text) => mrkdwn(text)) });
  const counts = severities.map(({ severity, count }) => `${severity} ${count}`).join(", ");
  // The notification's text is mrkdwn: the team's name is escaped there as in the blocks.
  const text = md`Digest: ${headline} (${counts}). Open App Home (the app's Home tab) for the full list.`;
  return {
    channel: address.address,
    text: truncateMrkdwn(text, SECTION_TEXT_MAX).text,
    blocks: blocks.slice(0, MAX_BLOCKS),
  };
}

type PostResult = { ok: true; ts: string } | { ok: false; failure: SlackFailure };

/** One post, paced; a 429 blocks the channel for Retry-After and is tried once more. */
async function postOnce(client: WebClient, pacer: ChannelPacer, message: SlackMessage): Promise<PostResult> {
  for (let attempt = 1; ; attempt++) {
    await pacer.take(message.channel);
    try {
      const answer = await client.chat.postMessage({
        channel: message.channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
      } as ChatPostMessageArguments);
      return { ok: true, ts: answer.ts ?? "" };
    } catch (error) {
      const failure = classifySlackError(error);
      if (failure.kind === "rate_limited" && attempt === 1) {
        pacer.block(message.channel, failure.retryAfterMs);
        continue;
      }
      return { ok: false, failure };
    }
  }
}
