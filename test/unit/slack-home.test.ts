import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Case } from "../../src/engine/case.js";
import { approvalsFor, homeView, upcomingDates } from "../../src/slack/home.js";
import { ACTION_IDS } from "../../src/slack/interaction-codecs.js";
import { startSlackSocketMode } from "../../src/slack/socket-mode.js";
import type { Database } from "../../src/store/database.js";
import { examplePolicy, finding, givenWhen, observed } from "../support/engine.js";

const policy = examplePolicy();
const NOW = "2026-11-21T12:00:00.000Z";

/** An EKS.2 case (owner platform, counterpart security). */
function eksCase(id: string, overrides: Partial<Case> = {}): Case {
  const { after } = givenWhen(policy, [], observed(finding({ id })), NOW);
  if (!after) throw new Error("no case");
  return { ...after, ...overrides };
}

const requested = (c: Case, team: "platform" | "security"): Case => ({
  ...c,
  exception: {
    id: "EXC-1",
    status: "requested",
    requester: { user: "U_REQ", team },
    justification: "vendor fix pending",
    expiresAt: "2026-12-10T00:00:00.000Z",
    requestedAt: NOW,
    decidedBy: null,
    decidedAt: null,
    decisionReason: null,
  },
});

const agreedOn = (c: Case, date: string): Case =>
  c.upgrade ? { ...c, upgrade: { ...c.upgrade, proposal: null, agreed: { date, at: NOW, by: [] } } } : c;

describe("App Home view", () => {
  it("approvals wait for the approver team only, with Approve and Reject", () => {
    const byPlatform = requested(eksCase("a"), "platform");
    const bySecurity = requested(eksCase("b"), "security");
    expect(approvalsFor([byPlatform, bySecurity], ["security"], policy).map((c) => c.id)).toEqual([
      byPlatform.id,
    ]);
    const view = homeView({
      user: "U1",
      teams: ["security"],
      cases: [byPlatform, bySecurity],
      policy,
      now: new Date(NOW),
    });
    const text = JSON.stringify(view.blocks);
    expect(view.type).toBe("home");
    expect(text).toContain("Approvals waiting for you (1)");
    expect(text).toContain(ACTION_IDS.exceptionApprove);
    expect(text).toContain(ACTION_IDS.exceptionReject);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
  });

  it("lists agreed upgrade dates of the next 30 days, soonest first", () => {
    const cases = [
      agreedOn(eksCase("late"), "2026-12-22"),
      agreedOn(eksCase("soon"), "2026-11-25"),
      agreedOn(eksCase("past"), "2026-11-20"),
      agreedOn(eksCase("edge"), "2026-12-21"),
    ];
    expect(upcomingDates(cases, ["platform"], new Date(NOW)).map((c) => c.upgrade?.agreed?.date)).toEqual([
      "2026-11-25",
      "2026-12-21",
    ]);
    expect(upcomingDates(cases, ["leadership"], new Date(NOW))).toEqual([]);
  });

  it("starts each line with the case's human id, and keeps the finding id at its end", () => {
    const open = eksCase("arn:open", { number: 12 });
    const waiting = requested(eksCase("arn:waiting", { number: 13 }), "security");
    const dated = agreedOn(eksCase("arn:dated", { number: 14 }), "2026-11-25");
    const view = homeView({
      user: "U1",
      teams: ["platform"],
      cases: [open, waiting, dated],
      policy,
      now: new Date(NOW),
    });
    const texts = (view.blocks as { type: string; text?: { text: string } }[])
      .filter((block) => block.type === "section")
      .map((block) => block.text?.text ?? "");
    expect(texts.find((text) => text.includes("requests EXC-1"))).toMatch(/^`SHG-13` · \*EKS clusters/);
    const openLines = texts.find((text) => text.includes("`arn:open`"))?.split("\n") ?? [];
    expect(openLines.find((line) => line.includes("arn:open"))).toMatch(/^• `SHG-12` · .* · `arn:open`$/);
    const dateLines = texts.find((text) => text.includes("*2026-11-25*"))?.split("\n") ?? [];
    expect(dateLines[0]).toMatch(/^• `SHG-14` · \*2026-11-25\* · .*`arn:dated`$/);
    // Without a number (a case not saved yet) the line is as before.
    const bare = homeView({
      user: "U1",
      teams: ["platform"],
      cases: [eksCase("arn:bare")],
      policy,
      now: new Date(NOW),
    });
    expect(JSON.stringify(bare.blocks)).toContain("• 2026-");
  });

  it("says so when the user is in no team", () => {
    const view = homeView({ user: "U1", teams: [], cases: [eksCase("a")], policy, now: new Date(NOW) });
    expect(JSON.stringify(view.blocks)).toContain("in no team of the policy");
  });

  it("keeps a long list of open cases within a section's limit", () => {
    const cases = Array.from({ length: 200 }, (_, index) => eksCase(`case-${index}`));
    const view = homeView({ user: "U1", teams: ["platform"], cases, policy, now: new Date(NOW) });
    const sections = view.blocks.filter((b) => (b as { type: string }).type === "section") as {
      text: { text: string };
    }[];
    expect(sections.every((s) => s.text.text.length <= 3000)).toBe(true);
    expect(JSON.stringify(view.blocks)).toMatch(/…and \d+ more/);
  });
});

describe("Socket Mode", () => {
  it("builds the Bolt app over Socket Mode with the same listeners, without connecting", () => {
    const db = { query: async () => [] } as unknown as Database;
    const socket = startSlackSocketMode({
      db,
      policy,
      botToken: "xoxb-test",
      appToken: "xapp-test",
      slackApiUrl: "http://127.0.0.1:9/api/",
      now: () => new Date(NOW),
      logger: pino({ level: "silent" }),
    });
    expect(socket.app).toBeDefined();
    expect(typeof socket.start).toBe("function");
    // The receiver is Bolt's SocketModeReceiver (nothing opened until start()).
    const receiver = (socket.app as unknown as { receiver: { constructor: { name: string } } }).receiver;
    expect(receiver.constructor.name).toBe("SocketModeReceiver");
    // The listeners are registered: one per button, modal, command and event.
    const listeners = (socket.app as unknown as { listeners: unknown[] }).listeners;
    expect(listeners.length).toBeGreaterThanOrEqual(12);
  });
});
