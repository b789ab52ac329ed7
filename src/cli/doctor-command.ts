import type { Command } from "commander";
import { loadEnv } from "../config/env.js";

/** `shgov doctor`: one line per check, exit 1 when something that matters fails. */
export function addDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description(
      "check the deployment, one line per check: Redis (reachable, noeviction, persistence), the database " +
        "and its migrations, the policy, Slack (token, scopes, the bot in every channel, every user group), " +
        "Security Hub with these credentials, and the EventBridge rule, connection and API destination " +
        "pointing at this service; exit 1 when a check fails, with what to do",
    )
    .option("--endpoint <url>", "the service's https:// base URL EventBridge must call (default: PUBLIC_URL)")
    .option("--name-prefix <prefix>", "the prefix shgov setup was given", "shgov")
    .option("--json", "print the checks as JSON")
    .action(async (options: { endpoint?: string; namePrefix: string; json?: boolean }) => {
      const env = loadEnv();
      const { runDoctor } = await import("../doctor/run-doctor.js");
      const { doctorFailed, doctorText } = await import("../doctor/check.js");
      const text = (results: Parameters<typeof doctorText>[0]) =>
        doctorText(results).split("\n").slice(0, -1);
      const results = await runDoctor(env, {
        endpoint: options.endpoint,
        namePrefix: options.namePrefix,
        progress: (group) => {
          if (!options.json) for (const line of text(group)) process.stdout.write(`${line}\n`);
        },
      });
      if (options.json)
        process.stdout.write(`${JSON.stringify({ ok: !doctorFailed(results), checks: results }, null, 2)}\n`);
      else process.stdout.write(`${doctorText(results).split("\n").at(-1)}\n`);
      if (doctorFailed(results)) process.exitCode = 1;
    });
}
