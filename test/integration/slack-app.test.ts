import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpServer } from "../../src/http/server.js";
import { parseEnvelope } from "../../src/intake/envelope.js";
import { observeFindings } from "../../src/shell/observe-findings.js";
import { createSlackRoutes } from "../../src/slack/http-receiver.js";
import { ACTION_IDS, VIEW_IDS } from "../../src/slack/interaction-codecs.js";
import { getCase } from "../../src/store/cases.js";
import type { Database } from "../../src/store/database.js";
import { examplePolicy } from "../support/engine.js";
import { asffEvent, eksEvent } from "../support/events.js";
import { eventually } from "../support/http.js";
import { click, postToSlackEvents, slashCommand, submitView } from "../support/slack-interactions.js";
import { openTestStore } from "../support/stores.js";

/** Slack interactions over signed HTTP, decided by the engine against PGlite, answered through a fake Web API. */
const SECRET = "test-signing-secret";
const policy = examplePolicy();
const clock = () => new Date("2026-11-21T12:00:00.000Z");
const EC2_ID = "arn:aws:securityhub:us-east-1:111111111111:security-control/EC2.7/finding/slack-1";

const USERGROUPS: Record<string, string[]> = {
  S0SECURITY: ["U_SEC1", "U_SEC2", "U_BOTH"],
  S0PLATFORM: ["U_PLAT1", "U_PLAT2", "U_BOTH"],
};

interface SlackCall {
  method: string;
  params: Record<string, unknown>;
}

/** A minimal Slack Web API: POST /api/<method> answers ok and records the call. */
async function startFakeSlack(): Promise<{ url: string; calls: SlackCall[]; server: Server }> {
  const calls: SlackCall[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const method = (request.url ?? "").replace(/^\/api\//, "").split("?")[0] ?? "";
      const text = Buffer.concat(chunks).toString("utf8");
      let params: Record<string, unknown> = {};
      if ((request.headers["content-type"] ?? "").includes("json")) params = JSON.parse(text || "{}");
      else {
        for (const [key, value] of new URLSearchParams(text)) {
          try {
            params[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
          } catch {
            params[key] = value;
          }
        }
      }
      calls.push({ method, params });
      let body: Record<string, unknown> = { ok: true };
      if (method === "usergroups.users.list") {
        body = { ok: true, users: USERGROUPS[String(params.usergroup)] ?? [] };
      } else if (method === "auth.test") body = { ok: true, user_id: "UBOT", bot_id: "BBOT" };
      else if (method === "views.open") body = { ok: true, view: { id: "V1", ...(params.view as object) } };
      else if (method === "chat.postEphemeral") body = { ok: true, message_ts: "1.2" };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`, calls, server };
}

let db: Database;
let cleanup: () => Promise<void>;
let fake: Awaited<ReturnType<typeof startFakeSlack>>;
let server: Server;
let base: string;
let eksId: string;

function post(
  body: string,
  contentType = "application/x-www-form-urlencoded",
  options: { ts?: number; secret?: string } = {},
): Promise<{ status: number; text: string }> {
  return postToSlackEvents(base, SECRET, body, contentType, options);
}

function callsOf(method: string): SlackCall[] {
  return fake.calls.filter((call) => call.method === method);
}

async function eventsOf(
  caseId: string,
): Promise<{ type: string; actor: string; data: Record<string, unknown> }[]> {
  return (await getCase(db, caseId))?.events ?? [];
}

/** Waits for an ephemeral reply to `user` whose text matches. */
function ephemeral(user: string, pattern: RegExp): Promise<SlackCall> {
  return eventually(
    async () =>
      callsOf("chat.postEphemeral").find(
        (call) => call.params.user === user && pattern.test(String(call.params.text)),
      ),
    5_000,
    `an ephemeral reply to ${user} matching ${pattern}`,
  );
}

beforeAll(async () => {
  ({ db, cleanup } = await openTestStore("pglite"));
  const ec2 = parseEnvelope(asffEvent({ id: EC2_ID }));
  const eks = parseEnvelope(eksEvent({ kubernetes: "1.32" }));
  if (!ec2.ok || !eks.ok) throw new Error("fixtures did not parse");
  eksId = eks.observations[0]?.finding.id ?? "";
  expect(await observeFindings(db, policy, [...ec2.observations, ...eks.observations], clock)).toEqual([
    "applied",
    "applied",
  ]);
  fake = await startFakeSlack();
  const slack = createSlackRoutes({
    db,
    policy,
    signingSecret: SECRET,
    botToken: "xoxb-test",
    slackApiUrl: fake.url,
    now: clock,
    logger: pino({ level: "silent" }),
  });
  server = createHttpServer(slack.routes, pino({ level: "silent" }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  fake?.server.closeAllConnections();
  await new Promise((resolve) => fake?.server.close(resolve));
  await cleanup?.();
});

describe("POST /slack/events: request signature", () => {
  it("refuses a forged signature with 401", async () => {
    const response = await post(click("U_SEC1", ACTION_IDS.claim, EC2_ID), undefined, { secret: "forged" });
    expect(response.status).toBe(401);
  });

  it("refuses a correctly signed request older than five minutes with 401", async () => {
    const ts = Math.floor(Date.now() / 1000) - 301;
    expect((await post(click("U_SEC1", ACTION_IDS.claim, EC2_ID), undefined, { ts })).status).toBe(401);
  });

  it("answers Slack's url_verification challenge", async () => {
    const response = await post(
      JSON.stringify({ type: "url_verification", challenge: "abc" }),
      "application/json",
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ challenge: "abc" });
  });

  it("makes no auth.test call", () => {
    expect(callsOf("auth.test")).toEqual([]);
  });
});

describe("buttons and modals", () => {
  it("Claim by a member of the owner's user group records case.claimed with the Slack user id", async () => {
    const response = await post(click("U_SEC1", ACTION_IDS.claim, EC2_ID));
    expect(response.status).toBe(200);
    const claimed = await eventually(
      async () => (await eventsOf(EC2_ID)).find((e) => e.type === "case.claimed"),
      5_000,
      "case.claimed",
    );
    expect(claimed.actor).toBe("U_SEC1");
    expect(claimed.data.by).toEqual({ user: "U_SEC1", team: "security" });
    await ephemeral("U_SEC1", /You claimed .* for team security/);
    expect(callsOf("usergroups.users.list").map((c) => c.params.usergroup)).toContain("S0SECURITY");
  });

  it("Claim by someone in no team of the case is refused without calling the engine, and the refusal is audited", async () => {
    const before = (await eventsOf(EC2_ID)).length;
    expect((await post(click("U_OUT", ACTION_IDS.claim, EC2_ID))).status).toBe(200);
    await ephemeral("U_OUT", /you are not in team security or platform/);
    const events = await eventsOf(EC2_ID);
    // Refused: only the refusal is recorded (who tried what).
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toMatchObject({ type: "action.refused", actor: "U_OUT" });
  });

  it("Request exception opens the exception modal with the trigger id", async () => {
    expect((await post(click("U_SEC1", ACTION_IDS.exceptionRequest, EC2_ID))).status).toBe(200);
    const open = await eventually(async () => callsOf("views.open")[0], 5_000, "views.open");
    expect(open.params.trigger_id).toBe(`trigger-U_SEC1-${ACTION_IDS.exceptionRequest}`);
    const view = open.params.view as {
      callback_id: string;
      private_metadata: string;
      blocks: { block_id?: string }[];
    };
    expect(view.callback_id).toBe(VIEW_IDS.exception);
    expect(view.blocks.map((b) => b.block_id).filter(Boolean)).toEqual([
      "justification",
      "expiry",
      "compensating",
    ]);
    expect(JSON.parse(view.private_metadata)).toEqual({ c: EC2_ID, ch: "C0SECURITY" });
  });

  it("an expiry beyond the policy's maximum is answered in the modal, nothing recorded", async () => {
    const view = callsOf("views.open")[0]?.params.view as Record<string, unknown>;
    const response = await post(
      submitView("U_SEC1", view, {
        justification: { value: { type: "plain_text_input", value: "vendor fix pending" } },
        expiry: { value: { type: "datepicker", selected_date: "2027-06-01" } },
        compensating: { value: { type: "plain_text_input", value: null } },
      }),
    );
    expect(response.status).toBe(200);
    const body = JSON.parse(response.text) as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe("errors");
    expect(body.errors.expiry).toMatch(/beyond the policy's maximum/);
    expect((await eventsOf(EC2_ID)).some((e) => e.type === "exception.requested")).toBe(false);
  });

  it("the modal's submission records exception.requested for the requester's team", async () => {
    const view = callsOf("views.open")[0]?.params.view as Record<string, unknown>;
    const response = await post(
      submitView("U_SEC1", view, {
        justification: { value: { type: "plain_text_input", value: "vendor fix pending" } },
        expiry: { value: { type: "datepicker", selected_date: "2026-12-31" } },
        compensating: { value: { type: "plain_text_input", value: "WAF rule in front" } },
      }),
    );
    expect(response.status).toBe(200);
    expect(response.text).toBe("");
    const requested = (await eventsOf(EC2_ID)).find((e) => e.type === "exception.requested");
    expect(requested?.actor).toBe("U_SEC1");
    expect(requested?.data).toMatchObject({
      requester: { user: "U_SEC1", team: "security" },
      justification: "vendor fix pending\n\nCompensating controls: WAF rule in front",
      expiresAt: "2027-01-01T00:00:00.000Z",
    });
    await ephemeral("U_SEC1", /exception request .* is recorded/);
  });

  it("Approve by the requester is refused with an ephemeral reply; only the refusal is recorded", async () => {
    const before = (await eventsOf(EC2_ID)).length;
    await post(click("U_SEC1", ACTION_IDS.exceptionApprove, EC2_ID));
    await ephemeral("U_SEC1", /Refused: you are not in team platform/);
    const events = await eventsOf(EC2_ID);
    // Refused: only the refusal is recorded (who tried what).
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toMatchObject({ type: "action.refused", actor: "U_SEC1" });
  });

  it("Approve by someone in both user groups is refused: they belong to the requesting team", async () => {
    const before = (await eventsOf(EC2_ID)).length;
    await post(click("U_BOTH", ACTION_IDS.exceptionApprove, EC2_ID));
    await ephemeral(
      "U_BOTH",
      /Refused: U_BOTH belongs to team security, which requested exception EXC-1; they cannot decide it/,
    );
    const events = await eventsOf(EC2_ID);
    // Refused: only the refusal is recorded (who tried what).
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toMatchObject({ type: "action.refused", actor: "U_BOTH" });
  });

  it("Approve by a user outside the approver team is refused", async () => {
    const before = (await eventsOf(EC2_ID)).length;
    await post(click("U_SEC2", ACTION_IDS.exceptionApprove, EC2_ID));
    await ephemeral("U_SEC2", /Refused: you are not in team platform/);
    const events = await eventsOf(EC2_ID);
    // Refused: only the refusal is recorded (who tried what).
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toMatchObject({ type: "action.refused", actor: "U_SEC2" });
  });

  it("Approve by a member of the approver team records exception.approved", async () => {
    await post(click("U_PLAT1", ACTION_IDS.exceptionApprove, EC2_ID));
    const approved = await eventually(
      async () => (await eventsOf(EC2_ID)).find((e) => e.type === "exception.approved"),
      5_000,
      "exception.approved",
    );
    expect(approved.data.by).toEqual({ user: "U_PLAT1", team: "platform" });
    await ephemeral("U_PLAT1", /You approved the exception/);
  });

  it("a late Approve or Reject click is refused with who approved and when", async () => {
    await post(click("U_PLAT2", ACTION_IDS.exceptionApprove, EC2_ID));
    await ephemeral(
      "U_PLAT2",
      /Refused: .*exception EXC-1 was already approved by <@U_PLAT1> \(team platform\) at 2026-11-21 12:00 UTC/,
    );
    await post(click("U_PLAT2", ACTION_IDS.exceptionReject, EC2_ID));
    await ephemeral("U_PLAT2", /Refused: .*was already approved by <@U_PLAT1>/);
  });

  it("Propose date opens the date modal; its submission proposes; Agree by the other team agrees", async () => {
    await post(click("U_PLAT1", ACTION_IDS.datePropose, eksId, undefined, "C0PLATFORM"));
    const open = await eventually(
      async () =>
        callsOf("views.open").find(
          (c) => (c.params.view as { callback_id: string }).callback_id === VIEW_IDS.date,
        ),
      5_000,
      "the date modal",
    );
    const view = open.params.view as Record<string, unknown> & { blocks: { hint?: { text: string } }[] };
    expect(JSON.stringify(view.blocks)).toMatch(/before 2027-03-23/);
    const submitted = await post(
      submitView("U_PLAT1", view, { date: { value: { type: "datepicker", selected_date: "2026-12-15" } } }),
    );
    expect(submitted.text).toBe("");
    const proposed = (await eventsOf(eksId)).find((e) => e.type === "date.proposed");
    expect(proposed?.data).toMatchObject({ date: "2026-12-15", by: { user: "U_PLAT1", team: "platform" } });

    // The same person cannot agree for the other side: they are not in it.
    await post(click("U_PLAT1", ACTION_IDS.dateAgree, eksId, "2026-12-15"));
    await ephemeral("U_PLAT1", /Refused: .*team platform has already accepted/);

    await post(click("U_SEC2", ACTION_IDS.dateAgree, eksId, "2026-12-15"));
    const agreed = await eventually(
      async () => (await eventsOf(eksId)).find((e) => e.type === "date.agreed"),
      5_000,
      "date.agreed",
    );
    expect(agreed.data).toMatchObject({ date: "2026-12-15" });
    expect((await getCase(db, eksId))?.case.status).toBe("date_agreed");
    await ephemeral("U_SEC2", /upgrade date 2026-12-15 .* is agreed/);

    // A late Agree, from the message that proposed it: refused, saying who agreed and when.
    await post(click("U_SEC1", ACTION_IDS.dateAgree, eksId, "2026-12-15"));
    await ephemeral(
      "U_SEC1",
      /Refused: .*the upgrade date 2026-12-15 was already agreed by <@U_PLAT1> \(team platform\) and <@U_SEC2> \(team security\) at 2026-11-21 12:00 UTC/,
    );
  });
});

describe("App Home", () => {
  it("app_home_opened publishes the user's Home tab: approvals, open cases of their teams, upcoming dates", async () => {
    const event = JSON.stringify({
      token: "legacy",
      team_id: "T1",
      api_app_id: "A1",
      type: "event_callback",
      event_id: "Ev1",
      event_time: 1,
      event: { type: "app_home_opened", user: "U_SEC1", channel: "D1", tab: "home", event_ts: "1.1" },
    });
    const response = await post(event, "application/json");
    expect(response.status).toBe(200);
    const publish = await eventually(
      async () => callsOf("views.publish").find((call) => call.params.user_id === "U_SEC1"),
      5_000,
      "views.publish",
    );
    const view = publish.params.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe("home");
    const text = JSON.stringify(view.blocks);
    expect(text).toContain("Your teams: security");
    expect(text).toContain("Open cases of your teams (2), by SLA due");
    expect(text).toContain(EC2_ID);
    // The EKS date agreed above (2026-12-15) is within 30 days of the clock (2026-11-21).
    expect(text).toContain("Upgrade dates in the next 30 days (1)");
    expect(text).toContain("*2026-12-15*");
    expect(text).toContain("Approvals waiting for you (0)");
  });

  it("ignores the Messages tab", async () => {
    const before = callsOf("views.publish").length;
    const event = JSON.stringify({
      type: "event_callback",
      team_id: "T1",
      api_app_id: "A1",
      event_id: "Ev2",
      event_time: 1,
      event: { type: "app_home_opened", user: "U_SEC2", channel: "D2", tab: "messages", event_ts: "1.2" },
    });
    expect((await post(event, "application/json")).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(callsOf("views.publish")).toHaveLength(before);
  });
});

describe("/shgov", () => {
  const command = (user: string, text: string) => slashCommand(user, text);

  it("case ID answers the case summary, ephemeral", async () => {
    const response = await post(command("U_SEC1", `case ${EC2_ID}`));
    const body = JSON.parse(response.text) as { response_type: string; blocks: unknown[] };
    expect(body.response_type).toBe("ephemeral");
    expect(JSON.stringify(body.blocks)).toContain("EC2.7");
  });

  it("case answers the same case for SHG-n, shg-n, n and the finding id, and names an unknown id", async () => {
    const number = (await getCase(db, EC2_ID))?.case.number;
    const ref = `SHG-${number}`;
    for (const form of [ref, ref.toLowerCase(), String(number), EC2_ID]) {
      const body = JSON.parse((await post(command("U_SEC1", `case ${form}`))).text) as {
        text: string;
        blocks: { type: string; elements?: { text: string }[] }[];
      };
      expect(body.text, form).toMatch(new RegExp(`^${ref}: `));
      const context = body.blocks.find((block) => block.type === "context")?.elements?.[0]?.text;
      expect(context, form).toBe(`Case \`${ref}\` · finding \`${EC2_ID}\``);
    }
    const unknown = JSON.parse((await post(command("U_SEC1", "case SHG-999"))).text) as { text: string };
    expect(unknown.text).toBe("There is no case SHG-999.");
    const hostile = JSON.parse((await post(command("U_SEC1", "case <!channel>"))).text) as { text: string };
    expect(hostile.text).toBe("There is no case &lt;!channel&gt;.");
  });

  it("a modal names the case by its human id", async () => {
    const before = callsOf("views.open").length;
    await post(click("U_PLAT1", ACTION_IDS.datePropose, eksId));
    const opened = await eventually(async () => callsOf("views.open")[before], 5_000, "views.open");
    const ref = `SHG-${(await getCase(db, eksId))?.case.number}`;
    expect(JSON.stringify(opened.params.view)).toContain(`Case \`${ref}\``);
  });

  it("mine lists the cases of the user's teams by SLA due", async () => {
    const response = await post(command("U_SEC1", "mine"));
    const body = JSON.parse(response.text) as { response_type: string; text: string };
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toMatch(/Open cases of team security \(2\)/);
    expect(body.text).toContain(EC2_ID);
    expect(body.text).toContain(`• \`SHG-${(await getCase(db, EC2_ID))?.case.number}\` · `);
  });
});
