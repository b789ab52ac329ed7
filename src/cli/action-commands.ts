import type { Command } from "commander";

import { loadEnv } from "../config/env.js";
import type { Case, CaseEvent } from "../engine/case.js";
import { caseRef } from "../engine/case-ref.js";
import type { Effect } from "../engine/effects.js";
import { formatInstant } from "../engine/time-text.js";
import { ShgovError } from "../errors.js";
import { loadPolicyDir } from "../policy/load.js";
import { actOnCase, requestFor } from "../shell/act-on-case.js";
import { type CaseAction, parseCaseAction } from "../shell/case-actions.js";
import { PolicyMembership } from "../shell/membership.js";
import { openStore } from "../store/open.js";
import { runningService, ServiceAnswerError } from "./case-reader.js";

/** What the CLI prints of an action that was taken (the admin API's answer has the same shape). */
interface ActionTaken {
  events: CaseEvent[];
  effects: Effect[];
  case: Case | null;
}

/** Thrown when the rules refuse an action: the message says why. */
export class ActionRefusedError extends ShgovError {
  override name = "ActionRefusedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("action.refused", message, options);
  }
}

interface ActorOptions {
  as: string;
  team: string;
  json?: boolean;
}

/**
 * Sends an action to the running service when one holds the embedded database, else decides it
 * here against the store and the policy of WORKFLOWS_DIR (PostgreSQL: always here).
 */
async function act(caseId: string, action: CaseAction): Promise<ActionTaken> {
  const env = loadEnv();
  const input = parseCaseAction(action);
  const service = await runningService(env);
  if (service) {
    const response = await fetch(
      `http://127.0.0.1:${service.port}/api/cases/${encodeURIComponent(caseId)}/actions`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${service.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify(action),
      },
    );
    const body = (await response.json()) as ActionTaken & { error?: string; message?: string };
    // The admin API answers {error: code, message}, the same shape for every refusal.
    if (response.status === 409) throw new ActionRefusedError(`refused: ${body.message ?? body.error}`);
    if (response.status === 404) throw new ActionRefusedError(`no case ${caseId}`);
    if (response.status !== 200) {
      throw new ServiceAnswerError(
        `the running service answered ${response.status}: ${body.message ?? body.error ?? response.statusText}`,
      );
    }
    return body;
  }
  const policy = await loadPolicyDir(env.WORKFLOWS_DIR);
  const db = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, existingOnly: true });
  try {
    const deps = { db, policy, membership: new PolicyMembership(policy), now: () => new Date() };
    const outcome = await actOnCase(deps, requestFor(caseId, input));
    if (!outcome.ok && outcome.refusal.code === "case.missing")
      throw new ActionRefusedError(`no case ${caseId}`);
    if (!outcome.ok) throw new ActionRefusedError(`refused: ${outcome.refusal.message}`);
    return { events: outcome.events, effects: outcome.effects, case: outcome.case };
  } finally {
    await db.close();
  }
}

function report(result: ActionTaken, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  for (const event of result.events) {
    process.stdout.write(`${event.type}${event.reason ? `: ${event.reason}` : ""}\n`);
  }
  for (const effect of result.effects) {
    if (effect.kind === "notify")
      process.stdout.write(`  notify ${effect.teams.join(", ")}: ${effect.text}\n`);
    else if (effect.kind === "securityhub.update") {
      process.stdout.write(`  Security Hub: set ${effect.workflowStatus} with note "${effect.note}"\n`);
    }
  }
  const c = result.case;
  if (c)
    process.stdout.write(
      `case ${caseRef(c) ?? c.id}: ${c.status}${c.slaDueAt ? `, due ${formatInstant(c.slaDueAt)}` : ""}\n`,
    );
}

function actor(command: Command): Command {
  return command
    .requiredOption("--as <user>", "who acts (a user id, e.g. the Slack user id U0123)")
    .requiredOption("--team <team>", "the team the user acts for")
    .option("--json", "print what was decided as JSON");
}

async function run(caseId: string, action: CaseAction, json: boolean | undefined): Promise<void> {
  report(await act(caseId, action), json);
}

/** `shgov claim`, `shgov exception request|approve|reject`, `shgov date propose|counter|agree`. */
export function addActionCommands(program: Command): void {
  actor(
    program
      .command("claim")
      .description("take a case: you become its assignee")
      .argument("<case>", "the case (finding) id"),
  ).action((caseId: string, o: ActorOptions) =>
    run(caseId, { action: "claim", user: o.as, team: o.team }, o.json),
  );

  const exception = program
    .command("exception")
    .description("request, approve or reject an exception (an allowed suppression with an expiry)");
  actor(
    exception
      .command("request")
      .description("ask to suppress a finding until a date; the approver team decides")
      .argument("<case>", "the case (finding) id")
      .requiredOption(
        "--until <date>",
        "expiry: YYYY-MM-DD (through the end of that day, UTC) or an ISO time",
      )
      .requiredOption("--justification <text>", "why the finding may stay suppressed"),
  ).action((caseId: string, o: ActorOptions & { until: string; justification: string }) =>
    run(
      caseId,
      {
        action: "exception_request",
        user: o.as,
        team: o.team,
        expires: o.until,
        justification: o.justification,
      },
      o.json,
    ),
  );
  for (const verb of ["approve", "reject"] as const) {
    actor(
      exception
        .command(verb)
        .description(`${verb} the pending exception (not its requester, not the requester's team)`)
        .argument("<case>", "the case (finding) id")
        .option("--reason <text>", "why"),
    ).action((caseId: string, o: ActorOptions & { reason?: string }) =>
      run(
        caseId,
        { action: `exception_${verb}`, user: o.as, team: o.team, reason: o.reason ?? null },
        o.json,
      ),
    );
  }

  const date = program
    .command("date")
    .description("agree an upgrade date for an end-of-support finding (both teams must agree)");
  for (const verb of ["propose", "counter"] as const) {
    actor(
      date
        .command(verb)
        .description(
          verb === "propose"
            ? "propose an upgrade date (or a change of the agreed one); the other team agrees or counters"
            : "answer the other team's proposal with another date",
        )
        .argument("<case>", "the case (finding) id")
        .argument("<date>", "YYYY-MM-DD, before the deadline"),
    ).action((caseId: string, day: string, o: ActorOptions) =>
      run(caseId, { action: `date_${verb}`, user: o.as, team: o.team, date: day }, o.json),
    );
  }
  actor(
    date
      .command("agree")
      .description("agree to the proposed date")
      .argument("<case>", "the case (finding) id")
      .argument("[date]", "the date you agree to; refused if the proposal changed meanwhile"),
  ).action((caseId: string, day: string | undefined, o: ActorOptions) =>
    run(caseId, { action: "date_agree", user: o.as, team: o.team, date: day ?? null }, o.json),
  );
}
