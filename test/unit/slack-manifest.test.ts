import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BOT_SCOPES } from "../../src/slack/scopes.js";
import { REPO_ROOT } from "../support/events.js";

/** The manifest users paste into Slack must match what the code does. */
const manifest = parse(readFileSync(join(REPO_ROOT, "docs/slack-app-manifest.yaml"), "utf8")) as {
  features: { slash_commands: { command: string; url: string }[]; app_home: { home_tab_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string };
  };
};

/** The Web API methods src/slack and src/report call, and the scope each needs. */
const SCOPE_OF: Record<string, string> = {
  "chat.postMessage": "chat:write",
  // files.getUploadURLExternal and files.completeUploadExternal, both files:write.
  filesUploadV2: "files:write",
  "chat.update": "chat:write",
  "chat.postEphemeral": "chat:write",
  "usergroups.users.list": "usergroups:read",
  "views.open": "commands",
  // Looking for a post whose record was lost; groups:history as well for private channels.
  "conversations.history": "channels:history",
};

function sources(dir: string): string {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => readFileSync(join(dir, name), "utf8"))
    .join("\n");
}

describe("docs/slack-app-manifest.yaml", () => {
  it("sends events, interactions and the slash command to POST /slack/events", () => {
    const urls = [
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
      ...manifest.features.slash_commands.map((command) => command.url),
    ];
    for (const url of urls) expect(url).toMatch(/^https:\/\/YOUR-HOST\/slack\/events$/);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.slash_commands.map((command) => command.command)).toEqual(["/shgov"]);
  });

  it("grants a scope for every Web API method the code calls", () => {
    const code = ["src/slack", "src/report", "src/doctor"]
      .map((dir) => sources(join(REPO_ROOT, dir)))
      .join("\n");
    const called = Object.keys(SCOPE_OF).filter((method) => code.includes(`${method}(`));
    expect(called).toContain("filesUploadV2");
    for (const method of called) expect(manifest.oauth_config.scopes.bot).toContain(SCOPE_OF[method]);
  });

  it("asks for the scopes shgov doctor checks a token for, no more and no fewer", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...BOT_SCOPES].sort());
  });

  it("subscribes to the App Home event when the code handles it", () => {
    const code = sources(join(REPO_ROOT, "src/slack"));
    if (code.includes("app_home_opened")) {
      expect(manifest.settings.event_subscriptions.bot_events).toContain("app_home_opened");
      expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    }
  });
});
