import type { App } from "@slack/bolt";
import type { Logger } from "pino";
import type { Case } from "../engine/case.js";
import { caseRef } from "../engine/case-ref.js";
import { DAY_MS } from "../engine/durations.js";
import { approverTeam } from "../engine/exceptions.js";
import type { Policy } from "../engine/policy.js";
import { truncate } from "../lib/text.js";
import { openCases } from "../store/cases.js";
import type { Database } from "../store/database.js";
import { SECTION_TEXT_MAX, section, when } from "./block-kit.js";
import { actionButtons, refLead } from "./case-message.js";
import type { TeamMembership } from "./membership.js";
import { code, joinMrkdwn, type Mrkdwn, md, mrkdwnText, plainText, userMention } from "./mrkdwn.js";

/**
 * The App Home tab: what a person's teams have on their plate. Open cases of their teams by SLA
 * due, the exception requests waiting for a team of theirs to decide (with Approve/Reject), and the
 * agreed upgrade dates of the next 30 days. The view is pure (cases, teams and time in, blocks out);
 * the listener publishes it with views.publish when the user opens the tab.
 */

/** Approvals shown with their buttons (two blocks each); Slack allows 100 blocks in a Home tab. */
const MAX_APPROVALS = 20;
export const UPCOMING_DAYS = 30;

export interface HomeInput {
  user: string;
  teams: string[];
  /** Cases not resolved, soonest SLA due first. */
  cases: Case[];
  policy: Policy;
  now: Date;
}

/** A header block: plain text (Slack does not parse it), at most 150 characters. */
function header(text: string) {
  return { type: "header", text: plainText(text, 150) };
}

/** Lines in one section, cut with "…and N more" before the section's limit. */
export function listSection(lines: Mrkdwn[], empty: string) {
  if (lines.length === 0) return section(md`_${empty}_`);
  const kept: Mrkdwn[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    if (length + line.text.length + 40 > SECTION_TEXT_MAX) {
      kept.push(md`…and ${lines.length - index} more`);
      break;
    }
    kept.push(line);
    length += line.text.length + 1;
  }
  return section(joinMrkdwn(kept, "\n"));
}

/** One case on a line (App Home, `/shgov mine`): its id, SLA due, severity, control, title, status and finding id. */
export function caseLine(c: {
  ref: string | null;
  due: string;
  severity: string;
  controlId: string | null;
  title: string;
  status: string;
  id: string;
}): Mrkdwn {
  return md`• ${refLead(c.ref)}${c.due} · ${c.severity} · ${truncate(c.controlId ?? "-", 100)} · ${truncate(c.title, 80)} · ${c.status} · ${code(truncate(c.id, 200))}`;
}

function openCaseLine(c: Case): Mrkdwn {
  return caseLine({ ...c, ref: caseRef(c), due: c.slaDueAt ? when(c.slaDueAt) : "no SLA" });
}

/** The exception requests waiting for one of `teams` to decide. */
export function approvalsFor(cases: Case[], teams: string[], policy: Policy): Case[] {
  return cases.filter((c) => {
    const pending = c.exception?.status === "requested" ? c.exception : null;
    return (
      pending !== null &&
      c.resolvedAt === null &&
      teams.includes(approverTeam(policy, c, pending.requester.team))
    );
  });
}

/** Agreed upgrade dates of `teams`' cases from today (UTC) through the next `UPCOMING_DAYS` days, soonest first. */
export function upcomingDates(cases: Case[], teams: string[], now: Date): Case[] {
  const today = now.toISOString().slice(0, 10);
  const last = new Date(now.getTime() + UPCOMING_DAYS * DAY_MS).toISOString().slice(0, 10);
  return cases
    .filter((c) => {
      const agreed = c.upgrade?.agreed;
      return (
        agreed !== undefined &&
        agreed !== null &&
        c.resolvedAt === null &&
        agreed.date >= today &&
        agreed.date <= last &&
        (c.upgrade?.teams ?? [c.owner, c.counterpart]).some((team) => teams.includes(team))
      );
    })
    .sort((a, b) => (a.upgrade?.agreed?.date ?? "").localeCompare(b.upgrade?.agreed?.date ?? ""));
}

/** The Home tab of `user`. */
export function homeView(input: HomeInput) {
  const { teams, cases, policy, now } = input;
  const blocks: Record<string, unknown>[] = [header("Security Hub governance")];
  if (teams.length === 0) {
    blocks.push(section(md`You are in no team of the policy, so no case is yours to act on.`));
    return { type: "home" as const, blocks };
  }
  blocks.push({
    type: "context",
    elements: [
      mrkdwnText(md`Your teams: ${teams.join(", ")} · as of ${when(now.toISOString())}`, SECTION_TEXT_MAX),
    ],
  });

  const approvals = approvalsFor(cases, teams, policy);
  blocks.push({ type: "divider" }, header(`Approvals waiting for you (${approvals.length})`));
  if (approvals.length === 0) blocks.push(section(md`_No exception request waits for your teams._`));
  for (const c of approvals.slice(0, MAX_APPROVALS)) {
    const exception = c.exception;
    if (!exception) continue;
    blocks.push(
      section(
        md`${refLead(caseRef(c))}*${truncate(c.title, 200)}* (${c.severity}, ${code(truncate(c.id, 200))})
${userMention(exception.requester.user)} (${exception.requester.team}) requests ${exception.id} until ${when(exception.expiresAt)}: ${truncate(exception.justification, 1500)}`,
      ),
      { type: "actions", elements: actionButtons("exception.requested", c) },
    );
  }
  if (approvals.length > MAX_APPROVALS) {
    blocks.push(section(md`…and ${approvals.length - MAX_APPROVALS} more`));
  }

  const mine = cases.filter(
    (c) => c.resolvedAt === null && (teams.includes(c.owner) || teams.includes(c.counterpart)),
  );
  blocks.push({ type: "divider" }, header(`Open cases of your teams (${mine.length}), by SLA due`));
  blocks.push(listSection(mine.map(openCaseLine), "No open case."));

  const dates = upcomingDates(cases, teams, now);
  blocks.push(
    { type: "divider" },
    header(`Upgrade dates in the next ${UPCOMING_DAYS} days (${dates.length})`),
  );
  blocks.push(
    listSection(
      dates.map(
        (c) =>
          md`• ${refLead(caseRef(c))}*${c.upgrade?.agreed?.date ?? ""}* · ${truncate(c.controlId ?? "-", 100)} · ${truncate(c.title, 80)} · ${c.upgrade?.eksVersion ? md`EKS ${truncate(c.upgrade.eksVersion, 50)} · ` : md``}${code(truncate(c.id, 200))}`,
      ),
      "No agreed upgrade date in the next 30 days.",
    ),
  );
  return { type: "home" as const, blocks };
}

export interface HomeDeps {
  db: Database;
  policy: Policy;
  membership: TeamMembership;
  now: () => Date;
  log: Logger;
}

/** Publishes the Home tab whenever a user opens it (event app_home_opened, tab "home"). */
export function registerHome(app: App, deps: HomeDeps): void {
  app.event("app_home_opened", async ({ event, client }) => {
    if (event.tab !== "home") return;
    try {
      const [teams, cases] = await Promise.all([deps.membership.teamsOf(event.user), openCases(deps.db)]);
      const view = homeView({ user: event.user, teams, cases, policy: deps.policy, now: deps.now() });
      await client.views.publish({ user_id: event.user, view: view as never });
    } catch (error) {
      deps.log.error({ err: error, user: event.user }, "publishing the App Home failed");
    }
  });
}
