/**
 * The bot token scopes the app needs, as docs/slack-app-manifest.yaml asks for them (a test keeps
 * the two equal, and each Web API method the code calls covered); `shgov doctor` checks a token has them.
 */
export const BOT_SCOPES = [
  "chat:write",
  "chat:write.public",
  "commands",
  "usergroups:read",
  "files:write",
  "im:write",
  "channels:history",
  "groups:history",
] as const;
