import { ShgovError } from "../errors.js";
import { createEventBridgeClient } from "../eventbridge/client.js";
import { desiredSetup, type SetupSettings } from "./desired.js";
import { applySetup, readCurrentSetup } from "./eventbridge-setup.js";
import { planSetup, planText, sendsKey } from "./plan.js";

export interface RunSetupOptions {
  settings: SetupSettings;
  region: string;
  /** AWS_ENDPOINT_URL_EVENTBRIDGE, when set. */
  endpoint: string | undefined;
  ingestKey: string | undefined;
  rotateKey: boolean;
  dryRun: boolean;
  out: (line: string) => void;
}

/** Read, plan, print, then apply the difference unless it is a dry run or there is none. */
export async function runSetup(options: RunSetupOptions): Promise<"dry-run" | "unchanged" | "applied"> {
  const client = createEventBridgeClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  try {
    const desired = desiredSetup(options.settings);
    const current = await readCurrentSetup(client, desired);
    const plan = planSetup(current, desired, { rotateKey: options.rotateKey });
    options.out(planText(plan));
    if (options.dryRun) {
      options.out("dry run: nothing changed");
      return "dry-run";
    }
    if (plan.unchanged) {
      options.out("nothing to change");
      return "unchanged";
    }
    if (sendsKey(plan) && !options.ingestKey) {
      throw new ShgovError(
        "setup.no_ingest_key",
        "shgov setup: INGEST_API_KEY is not set: the connection sends it to the service in x-api-key; set it to the key the service has",
      );
    }
    await applySetup(client, desired, current, plan, options.ingestKey ?? "", options.out);
    return "applied";
  } finally {
    client.destroy();
  }
}
