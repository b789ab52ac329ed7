import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type AckFn,
  App,
  type BlockAction,
  type Logger as BoltLogger,
  type ButtonAction,
  isValidSlackRequest,
  LogLevel,
  type Receiver,
  type ViewResponseAction,
  type ViewSubmitAction,
} from "@slack/bolt";
import type { Logger } from "pino";
import { applyInput, type InputResult, recordRefusal } from "../app/apply-input.js";
import { CaseActionError, parseCaseAction } from "../app/case-actions.js";
import type { Case } from "../engine/case.js";
import { caseRef } from "../engine/case-ref.js";
import type { HumanAction } from "../engine/inputs.js";
import type { Policy } from "../engine/policy.js";
import { readBody } from "../http/body.js";
import { sendError } from "../http/respond.js";
import type { Route } from "../http/server.js";
import { truncate } from "../lib/text.js";
import { findCase, listCases } from "../store/cases.js";
import type { Database } from "../store/database.js";
import { caseLine, listSection, registerHome } from "./home.js";
import { candidateTeams, TeamMembership, USERGROUP_CACHE_MS } from "./membership.js";
import {
  ACTION_IDS,
  caseBlocks,
  dateModal,
  exceptionModal,
  INPUT_ACTION,
  lateClick,
  lateClickPlain,
  MODAL_BLOCKS,
  parseButtonValue,
  parseModalMetadata,
  rejectModal,
  SECTION_TEXT_MAX,
  VIEW_IDS,
} from "./messages.js";
import { code, type Mrkdwn, md, truncateMrkdwn } from "./mrkdwn.js";

/** What the listeners need, whichever transport feeds them. */
export interface SlackListenerOptions {
  db: Database;
  policy: Policy;
  botToken: string;
  /** The Web API base (SLACK_API_URL); Slack's own when unset. */
  slackApiUrl?: string | null;
  /** The engine's clock (time of decisions). */
  now: () => Date;
  logger: Logger;
  /** Wall clock for request freshness (Slack's timestamps are real time); Date.now by default. */
  wallClock?: () => number;
  /** The bot's ids, when known; without them Bolt's context has none (no auth.test is made). */
  botId?: string;
  botUserId?: string;
  usergroupCacheMs?: number;
}

export interface SlackRoutesOptions extends SlackListenerOptions {
  signingSecret: string;
  /** How long to wait for a listener's ack before answering 200 anyway (Slack gives up at 3 s). */
  ackTimeoutMs?: number;
}

export interface SlackSocketModeOptions extends SlackRoutesOptions {
  /** SLACK_APP_TOKEN (xapp-…, scope connections:write). */
  appToken: string;
}

export interface SlackSocketMode {
  app: App;
  membership: TeamMembership;
  /** Opens the WebSocket (apps.connections.open); resolves once connected. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The same Bolt app and listeners over Socket Mode (SLACK_APP_TOKEN set): Slack sends events and
 * interactions over a WebSocket the app opens, so no public URL is needed and no request signature
 * is checked (the app token authenticates the connection). Building it connects nothing: the
 * connection opens on start(). signingSecret is accepted for symmetry with createSlackRoutes and
 * unused here.
 */
export function startSlackSocketMode(options: SlackSocketModeOptions): SlackSocketMode {
  const log = options.logger.child({ component: "slack" });
  const app = new App({ socketMode: true, appToken: options.appToken, ...commonAppOptions(options, log) });
  const membership = registerSlackListeners(app, options);
  return {
    app,
    membership,
    start: async () => {
      await app.start();
      log.info("Slack Socket Mode connected");
    },
    stop: async () => {
      await app.stop();
    },
  };
}

export interface SlackRoutes {
  routes: Route[];
  app: App;
  membership: TeamMembership;
}

const MAX_SKEW_SECONDS = 5 * 60;

/** Bolt's logger interface over pino. */
function boltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: "bolt" });
  let level: LogLevel = LogLevel.INFO;
  const write =
    (method: "debug" | "info" | "warn" | "error") =>
    (...msg: unknown[]) =>
      log[method](
        msg
          .map((m) => (m instanceof Error ? m.message : typeof m === "string" ? m : JSON.stringify(m)))
          .join(" "),
      );
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** The receiver is the service's HTTP route below: Bolt only gets events through processEvent. */
const routeReceiver: Receiver = {
  init: () => {},
  start: async () => undefined,
  stop: async () => undefined,
};

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Slack signs "v0:{timestamp}:{body}" with the signing secret; stale or forged requests are refused. */
export function verifySlackSignature(
  signingSecret: string,
  body: string,
  timestamp: string | undefined,
  signature: string | undefined,
  nowMs: number,
): boolean {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  if (Math.abs(Math.floor(nowMs / 1000) - ts) > MAX_SKEW_SECONDS) return false;
  return isValidSlackRequest({
    signingSecret,
    body,
    headers: { "x-slack-signature": signature, "x-slack-request-timestamp": ts },
    nowMilliseconds: nowMs,
  });
}

/** Interactions come as form-encoded `payload=<json>`, slash commands as form fields, events as JSON. */
function parseSlackBody(text: string, contentType: string | undefined): Record<string, unknown> | null {
  try {
    if (contentType?.includes("application/json")) return JSON.parse(text) as Record<string, unknown>;
    const form = new URLSearchParams(text);
    const payload = form.get("payload");
    if (payload !== null) return JSON.parse(payload) as Record<string, unknown>;
    return Object.fromEntries(form.entries());
  } catch {
    return null;
  }
}

function writeAck(response: ServerResponse, body: unknown): void {
  if (body === undefined || body === null || body === "") {
    response.writeHead(200).end();
  } else if (typeof body === "string") {
    response.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(body);
  } else {
    const text = JSON.stringify(body);
    response
      .writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(text),
      })
      .end(text);
  }
}

/**
 * What an action came to. A refusal is said twice: as mrkdwn for an ephemeral reply (with the
 * people who decided mentioned) and as plain text for a modal's error, which Slack does not parse.
 */
type Outcome =
  | { ok: true; team: string; result: InputResult }
  | { ok: false; refusal: Mrkdwn; plain: string };

/** A refusal from the engine or the membership check (plain text), with a late click's note. */
function refusal(
  text: string,
  late: { mrkdwn: Mrkdwn; plain: string } | null,
  order: "late_first" | "late_last",
): Outcome {
  if (!late) return { ok: false, refusal: md`${text}`, plain: text };
  return order === "late_first"
    ? { ok: false, refusal: md`${late.mrkdwn} (and ${text})`, plain: `${late.plain} (and ${text})` }
    : { ok: false, refusal: md`${text}: ${late.mrkdwn}`, plain: `${text}: ${late.plain}` };
}

function confirmation(action: HumanAction["action"], team: string, c: Case | null): Mrkdwn {
  const title = c ? md`"${truncate(c.title, 200)}"` : md`the case`;
  switch (action) {
    case "claim":
      return md`You claimed ${title} for team ${team}.`;
    case "exception_request":
      return md`Your exception request for ${title} is recorded (team ${team}); the approver team decides.`;
    case "exception_approve":
      return md`You approved the exception for ${title} for team ${team}.`;
    case "exception_reject":
      return md`You rejected the exception for ${title} for team ${team}.`;
    case "date_propose":
    case "date_counter":
      return md`Your upgrade date for ${title} is proposed (team ${team}); the other team agrees or counters.`;
    case "date_agree":
      return c?.upgrade?.agreed
        ? md`The upgrade date ${c.upgrade.agreed.date} for ${title} is agreed.`
        : md`Team ${team} accepted the proposed date for ${title}.`;
  }
}

/** The Web API base with the trailing slash WebClient needs, or undefined for Slack's own. */
function apiBase(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  return url.endsWith("/") ? url : `${url}/`;
}

/** Bolt's options shared by both transports: a fixed authorization (no auth.test), pino, short retries. */
function commonAppOptions(options: SlackListenerOptions, log: Logger) {
  const slackApiUrl = apiBase(options.slackApiUrl);
  return {
    // A fixed authorization: no auth.test at start nor per event.
    authorize: async () => ({
      botToken: options.botToken,
      ...(options.botId ? { botId: options.botId } : {}),
      ...(options.botUserId ? { botUserId: options.botUserId } : {}),
    }),
    tokenVerificationEnabled: false,
    logger: boltLogger(log),
    clientOptions: {
      ...(slackApiUrl ? { slackApiUrl } : {}),
      // An interaction is answered within seconds or not at all: no long retry ladders.
      retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 },
    },
  };
}

/**
 * The Slack side of the service: a Bolt app fed by the service's HTTP server (`POST
 * /slack/events`, signature checked here), whose listeners turn clicks and modal submissions into
 * engine inputs. The team a person acts for is derived from membership, never chosen.
 */
export function createSlackRoutes(options: SlackRoutesOptions): SlackRoutes {
  const { signingSecret, logger } = options;
  const wallClock = options.wallClock ?? Date.now;
  const ackTimeoutMs = options.ackTimeoutMs ?? 2_500;
  const log = logger.child({ component: "slack" });
  const app = new App({ receiver: routeReceiver, ...commonAppOptions(options, log) });
  const membership = registerSlackListeners(app, options);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    if (raw.oversized) return sendError(response, 413, "payload_too_large", "the request body is too large");
    const valid = verifySlackSignature(
      signingSecret,
      raw.text,
      header(request, "x-slack-request-timestamp"),
      header(request, "x-slack-signature"),
      wallClock(),
    );
    if (!valid) {
      log.warn({ ip: request.socket.remoteAddress }, "slack request with a bad or stale signature");
      return sendError(response, 401, "unauthorized", "invalid Slack signature");
    }
    const body = parseSlackBody(raw.text, header(request, "content-type"));
    if (!body) return sendError(response, 400, "bad_request", "unreadable Slack payload");
    if (body.ssl_check) return writeAck(response, undefined);
    if (body.type === "url_verification") return writeAck(response, { challenge: body.challenge });

    let settle: (value: unknown) => void = () => {};
    const acked = new Promise<unknown>((resolve) => {
      settle = resolve;
    });
    let ackCalled = false;
    const retryNum = Number(header(request, "x-slack-retry-num"));
    const retryReason = header(request, "x-slack-retry-reason");
    const processing = app
      .processEvent({
        body,
        ack: async (reply?: unknown) => {
          if (ackCalled) return;
          ackCalled = true;
          settle(reply);
        },
        ...(Number.isFinite(retryNum) ? { retryNum } : {}),
        ...(retryReason ? { retryReason } : {}),
      })
      .catch((error: unknown) => log.error({ err: error }, "slack event processing failed"));
    let timer: NodeJS.Timeout | undefined;
    const reply = await Promise.race([
      acked,
      processing.then(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          if (!ackCalled) log.warn({ type: body.type }, "slack listener did not ack in time");
          resolve(undefined);
        }, ackTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    writeAck(response, reply);
  }

  return {
    routes: [{ method: "POST", path: /^\/slack\/events$/, handler: handle }],
    app,
    membership,
  };
}

/**
 * Registers every listener of the Slack side on `app` (buttons, modals, `/shgov`, App Home), the
 * same for both transports (HTTP route, Socket Mode). Returns the membership cache they share.
 */
export function registerSlackListeners(app: App, options: SlackListenerOptions): TeamMembership {
  const { db, policy, botToken, now, logger } = options;
  const wallClock = options.wallClock ?? Date.now;
  const log = logger.child({ component: "slack" });

  const membership = new TeamMembership(
    policy,
    async (usergroup) => {
      const result = await app.client.usergroups.users.list({ token: botToken, usergroup });
      return result.users ?? [];
    },
    wallClock,
    options.usergroupCacheMs ?? USERGROUP_CACHE_MS,
  );

  /** The case a button, a modal or a person names: SHG-42, 42 or the finding id (findCase). */
  function loadCase(caseId: string): Promise<Case | null> {
    return findCase(db, caseId);
  }

  /** Resolves the acting team and, when the user may act, applies the input. */
  async function resolveTeam(user: string, c: Case, action: HumanAction["action"]) {
    const acting = await membership.actingTeam(user, candidateTeams(policy, c, action));
    if (acting.refusal !== null) return acting;
    // Separation of duties, for Slack membership the engine cannot see: whoever is in the
    // requester's team (policy list or user group) cannot decide its exception.
    if (action === "exception_approve" || action === "exception_reject") {
      const pending = c.exception?.status === "requested" ? c.exception : null;
      if (
        pending &&
        pending.requester.user !== user &&
        (await membership.belongs(user, pending.requester.team))
      ) {
        return {
          team: null,
          refusal: `you are in team ${pending.requester.team}, which requested exception ${pending.id}; you cannot decide it`,
        };
      }
    }
    return acting;
  }

  async function act(user: string, caseId: string, action: HumanAction): Promise<Outcome> {
    const c = await loadCase(caseId);
    if (!c) return refusal(`there is no case ${caseId}`, null, "late_last");
    const caseLog = log.child({ caseId: c.id, findingId: c.findingId });
    // A click on a button of an older message, once the question was answered, says who answered it.
    const lateMrkdwn = lateClick(action.action, c);
    const latePlain = lateClickPlain(action.action, c);
    const late = lateMrkdwn && latePlain !== null ? { mrkdwn: lateMrkdwn, plain: latePlain } : null;
    const acting = await resolveTeam(user, c, action.action);
    if (acting.refusal !== null) {
      caseLog.info(
        { user, action: action.action, refusal: acting.refusal },
        "slack action refused: not in team",
      );
      await recordRefusal(
        db,
        policy,
        c.id,
        { user, team: "(none)", action: action.action },
        acting.refusal,
        now,
      );
      return refusal(acting.refusal, late, "late_first");
    }
    const result = await applyInput(
      db,
      policy,
      c.id,
      { type: "human", user, team: acting.team, ...action },
      now,
    );
    if (result.rejection !== null) {
      caseLog.info(
        { user, team: acting.team, action: action.action, refusal: result.rejection },
        "slack action refused",
      );
      return refusal(result.rejection, late, "late_last");
    }
    caseLog.info(
      { user, team: acting.team, action: action.action, events: result.events.map((e) => e.type) },
      "slack action applied",
    );
    return { ok: true, team: acting.team, result };
  }

  /** An ephemeral reply (or a direct message): mrkdwn, so only a Mrkdwn is accepted. */
  async function tell(user: string, channel: string | null, reply: Mrkdwn): Promise<void> {
    const text = truncateMrkdwn(reply, SECTION_TEXT_MAX).text;
    try {
      if (channel) await app.client.chat.postEphemeral({ token: botToken, channel, user, text });
      else await app.client.chat.postMessage({ token: botToken, channel: user, text });
    } catch (error) {
      log.warn({ err: error, user, channel }, "could not reply in Slack");
    }
  }

  function report(user: string, channel: string | null, action: HumanAction["action"], outcome: Outcome) {
    return tell(
      user,
      channel,
      outcome.ok
        ? confirmation(action, outcome.team, outcome.result.case)
        : md`:no_entry: Refused: ${outcome.refusal}`,
    );
  }

  function clicked(body: BlockAction, action: ButtonAction) {
    return {
      user: body.user.id,
      channel: body.channel?.id ?? null,
      value: parseButtonValue(action.value),
      triggerId: body.trigger_id,
    };
  }

  /** Runs a listener's work; a failure (store, Slack API) is logged and told to the user. */
  async function failSafe(
    user: string,
    channel: string | null,
    caseId: string,
    work: () => Promise<void>,
  ): Promise<void> {
    try {
      await work();
    } catch (error) {
      // A button's case id is the finding id (one case per finding).
      log.error({ err: error, user, caseId, findingId: caseId }, "slack action failed");
      await tell(user, channel, md`Something went wrong while handling that; try again in a moment.`);
    }
  }

  // Buttons that act at once.
  const immediate: [string, (value: { date?: string }) => HumanAction][] = [
    [ACTION_IDS.claim, () => ({ action: "claim" })],
    [ACTION_IDS.exceptionApprove, () => ({ action: "exception_approve", reason: null })],
    [ACTION_IDS.dateAgree, (value) => ({ action: "date_agree", date: value.date ?? null })],
  ];
  for (const [actionId, toAction] of immediate) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action }) => {
      await ack();
      const { user, channel, value } = clicked(body, action);
      if (!value) return tell(user, channel, md`This button carries no case; it cannot be used.`);
      const humanAction = toAction(value);
      await failSafe(user, channel, value.caseId, async () =>
        report(user, channel, humanAction.action, await act(user, value.caseId, humanAction)),
      );
    });
  }

  // Buttons that open a modal, once the user is known to be able to act.
  const opening: [string, HumanAction["action"], (c: Case, channel: string | null) => object][] = [
    [
      ACTION_IDS.exceptionRequest,
      "exception_request",
      (c, channel) => exceptionModal(c.id, policy.suppression.maxDurationMs, now(), channel, caseRef(c)),
    ],
    [ACTION_IDS.exceptionReject, "exception_reject", (c, channel) => rejectModal(c.id, channel, caseRef(c))],
    [
      ACTION_IDS.datePropose,
      "date_propose",
      (c, channel) => dateModal(c.id, c.upgrade?.deadline ?? null, now(), channel, caseRef(c)),
    ],
  ];
  for (const [actionId, kind, view] of opening) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const { user, channel, value, triggerId } = clicked(body, action);
      if (!value) return tell(user, channel, md`This button carries no case; it cannot be used.`);
      await failSafe(user, channel, value.caseId, async () => {
        const c = await loadCase(value.caseId);
        if (!c) return tell(user, channel, md`:no_entry: Refused: there is no case ${value.caseId}`);
        const acting = await resolveTeam(user, c, kind);
        if (acting.refusal !== null) {
          log.info(
            { user, caseId: c.id, findingId: c.findingId, action: kind, refusal: acting.refusal },
            "slack action refused: not in team",
          );
          await recordRefusal(db, policy, c.id, { user, team: "(none)", action: kind }, acting.refusal, now);
          return tell(user, channel, md`:no_entry: Refused: ${acting.refusal}`);
        }
        await client.views.open({ trigger_id: triggerId, view: view(c, channel) as never });
      });
    });
  }

  app.action(ACTION_IDS.console, async ({ ack }) => {
    await ack();
  });

  function input(view: ViewSubmitAction["view"], block: string) {
    return view.state.values[block]?.[INPUT_ACTION];
  }

  /** Applies a modal's action: refusals go back into the modal, success closes it and confirms. */
  async function submit(
    ack: AckFn<ViewResponseAction>,
    body: ViewSubmitAction,
    errorBlock: (refusal: string) => string,
    build: () => HumanAction | { invalid: string; block: string },
    resolveAction?: (c: Case, team: string) => HumanAction,
  ): Promise<void> {
    const user = body.user.id;
    const meta = parseModalMetadata(body.view.private_metadata);
    const built = build();
    if ("invalid" in built) {
      return ack({ response_action: "errors", errors: { [built.block]: built.invalid } });
    }
    if (!meta) {
      return ack({
        response_action: "errors",
        errors: { [errorBlock("")]: "This form lost its case; close it and try again." },
      });
    }
    let action = built;
    let outcome: Outcome;
    try {
      if (resolveAction) {
        // Propose or counter depends on who proposed last: decided once the acting team is known.
        const c = await loadCase(meta.caseId);
        const acting = c ? await resolveTeam(user, c, action.action) : null;
        if (c && acting?.team) action = resolveAction(c, acting.team);
      }
      outcome = await act(user, meta.caseId, action);
    } catch (error) {
      log.error({ err: error, user, caseId: meta.caseId, findingId: meta.caseId }, "slack submission failed");
      return ack({
        response_action: "errors",
        errors: { [errorBlock("")]: "Something went wrong; try again." },
      });
    }
    if (!outcome.ok) {
      // A modal's error is plain text (Slack does not parse it): the refusal as it is, cut.
      return ack({
        response_action: "errors",
        errors: { [errorBlock(outcome.plain)]: truncate(outcome.plain, 300) },
      });
    }
    await ack();
    await report(user, meta.channel, action.action, outcome);
  }

  app.view<ViewSubmitAction>(VIEW_IDS.exception, async ({ ack, body, view }) => {
    await submit(
      ack,
      body,
      (refusal) => (/expir/i.test(refusal) ? MODAL_BLOCKS.expiry : MODAL_BLOCKS.justification),
      () => {
        const justification = input(view, MODAL_BLOCKS.justification)?.value?.trim() ?? "";
        const compensating = input(view, MODAL_BLOCKS.compensating)?.value?.trim() ?? "";
        const expiry = input(view, MODAL_BLOCKS.expiry)?.selected_date ?? "";
        try {
          const parsed = parseCaseAction({
            action: "exception_request",
            user: body.user.id,
            team: "unresolved",
            justification: compensating
              ? `${justification}\n\nCompensating controls: ${compensating}`
              : justification,
            expires: expiry,
          });
          if (parsed.action !== "exception_request") throw new CaseActionError("unexpected action");
          return { action: parsed.action, justification: parsed.justification, expiresAt: parsed.expiresAt };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          return {
            invalid: truncate(message, 300),
            block: /expires/.test(message) ? MODAL_BLOCKS.expiry : MODAL_BLOCKS.justification,
          };
        }
      },
    );
  });

  app.view<ViewSubmitAction>(VIEW_IDS.date, async ({ ack, body, view }) => {
    const date = input(view, MODAL_BLOCKS.date)?.selected_date ?? "";
    await submit(
      ack,
      body,
      () => MODAL_BLOCKS.date,
      () => (date ? { action: "date_propose", date } : { invalid: "pick a date", block: MODAL_BLOCKS.date }),
      (c, team) => {
        const proposal = c.upgrade?.proposal;
        return proposal && proposal.proposedBy.team !== team
          ? { action: "date_counter", date }
          : { action: "date_propose", date };
      },
    );
  });

  app.view<ViewSubmitAction>(VIEW_IDS.reject, async ({ ack, body, view }) => {
    const reason = input(view, MODAL_BLOCKS.reason)?.value?.trim() ?? "";
    await submit(
      ack,
      body,
      () => MODAL_BLOCKS.reason,
      () =>
        reason
          ? { action: "exception_reject", reason }
          : { invalid: "say why the exception is rejected", block: MODAL_BLOCKS.reason },
    );
  });

  app.command("/shgov", async ({ ack, command }) => {
    const [verb, ...rest] = command.text.trim().split(/\s+/);
    const user = command.user_id;
    const caseId = verb === "case" && rest.length > 0 ? rest.join(" ") : null;
    try {
      if (caseId !== null) {
        const c = await loadCase(caseId);
        if (!c) {
          return ack({
            response_type: "ephemeral",
            text: truncateMrkdwn(md`There is no case ${truncate(caseId, 200)}.`, SECTION_TEXT_MAX).text,
          });
        }
        return ack({
          response_type: "ephemeral",
          text: truncateMrkdwn(md`${caseRef(c) ?? truncate(c.id, 1000)}: ${c.title}`, SECTION_TEXT_MAX).text,
          blocks: caseBlocks(c) as never,
        });
      }
      if (verb === "mine") {
        const teams = await membership.teamsOf(user);
        if (teams.length === 0) {
          return ack({ response_type: "ephemeral", text: "You are in no team of the policy." });
        }
        const mine = (await listCases(db, { limit: 1000 })).filter(
          (c) => c.status !== "resolved" && (teams.includes(c.owner) || teams.includes(c.counterpart)),
        );
        const head = md`Open cases of team ${teams.join(", ")} (${mine.length}), by SLA due:`;
        const lines = [
          head,
          ...mine.map((c) => caseLine({ ...c, due: c.slaDueAt ? c.slaDueAt.slice(0, 10) : "no SLA" })),
        ];
        const section = listSection(lines, "");
        return ack({ response_type: "ephemeral", text: section.text.text, blocks: [section] });
      }
      return ack({
        response_type: "ephemeral",
        // `<case id>` is a placeholder, not markup: code() escapes it like any other text.
        text: md`Usage: ${code("/shgov case <case id>")} (a case's summary; SHG-42, 42 or the finding id) or ${code("/shgov mine")} (the cases of your teams).`
          .text,
      });
    } catch (error) {
      log.error(
        { err: error, user, ...(caseId !== null ? { caseId, findingId: caseId } : {}) },
        "/shgov failed",
      );
      return ack({ response_type: "ephemeral", text: "Something went wrong; try again." });
    }
  });

  app.error(async (error) => {
    log.error({ err: error }, "slack listener failed");
  });

  registerHome(app, { db, policy, membership, now, log });
  return membership;
}
