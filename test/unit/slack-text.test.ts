import { describe, expect, it } from "vitest";
import { blockKitBuilderUrl, mrkdwnText, slackText } from "../../src/demo/slack-text.js";
import type { NotifyEffect } from "../../src/engine/effects.js";
import type { Policy } from "../../src/engine/policy.js";
import { renderNotification } from "../../src/slack/case-message.js";

describe("slackText", () => {
  it("renders sections, fields, context and buttons as lines", () => {
    const blocks = [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: ":new: New case <!subteam^S0PLATFORM> <@U0LEAD>\nNew *HIGH* finding &amp; more",
        },
      },
      {
        type: "section",
        fields: [
          { type: "mrkdwn", text: "*Control*\nEKS.2" },
          { type: "mrkdwn", text: "*Resource*\nAwsEksCluster `arn:x`" },
        ],
      },
      { type: "context", elements: [{ type: "mrkdwn", text: "Case `c-1`" }] },
      {
        type: "actions",
        elements: [
          { type: "button", text: { type: "plain_text", text: "Claim" } },
          { type: "button", text: { type: "plain_text", text: "Request exception" } },
        ],
      },
      { type: "divider" },
      { type: "image" },
    ];
    expect(slackText(blocks)).toEqual([
      ":new: New case @S0PLATFORM @U0LEAD",
      "New HIGH finding & more",
      "Control: EKS.2 · Resource: AwsEksCluster arn:x",
      "Case c-1",
      "[Claim] [Request exception]",
      "---",
    ]);
  });

  it("reads links and escapes as a person would", () => {
    expect(mrkdwnText("see <https://example.com|the docs> or <https://a.b> &lt;x&gt;")).toBe(
      "see the docs (https://example.com) or https://a.b <x>",
    );
  });

  it("links the blocks to Block Kit Builder, encoded", () => {
    const blocks = [{ type: "divider" }];
    const url = blockKitBuilderUrl(blocks);
    expect(url.startsWith("https://app.slack.com/block-kit-builder/#")).toBe(true);
    expect(JSON.parse(decodeURIComponent(url.split("#")[1] ?? ""))).toEqual({ blocks });
  });

  it("renders a real notification with its buttons", () => {
    const policy = {
      teams: {
        platform: {
          name: "platform",
          reach: { slack: { address: "C0PLATFORM", group: "S0PLATFORM" } },
          leads: [],
        },
      },
    } as unknown as Policy;
    const effect = {
      kind: "notify",
      topic: "case.opened",
      caseId: "c-1",
      teams: ["platform"],
      mentionLeads: false,
      text: "New HIGH finding",
    } as unknown as NotifyEffect;
    const messages = renderNotification(effect, null, policy);
    expect(messages).toHaveLength(1);
    expect(slackText(messages[0]?.blocks ?? [])).toEqual([
      ":new: New case @S0PLATFORM",
      "New HIGH finding",
      "Case c-1 no longer exists",
    ]);
  });
});
