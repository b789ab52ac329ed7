import { type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import type { Logger } from "pino";

/** Bolt's logger interface over pino. */
export function boltLogger(logger: Logger): BoltLogger {
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

/** The Web API base with the trailing slash WebClient needs, or undefined for Slack's own. */
function apiBase(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  return url.endsWith("/") ? url : `${url}/`;
}

export interface BoltIdentity {
  botToken: string;
  /** The Web API base (SLACK_API_URL); Slack's own when unset. */
  slackApiUrl?: string | null;
  /** The bot's ids, when known; without them Bolt's context has none (no auth.test is made). */
  botId?: string;
  botUserId?: string;
}

/** Bolt's options shared by both transports: a fixed authorization (no auth.test), pino, short retries. */
export function boltAppOptions(options: BoltIdentity, log: Logger) {
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
