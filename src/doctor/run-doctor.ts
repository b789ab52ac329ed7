import type { Env } from "../config/env.js";
import { validatePolicyDir } from "../policy/load.js";
import { eventBridgeChecks, securityHubChecks } from "./aws-checks.js";
import { type CheckResult, fail, ok } from "./check.js";
import { redisChecks } from "./redis-checks.js";
import { slackChecks } from "./slack-checks.js";
import { storeChecks } from "./store-checks.js";

export interface DoctorOptions {
  /** The service's https base URL the API destination must call; PUBLIC_URL by default. */
  endpoint: string | undefined;
  namePrefix: string;
  /** Each group of checks as it finishes, so a slow one does not hide the others. */
  progress: (results: CheckResult[]) => void;
}

/** Every check, in the order a deployment depends on them; each group's results as they come. */
export async function runDoctor(env: Env, options: DoctorOptions): Promise<CheckResult[]> {
  const all: CheckResult[] = [];
  const report = (results: CheckResult[]) => {
    all.push(...results);
    options.progress(results);
  };
  report(await redisChecks(env.REDIS_URL));
  report(await storeChecks(env.DATABASE_URL, env.DATA_DIR));
  const { policy, problems } = await validatePolicyDir(env.WORKFLOWS_DIR);
  report([
    policy && problems.length === 0
      ? ok("policy", `${env.WORKFLOWS_DIR}: ${Object.keys(policy.teams).length} teams`)
      : fail(
          "policy",
          `${env.WORKFLOWS_DIR}: ${problems.length} problems`,
          `run shgov validate ${env.WORKFLOWS_DIR}`,
        ),
  ]);
  report(await slackChecks({ token: env.SLACK_BOT_TOKEN, slackApiUrl: env.SLACK_API_URL }, policy ?? null));
  const aws = {
    region: env.AWS_REGION,
    securityHubEndpoint: env.AWS_ENDPOINT_URL_SECURITYHUB,
    eventBridgeEndpoint: env.AWS_ENDPOINT_URL_EVENTBRIDGE,
    securityHubDryRun: env.SECURITYHUB_DRY_RUN,
    serviceUrl: options.endpoint ?? env.PUBLIC_URL,
    namePrefix: options.namePrefix,
  };
  report(await securityHubChecks(aws));
  report(await eventBridgeChecks(aws));
  return all;
}
