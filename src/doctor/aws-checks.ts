import { readdir, readFile } from "node:fs/promises";
import { TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import { createEventBridgeClient } from "../eventbridge/client.js";
import { createSecurityHubClient } from "../securityhub/client.js";
import { readOneFinding } from "../securityhub/reachability.js";
import { awsCall } from "../setup/aws-call.js";
import { desiredSetup } from "../setup/desired.js";
import { readCurrentSetup } from "../setup/eventbridge-setup.js";
import { patternText } from "../setup/plan.js";
import { type CheckResult, fail, guarded, ok, skip, warn } from "./check.js";

export interface AwsCheckSettings {
  region: string | undefined;
  securityHubEndpoint: string | undefined;
  eventBridgeEndpoint: string | undefined;
  securityHubDryRun: boolean;
  /** The service's https base URL the API destination must call (PUBLIC_URL or --endpoint). */
  serviceUrl: string | undefined;
  namePrefix: string;
}

/** The sample events the rules must match, by the detail-types they carry (the Docker image has them). */
const SAMPLE_FOLDERS = [
  new URL("../../examples/events/", import.meta.url),
  new URL("../../examples/cloudtrail/", import.meta.url),
];

async function sampleEvents(): Promise<{ file: string; text: string; detailType: unknown }[]> {
  const samples: { file: string; text: string; detailType: unknown }[] = [];
  for (const folder of SAMPLE_FOLDERS) {
    const files = (await readdir(folder).catch(() => [])).filter((file) => file.endsWith(".json")).sort();
    for (const file of files) {
      const text = await readFile(new URL(file, folder), "utf8");
      samples.push({ file, text, detailType: (JSON.parse(text) as Record<string, unknown>)["detail-type"] });
    }
  }
  return samples;
}

const awsFailure = (error: unknown) => {
  const failure = error as { name?: string; message?: string };
  return `${failure.name ?? "error"}: ${failure.message ?? String(error)}`;
};

export async function securityHubChecks(settings: AwsCheckSettings): Promise<CheckResult[]> {
  if (settings.securityHubDryRun) return [skip("security hub", "SECURITYHUB_DRY_RUN=true: no calls")];
  if (!settings.region)
    return [fail("security hub", "AWS_REGION is not set", "set AWS_REGION to the region findings arrive in")];
  const client = createSecurityHubClient({
    region: settings.region,
    maxAttempts: 2,
    ...(settings.securityHubEndpoint ? { endpoint: settings.securityHubEndpoint } : {}),
  });
  try {
    const read = await readOneFinding(client);
    return [ok("security hub", `GetFindings answers in ${settings.region} (${read} finding read)`)];
  } catch (error) {
    const name = (error as { name?: string }).name ?? "";
    const fix =
      name === "AccessDeniedException"
        ? "grant the service's role the policy of shgov setup --print-iam (securityhub:GetFindings and the updates)"
        : name === "InvalidAccessException"
          ? `enable Security Hub in ${settings.region}, or set AWS_REGION to the aggregation region`
          : /credential/i.test(String((error as Error).message))
            ? "give the service AWS credentials (a role, or AWS_PROFILE)"
            : "check AWS_REGION, the network and AWS_ENDPOINT_URL_SECURITYHUB";
    return [fail("security hub", awsFailure(error), fix)];
  } finally {
    client.destroy();
  }
}

/**
 * The resources `shgov setup` makes are there, working and pointing at this service, and the
 * rule's pattern matches the real sample events (EventBridge's own TestEventPattern says so).
 */
export async function eventBridgeChecks(settings: AwsCheckSettings): Promise<CheckResult[]> {
  if (!settings.region)
    return [fail("eventbridge", "AWS_REGION is not set", "set AWS_REGION to the region findings arrive in")];
  const client = createEventBridgeClient({
    region: settings.region,
    maxAttempts: 2,
    ...(settings.eventBridgeEndpoint ? { endpoint: settings.eventBridgeEndpoint } : {}),
  });
  const setupAgain = "run shgov setup (--dry-run shows what it would change)";
  try {
    return await guarded("eventbridge", setupAgain, async () => {
      const desired = desiredSetup({
        endpoint: settings.serviceUrl ?? "https://unknown",
        ratePerSecond: 300,
        namePrefix: settings.namePrefix,
        roleArn: "",
        deadLetterArn: "",
      });
      const current = await readCurrentSetup(client, desired);
      const allSamples = await sampleEvents();
      const results: CheckResult[] = [];
      const connection = current.connection;
      results.push(
        !connection
          ? fail(`eventbridge connection ${desired.connection.name}`, "missing", setupAgain)
          : connection.state === "AUTHORIZED"
            ? ok(`eventbridge connection ${desired.connection.name}`, "AUTHORIZED")
            : fail(
                `eventbridge connection ${desired.connection.name}`,
                `state ${connection.state ?? "unknown"}`,
                "run shgov setup --rotate-key with the service's INGEST_API_KEY",
              ),
      );
      const destination = current.apiDestination;
      const destinationName = `eventbridge api destination ${desired.apiDestination.name}`;
      if (!destination) results.push(fail(destinationName, "missing", setupAgain));
      else if (destination.state !== "ACTIVE")
        results.push(fail(destinationName, `state ${destination.state ?? "unknown"}`, setupAgain));
      else if (!settings.serviceUrl) {
        results.push(
          warn(
            destinationName,
            `ACTIVE, calls ${destination.invocationEndpoint ?? "?"}`,
            "set PUBLIC_URL (or --endpoint) so doctor can check it calls this service",
          ),
        );
      } else if (connection && destination.connectionArn !== connection.arn) {
        results.push(
          fail(
            destinationName,
            `uses connection ${destination.connectionArn ?? "none"}, not ${desired.connection.name}`,
            setupAgain,
          ),
        );
      } else if (destination.invocationEndpoint !== desired.apiDestination.invocationEndpoint) {
        results.push(
          fail(
            destinationName,
            `calls ${destination.invocationEndpoint ?? "nothing"}, not ${desired.apiDestination.invocationEndpoint}`,
            `run shgov setup --endpoint ${settings.serviceUrl}`,
          ),
        );
      } else results.push(ok(destinationName, `ACTIVE, calls ${destination.invocationEndpoint}`));

      for (const rule of desired.rules) {
        const name = `eventbridge rule ${rule.name}`;
        const found = current.rules[rule.name];
        if (!found) {
          results.push(fail(name, "missing", setupAgain));
          continue;
        }
        if (found.state !== "ENABLED")
          results.push(fail(name, `state ${found.state ?? "unknown"}`, setupAgain));
        else if (!found.targets.some((target) => destination && target.arn === destination.arn)) {
          results.push(fail(name, `no target calls ${desired.apiDestination.name}`, setupAgain));
        } else results.push(ok(name, `ENABLED, target ${desired.apiDestination.name}`));
        if (found.eventPattern && patternText(found.eventPattern) !== patternText(rule.eventPattern)) {
          results.push(warn(`${name} pattern`, "differs from the one setup makes", setupAgain));
        }
        const detailTypes = (rule.eventPattern as { "detail-type": readonly string[] })["detail-type"];
        const samples = allSamples.filter((sample) => detailTypes.includes(String(sample.detailType)));
        results.push(await samplesMatch(client, name, found.eventPattern ?? "{}", samples));
      }
      return results;
    });
  } finally {
    client.destroy();
  }
}

async function samplesMatch(
  client: ReturnType<typeof createEventBridgeClient>,
  ruleName: string,
  pattern: string,
  samples: { file: string; text: string }[],
): Promise<CheckResult> {
  const name = `${ruleName} matches the sample events`;
  if (samples.length === 0) return skip(name, "no sample events for it beside this installation (examples/)");
  const missed: string[] = [];
  for (const sample of samples) {
    const command = new TestEventPatternCommand({ EventPattern: pattern, Event: sample.text });
    const answer = await awsCall("events", command, () => client.send(command));
    if (!answer.Result) missed.push(sample.file);
  }
  return missed.length === 0
    ? ok(name, `all ${samples.length} (TestEventPattern)`)
    : fail(name, `does not match ${missed.join(", ")}`, "run shgov setup: it puts the pattern back");
}
