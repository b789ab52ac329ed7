import { describe, expect, it } from "vitest";
import type { Case } from "../../src/engine/case.js";
import { NOTIFY_TOPICS, type NotifyEffect, type NotifyTopic } from "../../src/engine/effects.js";
import { MAX_BLOCKS, SECTION_TEXT_MAX } from "../../src/slack/block-kit.js";
import { consoleUrl, renderNotification } from "../../src/slack/case-message.js";
import { ACTION_IDS, parseButtonValue, VIEW_IDS } from "../../src/slack/interaction-codecs.js";
import { dateModal, exceptionModal, latestExpiryDay, rejectModal } from "../../src/slack/modals.js";
import { lateClickNote, supersededOutcome } from "../../src/slack/question-outcomes.js";
import { examplePolicy, finding, givenWhen, observed } from "../support/engine.js";

const policy = examplePolicy();
const NOW = "2026-11-21T12:00:00.000Z";

/** An EKS.2 case (owner platform, counterpart security) waiting for an upgrade date. */
function eksCase(overrides: Partial<Case> = {}): Case {
  const { after } = givenWhen(policy, [], observed(finding()), NOW);
  if (!after) throw new Error("no case");
  return { ...after, ...overrides };
}

function effect(topic: NotifyTopic, overrides: Partial<NotifyEffect> = {}): NotifyEffect {
  return {
    kind: "notify",
    caseId: eksCase().id,
    topic,
    teams: ["platform"],
    mentionLeads: false,
    text: `something about the case (${topic})`,
    ...overrides,
  };
}

interface Element {
  type: string;
  action_id?: string;
  value?: string;
  url?: string;
}

/** The EKS case with exception EXC-1 in `status`, decided by U0PAT (platform) unless still requested. */
function withException(status: NonNullable<Case["exception"]>["status"], decided = true): Case {
  const pending = status === "requested" || !decided;
  return eksCase({
    exception: {
      id: "EXC-1",
      status,
      requester: { user: "U0SAM", team: "security" },
      justification: "vendor fix",
      expiresAt: "2026-12-10T00:00:00.000Z",
      requestedAt: NOW,
      decidedBy: pending ? null : { user: "U0PAT", team: "platform" },
      decidedAt: pending ? null : "2026-11-21T13:05:00.000Z",
      decisionReason: status === "rejected" ? "fix it" : null,
    },
  });
}

function elements(blocks: unknown[] | undefined): Element[] {
  return (blocks ?? []).flatMap((block) => {
    const b = block as { type: string; elements?: Element[] };
    return b.type === "actions" ? (b.elements ?? []) : [];
  });
}

function actionIds(topic: NotifyTopic, c: Case = eksCase()): string[] {
  const [message] = renderNotification(effect(topic), c, policy);
  return elements(message?.blocks).map((e) => e.action_id ?? "");
}

describe("renderNotification", () => {
  it("posts one message per team, to that team's channel, naming the case", () => {
    const c = eksCase();
    const messages = renderNotification(effect("escalated", { teams: ["platform", "security"] }), c, policy);
    expect(messages.map((m) => m.channel)).toEqual(["C0PLATFORM", "C0SECURITY"]);
    const text = JSON.stringify(messages[0]?.blocks);
    for (const fact of [
      c.title,
      "EKS.2",
      "HIGH",
      "111111111111",
      "us-east-1",
      c.resourceId ?? "",
      "platform",
    ]) {
      expect(text).toContain(fact);
    }
    expect(text).toContain(`${c.slaDueAt?.slice(0, 10)}`);
    expect(text).toContain("something about the case (escalated)");
  });

  it("names the case by its human id, then its finding id; the finding id alone before it has a number", () => {
    const context = (c: Case) => {
      const blocks = (renderNotification(effect("escalated"), c, policy)[0]?.blocks ?? []) as {
        type: string;
        elements?: { text: string }[];
      }[];
      return blocks.find((block) => block.type === "context")?.elements?.[0]?.text;
    };
    const c = eksCase({ number: 42 });
    expect(context(c)).toBe(`Case \`SHG-42\` · finding \`${c.id}\``);
    expect(context(eksCase({ number: null }))).toBe(`Case \`${c.id}\``);
    // A finding id is outside text: escaped for mrkdwn.
    expect(context(eksCase({ number: 7, id: "x<b>&" }))).toBe("Case `SHG-7` · finding `x&lt;b&gt;&amp;`");
  });

  it("mentions the team's user group, and its leads only when asked", () => {
    const [plain] = renderNotification(effect("escalated"), eksCase(), policy);
    expect(plain?.text).toContain("<!subteam^S0PLATFORM>");
    expect(JSON.stringify(plain?.blocks)).toContain("<!subteam^S0PLATFORM>");
    expect(JSON.stringify(plain)).not.toContain("<@U0PLATLEAD>");
    const [loud] = renderNotification(effect("escalated", { mentionLeads: true }), eksCase(), policy);
    expect(loud?.text).toContain("<@U0PLATLEAD>");
    expect(JSON.stringify(loud?.blocks)).toContain("<@U0PLATLEAD>");
    // A team without a user group is reached by its leads only.
    const [leadership] = renderNotification(
      effect("sla.breached", { teams: ["leadership"], mentionLeads: true }),
      eksCase(),
      policy,
    );
    expect(leadership?.channel).toBe("C0LEADERS");
    expect(leadership?.text).not.toContain("subteam");
    expect(leadership?.text).toContain("<@U0CISO>");
  });

  it("carries the buttons that move the case, per topic", () => {
    const proposal = {
      date: "2026-12-15",
      proposedBy: { user: "U1", team: "platform" },
      at: NOW,
      acceptedBy: [{ user: "U1", team: "platform" }],
    };
    const base = eksCase();
    const proposed = eksCase({ upgrade: base.upgrade ? { ...base.upgrade, proposal } : null });
    const agreed = eksCase({
      upgrade: base.upgrade ? { ...base.upgrade, agreed: { date: "2026-12-15", at: NOW, by: [] } } : null,
    });
    const { claim, exceptionRequest, exceptionApprove, exceptionReject, datePropose, dateAgree, console } =
      ACTION_IDS;
    expect(actionIds("suppression.blocked")).toEqual([exceptionRequest, claim, console]);
    expect(actionIds("exception.requested", withException("requested"))).toEqual([
      exceptionApprove,
      exceptionReject,
      console,
    ]);
    expect(actionIds("date.proposed", proposed)).toEqual([dateAgree, datePropose, console]);
    for (const topic of ["case.opened", "escalated", "sla.breached", "case.reopened"] as const) {
      expect(actionIds(topic)).toEqual([claim, exceptionRequest, datePropose, console]);
      expect(actionIds(topic, agreed)).toEqual([claim, exceptionRequest, console]);
      expect(actionIds(topic, eksCase({ upgrade: null }))).toEqual([claim, exceptionRequest, console]);
    }
    expect(actionIds("date.reminder")).toEqual([claim, console]);
    expect(actionIds("date.missed")).toEqual([claim, console]);
    expect(actionIds("exception.approved")).toEqual([console]);
    expect(actionIds("escalated", eksCase({ resolvedAt: NOW }))).toEqual([console]);
  });

  it("puts the case id in each button's value, and the proposed date in Agree's", () => {
    const base = eksCase();
    const proposal = {
      date: "2026-12-15",
      proposedBy: { user: "U1", team: "platform" },
      at: NOW,
      acceptedBy: [],
    };
    const c = eksCase({ upgrade: base.upgrade ? { ...base.upgrade, proposal } : null });
    const [message] = renderNotification(effect("date.proposed"), c, policy);
    const buttons = elements(message?.blocks).filter((e) => e.value !== undefined);
    expect(buttons.map((b) => parseButtonValue(b.value))).toEqual([
      { caseId: c.id, date: "2026-12-15" },
      { caseId: c.id },
    ]);
  });

  it("links the finding in the Security Hub console", () => {
    const c = eksCase();
    const [message] = renderNotification(effect("escalated"), c, policy);
    const link = elements(message?.blocks).find((e) => e.action_id === ACTION_IDS.console);
    expect(link?.url).toBe(consoleUrl(c));
    expect(consoleUrl(c)).toBe(
      "https://console.aws.amazon.com/securityhub/home?region=us-east-1#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A" +
        "arn%253Aaws%253Asecurityhub%253Aus-east-1%253A111111111111%253Asecurity-control%252FEKS.2%252Ffinding%252Fabc",
    );
    // Decoded twice, the search names the finding id exactly.
    const search = new URL(consoleUrl(c)).hash.split("search=")[1] ?? "";
    expect(decodeURIComponent(decodeURIComponent(search))).toBe(`Id=\\operator\\:EQUALS\\:${c.findingId}`);
  });

  it("keeps within Block Kit's limits and escapes text from findings", () => {
    const c = eksCase({ title: `<script> & ${"x".repeat(5000)}` });
    for (const topic of NOTIFY_TOPICS) {
      const [message] = renderNotification(
        effect(topic, { text: `<!channel> ${"y".repeat(10_000)}`, mentionLeads: true }),
        c,
        policy,
      );
      expect(message?.blocks?.length).toBeLessThanOrEqual(MAX_BLOCKS);
      expect(message?.text.length).toBeLessThanOrEqual(SECTION_TEXT_MAX);
      for (const block of message?.blocks ?? []) {
        const b = block as { text?: { text: string }; fields?: { text: string }[] };
        if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(SECTION_TEXT_MAX);
        for (const field of b.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
        expect(b.fields?.length ?? 0).toBeLessThanOrEqual(10);
      }
      const blocks = JSON.stringify(message?.blocks);
      expect(blocks).toContain("&lt;script&gt; &amp;");
      expect(blocks).toContain("&lt;!channel&gt;");
    }
  });

  it("without the case, says so and offers no buttons; unknown teams get nothing", () => {
    const [message] = renderNotification(effect("escalated"), null, policy);
    expect(elements(message?.blocks)).toEqual([]);
    expect(JSON.stringify(message?.blocks)).toContain("no longer exists");
    expect(renderNotification(effect("escalated", { teams: ["nobody"] }), eksCase(), policy)).toEqual([]);
  });
});

describe("answered questions", () => {
  const agreedCase = () => {
    const base = eksCase();
    return eksCase({
      upgrade: base.upgrade
        ? {
            ...base.upgrade,
            proposal: null,
            agreed: {
              date: "2026-12-15",
              at: "2026-11-21T14:00:00.000Z",
              by: [
                { user: "U0ALICE", team: "platform" },
                { user: "U0SAM", team: "security" },
              ],
            },
          }
        : null,
    });
  };

  it("a decided exception request shows who decided and when, and no buttons", () => {
    for (const [status, pattern] of [
      [
        "approved",
        /EXC-1 approved by <@U0PAT> \(platform\) at 2026-11-21 13:05 UTC, until 2026-12-10 00:00 UTC/,
      ],
      ["rejected", /EXC-1 rejected by <@U0PAT> \(platform\) at 2026-11-21 13:05 UTC: fix it/],
      ["expired", /EXC-1 approved by <@U0PAT> .*; expired at 2026-12-10 00:00 UTC/],
    ] as const) {
      const c = withException(status);
      expect(supersededOutcome("exception.requested", c)).toMatch(pattern);
      const [message] = renderNotification(effect("exception.requested"), c, policy);
      expect(message?.blocks?.some((b) => (b as { type: string }).type === "actions")).toBe(false);
      expect(JSON.stringify(message?.blocks)).toMatch(pattern);
      expect(message?.text).toMatch(pattern);
    }
    expect(supersededOutcome("exception.requested", withException("expired", false))).toMatch(
      /request EXC-1 lapsed: nobody decided before 2026-12-10/,
    );
    expect(supersededOutcome("exception.requested", withException("requested"))).toBeNull();
    expect(supersededOutcome("escalated", withException("approved"))).toBeNull();
  });

  it("an agreed date answers the proposals: no Agree, who agreed and when", () => {
    expect(supersededOutcome("date.proposed", agreedCase())).toBe(
      ":handshake: Upgrade date 2026-12-15 agreed by <@U0ALICE> (platform) and <@U0SAM> (security) at 2026-11-21 14:00 UTC",
    );
    expect(actionIds("date.proposed", agreedCase())).toEqual([]);
  });

  it("a late click's refusal names who decided and when", () => {
    expect(lateClickNote("exception_approve", withException("approved"))).toBe(
      "exception EXC-1 was already approved by <@U0PAT> (team platform) at 2026-11-21 13:05 UTC",
    );
    expect(lateClickNote("exception_reject", withException("rejected"))).toMatch(
      /already rejected by <@U0PAT>/,
    );
    expect(lateClickNote("exception_approve", withException("requested"))).toBeNull();
    expect(lateClickNote("date_agree", agreedCase())).toBe(
      "the upgrade date 2026-12-15 was already agreed by <@U0ALICE> (team platform) and <@U0SAM> (team security) at 2026-11-21 14:00 UTC",
    );
    expect(lateClickNote("claim", withException("approved"))).toBeNull();
  });
});

describe("modals", () => {
  const now = new Date(NOW);

  it("the exception modal asks for a justification, an expiry within max_duration, and compensating controls", () => {
    const view = exceptionModal("case-1", policy.suppression.maxDurationMs, now, "C1");
    expect(view.callback_id).toBe(VIEW_IDS.exception);
    expect(JSON.parse(view.private_metadata)).toEqual({ c: "case-1", ch: "C1" });
    const blocks = view.blocks as {
      block_id?: string;
      optional?: boolean;
      element?: { type: string; multiline?: boolean; initial_date?: string };
    }[];
    const byId = Object.fromEntries(blocks.filter((b) => b.block_id).map((b) => [b.block_id, b]));
    expect(byId.justification?.element).toMatchObject({ type: "plain_text_input", multiline: true });
    expect(byId.justification?.optional).toBe(false);
    expect(byId.compensating?.optional).toBe(true);
    expect(byId.expiry?.element?.type).toBe("datepicker");
    // 90 days from 2026-11-21T12:00Z: the last whole day ends before 2027-02-19T12:00Z.
    expect(latestExpiryDay(policy.suppression.maxDurationMs, now)).toBe("2027-02-18");
    expect(byId.expiry?.element?.initial_date).toBe("2026-12-21");
    expect(JSON.stringify(byId.expiry)).toContain("At most 2027-02-18");
    const short = exceptionModal("case-1", 10 * 86_400_000, now);
    const expiry = (short.blocks as { block_id?: string; element?: { initial_date?: string } }[]).find(
      (b) => b.block_id === "expiry",
    );
    expect(expiry?.element?.initial_date).toBe("2026-11-30");
    expect(view.title.text.length).toBeLessThanOrEqual(24);
  });

  it("the date modal names the deadline in its hint", () => {
    const view = dateModal("case-1", "2027-03-23T00:00:00.000Z", now);
    expect(view.callback_id).toBe(VIEW_IDS.date);
    const date = (
      view.blocks as { block_id?: string; hint?: { text: string }; element?: { type: string } }[]
    ).find((b) => b.block_id === "date");
    expect(date?.element?.type).toBe("datepicker");
    expect(date?.hint?.text).toContain("before 2027-03-23");
    expect(view.title.text.length).toBeLessThanOrEqual(24);
  });

  it("names the case by its human id when it has one, else by the finding id", () => {
    const text = (view: { blocks: unknown[] }) => JSON.stringify(view.blocks[0]);
    expect(text(exceptionModal("arn:x", policy.suppression.maxDurationMs, now, "C1", "SHG-42"))).toContain(
      "Case `SHG-42`. The approver team decides",
    );
    expect(text(dateModal("arn:x", null, now, null, "SHG-42"))).toContain("Case `SHG-42`");
    expect(text(rejectModal("arn:x", null, "SHG-42"))).toContain("Case `SHG-42`");
    expect(text(rejectModal("arn:x"))).toContain("Case `arn:x`");
    // The modal still carries the finding id: the key the submission acts on.
    expect(JSON.parse(rejectModal("arn:x", null, "SHG-42").private_metadata)).toEqual({
      c: "arn:x",
      ch: null,
    });
  });

  it("the reject modal asks for a reason", () => {
    const view = rejectModal("case-1");
    expect(view.callback_id).toBe(VIEW_IDS.reject);
    expect(JSON.stringify(view.blocks)).toContain('"block_id":"reason"');
  });
});
