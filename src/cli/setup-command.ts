import type { Command } from "commander";
import { loadEnv } from "../config/env.js";
import { ShgovError } from "../errors.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

interface SetupCommandOptions {
  endpoint?: string;
  region?: string;
  rate?: string;
  namePrefix?: string;
  roleArn?: string;
  deadLetterArn?: string;
  rotateKey?: boolean;
  dryRun?: boolean;
  printIam?: boolean;
  accountId?: string;
}

/** `shgov setup`: the EventBridge side of a deployment, made idempotently from a printed plan. */
export function addSetupCommand(program: Command): void {
  program
    .command("setup")
    .description(
      "create or update the EventBridge resources that send Security Hub findings to this service " +
        "(a connection with the ingest key, an API destination, a rule for the findings and one for Security " +
        "Hub's update calls via CloudTrail, their targets with retries and a dead-letter queue), in the account " +
        "and region where findings arrive; prints the plan field by field and changes only what differs",
    )
    .option("--endpoint <url>", "the service's https:// base URL (default: PUBLIC_URL)")
    .option("--region <region>", "the AWS region (default: AWS_REGION)")
    .option("--rate <n>", "invocations per second EventBridge may make, 1 to 300", "300")
    .option("--role-arn <arn>", "the role EventBridge assumes to call the service (--print-iam shows it)")
    .option("--dead-letter-arn <arn>", "the SQS queue for events EventBridge gives up on")
    .option("--name-prefix <prefix>", "the first part of every resource's name", "shgov")
    .option("--rotate-key", "send INGEST_API_KEY to the connection again (EventBridge never returns it)")
    .option("--dry-run", "print the plan and change nothing")
    .option("--print-iam", "print the IAM policies setup, EventBridge and the service need, and exit")
    .option("--account-id <id>", "the account for --print-iam's ARNs (default: from --role-arn)")
    .action(async (options: SetupCommandOptions) => {
      const env = loadEnv();
      const region = options.region ?? env.AWS_REGION;
      if (options.printIam) {
        const { iamPoliciesText } = await import("../setup/iam.js");
        const accountId =
          options.accountId ?? /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(options.roleArn ?? "")?.[1];
        if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
          throw new ShgovError("setup.bad_option", "shgov setup: --account-id: expected 12 digits");
        }
        if (!region)
          throw new ShgovError("setup.no_region", "shgov setup: --region (or AWS_REGION) is required");
        if (accountId === undefined) {
          process.stderr.write("shgov: no --account-id: the ARNs below have * for the account\n");
        }
        out(
          iamPoliciesText({ region, accountId: accountId ?? "*", namePrefix: options.namePrefix ?? "shgov" }),
        );
        return;
      }
      const { parseSetupSettings } = await import("../setup/settings.js");
      const settings = parseSetupSettings({
        endpoint: options.endpoint ?? env.PUBLIC_URL,
        ratePerSecond: options.rate,
        namePrefix: options.namePrefix,
        roleArn: options.roleArn,
        deadLetterArn: options.deadLetterArn,
      });
      if (!region)
        throw new ShgovError("setup.no_region", "shgov setup: --region (or AWS_REGION) is required");
      const { runSetup } = await import("../setup/run-setup.js");
      const result = await runSetup({
        settings,
        region,
        endpoint: env.AWS_ENDPOINT_URL_EVENTBRIDGE,
        ingestKey: env.INGEST_API_KEY,
        rotateKey: options.rotateKey === true,
        dryRun: options.dryRun === true,
        out,
      });
      if (result === "applied") out("done: EventBridge now sends Security Hub findings to the service");
    });
}
