import { App } from "@slack/bolt";
import { boltAppOptions } from "./bolt-options.js";
import { registerSlackListeners, type SlackListenerOptions } from "./listeners.js";
import type { TeamMembership } from "./membership.js";

export interface SlackSocketModeOptions extends SlackListenerOptions {
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
 * connection opens on start().
 */
export function startSlackSocketMode(options: SlackSocketModeOptions): SlackSocketMode {
  const log = options.logger.child({ component: "slack" });
  const app = new App({ socketMode: true, appToken: options.appToken, ...boltAppOptions(options, log) });
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
