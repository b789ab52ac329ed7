import { describe, expect, it } from "vitest";
import {
  bold,
  code,
  escapeMrkdwn,
  joinMrkdwn,
  link,
  md,
  mrkdwnText,
  plainText,
  raw,
  truncateMrkdwn,
  usergroupMention,
  userMention,
} from "../../src/slack/mrkdwn.js";

const HOSTILE = "<!channel> <@U0EVIL> <https://evil.example|AWS console> & *bold* _it_ ~x~";
const ESCAPED =
  "&lt;!channel&gt; &lt;@U0EVIL&gt; &lt;https://evil.example|AWS console&gt; &amp; *bold* _it_ ~x~";

describe("Slack mrkdwn", () => {
  it("escapes &, < and > as Slack says, and leaves the formatting characters alone", () => {
    expect(escapeMrkdwn(HOSTILE)).toBe(ESCAPED);
  });

  it("md`…` keeps its literal parts as markup and escapes every interpolated value", () => {
    expect(md`*${HOSTILE}* (${42})`.text).toBe(`*${ESCAPED}* (42)`);
    // A Mrkdwn interpolated is kept as it is: escaped once, not twice.
    const inner = md`${"a<b"}`;
    expect(md`x ${inner} y`.text).toBe("x a&lt;b y");
    expect(joinMrkdwn([inner, "c>d"], " · ").text).toBe("a&lt;b · c&gt;d");
    expect(code(HOSTILE).text).toBe(`\`${ESCAPED}\``);
    expect(bold("a&b").text).toBe("*a&amp;b*");
    expect(raw("<!subteam^S1>").text).toBe("<!subteam^S1>");
  });

  it("a Mrkdwn cannot slip into a plain template string", () => {
    const value = md`x`;
    expect(() => `${value}`).toThrow(/compose it with md/);
  });

  it("mentions only what has the shape of a Slack id; anything else is shown escaped", () => {
    expect(userMention("U0ALICE").text).toBe("<@U0ALICE>");
    expect(userMention("W0GRID").text).toBe("<@W0GRID>");
    expect(userMention("U1> <!channel").text).toBe("U1&gt; &lt;!channel");
    expect(userMention("alice").text).toBe("alice");
    expect(usergroupMention("S0PLATFORM").text).toBe("<!subteam^S0PLATFORM>");
    expect(usergroupMention("S1>|<!here").text).toBe("S1&gt;|&lt;!here");
  });

  it("links only plain http(s) URLs, with the label escaped", () => {
    expect(link("https://console.aws.amazon.com/x?a=1#b", HOSTILE).text).toBe(
      `<https://console.aws.amazon.com/x?a=1#b|${escapeMrkdwn(HOSTILE.replaceAll("|", " "))}>`,
    );
    expect(link("https://a.example/x>|<!channel", "label").text).toBe("label");
    expect(link("javascript:alert(1)", "label").text).toBe("label");
  });

  it("cuts mrkdwn without leaving half an entity or half a tag of the bot's own", () => {
    expect(truncateMrkdwn(md`${"<<<<"}`, 6).text).toBe("&lt;…");
    expect(truncateMrkdwn(md`ab ${raw("<@U0ALICE>")}`, 8).text).toBe("ab …");
    expect(mrkdwnText(md`${"x".repeat(10)}`, 5)).toEqual({ type: "mrkdwn", text: "xxxx…" });
  });

  it("plain_text is not parsed by Slack: nothing is escaped, only the length is kept", () => {
    expect(plainText(HOSTILE, 1000)).toEqual({ type: "plain_text", text: HOSTILE, emoji: true });
    expect(plainText("abcdef", 4).text).toBe("abc…");
  });
});
