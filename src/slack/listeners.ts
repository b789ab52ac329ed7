import type { App } from "@slack/bolt";
import type { Logger } from "pino";
import type { Policy } from "../engine/policy.js";
import type { CaseActionsDeps } from "../shell/act-on-case.js";
import type { Database } from "../store/database.js";
import type { BoltIdentity } from "./bolt-options.js";
import { registerCaseActionListeners } from "./case-action-listeners.js";
import { registerHome } from "./home.js";
import { TeamMembership, USERGROUP_CACHE_MS } from "./membership.js";
import { registerShgovCommand } from "./shgov-command.js";

/** What the listeners need, whichever transport feeds them. */
export interface SlackListenerOptions extends BoltIdentity {
  db: Database;
  policy: Policy;
  /** The engine's clock (time of decisions). */
  now: () => Date;
  logger: Logger;
  /** Wall clock for request freshness and the user-group cache (Slack's timestamps are real time). */
  wallClock?: () => number;
  usergroupCacheMs?: number;
}

/** What each group of listeners is handed. */
export interface ListenerContext {
  app: App;
  actions: CaseActionsDeps;
  membership: TeamMembership;
  botToken: string;
  log: Logger;
}

/**
 * Registers every listener of the Slack side on `app` (buttons, modals, `/shgov`, App Home), the
 * same for both transports (HTTP route, Socket Mode). Returns the membership cache they share.
 */
export function registerSlackListeners(app: App, options: SlackListenerOptions): TeamMembership {
  const { db, policy, botToken, now, logger } = options;
  const log = logger.child({ component: "slack" });
  const membership = new TeamMembership(
    policy,
    async (usergroup) => {
      const result = await app.client.usergroups.users.list({ token: botToken, usergroup });
      return result.users ?? [];
    },
    options.wallClock ?? Date.now,
    options.usergroupCacheMs ?? USERGROUP_CACHE_MS,
  );
  const context: ListenerContext = {
    app,
    actions: { db, policy, membership, now },
    membership,
    botToken,
    log,
  };
  registerCaseActionListeners(context);
  registerShgovCommand(context);
  registerHome(app, { db, policy, membership, now, log });
  app.error(async (error) => {
    log.error({ err: error }, "slack listener failed");
  });
  return membership;
}
