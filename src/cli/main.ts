#!/usr/bin/env node
import { existsSync, readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { dropEmptyAwsVariables, loadEnv, loadEnvFile } from "../config/env.js";
import { CASE_STATUSES, type CaseStatus } from "../engine/case.js";
import { ShgovError } from "../errors.js";
import { createLogger, flushAndExit } from "../log.js";
import { formatProblem } from "../policy/errors.js";
import { validatePolicyDir } from "../policy/load.js";
import { addActionCommands } from "./action-commands.js";
import { addAuditCommand } from "./audit-command.js";
import { openCaseReader } from "./case-reader.js";
import { addDoctorCommand } from "./doctor-command.js";
import { caseDetailText, casesTable } from "./format-cases.js";
import { addReportCommand } from "./report-command.js";
import { addSetupCommand } from "./setup-command.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("shgov")
  .description(
    "securityhub-governor: turns AWS Security Hub findings into owned, time-boxed cases.\n" +
      "Configuration comes from the environment and ./.env (see .env.example); policy from WORKFLOWS_DIR.",
  )
  .version(version, "-V, --version", "print the version")
  // Not --env-file: Node 24 itself looks for a file named after --env-file anywhere in argv.
  .option("--dotenv <path>", "read settings from this file instead of ./.env (the environment wins)")
  .enablePositionalOptions()
  .showHelpAfterError("(shgov --help lists the commands)");

// Settings from .env (or --env-file) before any command reads the environment.
program.hook("preAction", () => {
  const file = loadEnvFile(program.opts<{ dotenv?: string }>().dotenv, existsSync);
  dropEmptyAwsVariables();
  if (file && file !== ".env") process.stderr.write(`shgov: settings read from ${file}\n`);
});

program
  .command("serve")
  .description(
    "run the service: POST /events intake, Slack (/slack/events), health checks, the findings worker, the timer sweep, the Security Hub and Slack dispatchers, and the weekly report",
  )
  .addOption(
    new Option(
      "--role <role>",
      "run only part of the service (http: intake, Slack and API; worker: findings and timers; dispatcher: Security Hub calls, Slack messages, digests and the weekly report, one per deployment)",
    )
      .choices(["all", "http", "worker", "dispatcher"])
      .default("all"),
  )
  .action(async (options: { role: "all" | "http" | "worker" | "dispatcher" }) => {
    const env = loadEnv();
    const logger = createLogger(env.LOG_LEVEL);
    const all = options.role === "all";
    if (!all && !env.DATABASE_URL) {
      // Embedded PGlite is one process's: no other role could ever work on its data.
      throw new ShgovError(
        "role.needs_postgres",
        `--role ${options.role} needs PostgreSQL (DATABASE_URL): with embedded PGlite one process holds DATA_DIR, so nothing else would ${options.role === "http" ? "process the events it accepts" : "accept events"}; run --role all, or set DATABASE_URL`,
      );
    }
    // Loaded when needed: the service brings Bolt, BullMQ and the AWS SDK, which no other command uses.
    const { startService } = await import("../service.js");
    const service = await startService(
      env,
      {
        http: all || options.role === "http",
        worker: all || options.role === "worker",
        dispatcher: all || options.role === "dispatcher",
      },
      logger,
    );
    if (service.listening) {
      const local = service.listening.startsWith("127.") ? "" : ` (${service.url} from this machine)`;
      out(`shgov listening on ${service.listening}${local}`);
    }
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting now");
        return flushAndExit(logger, 1);
      }
      stopping = true;
      const timeoutMs = env.SHUTDOWN_TIMEOUT_MS;
      logger.info({ signal, timeoutMs }, `shutting down (at most ${timeoutMs / 1000} s)`);
      const { unfinished } = await service.close({ timeoutMs });
      if (unfinished.length > 0) {
        logger.error(
          { unfinished },
          `shutdown took longer than SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms): exiting with ${unfinished.join(", ")} still closing; their work is redelivered`,
        );
        return flushAndExit(logger, 1);
      }
      logger.info("stopped");
      return flushAndExit(logger, 0);
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
  });

program
  .command("demo")
  .description(
    "post the bundled example events through the real intake, then tell the story of an EKS.2 finding step by step (Security Hub in dry run)",
  )
  .option("--block-kit-links", "also print a Block Kit Builder link per kind of Slack message")
  .action(async (flags: { blockKitLinks?: boolean }) => {
    const env = loadEnv();
    const { runDemo } = await import("../demo/demo.js");
    await runDemo({ ...flags, out, logger: createLogger(env.LOG_LEVEL === "info" ? "warn" : env.LOG_LEVEL) });
  });

program
  .command("validate")
  .description("check the policy files of a directory; prints every problem, exits 1 when there is one")
  .argument("[dir]", "policy directory (default: WORKFLOWS_DIR, else ./workflows)")
  .action(async (given: string | undefined) => {
    // Read here, not when the command is defined: .env is loaded just before the action.
    const dir = given ?? (process.env.WORKFLOWS_DIR || "./workflows");
    const { policy, problems } = await validatePolicyDir(dir);
    for (const problem of problems) process.stderr.write(`${formatProblem(problem)}\n`);
    if (!policy) {
      process.stderr.write(`${problems.length} problem${problems.length === 1 ? "" : "s"} found\n`);
      process.exitCode = 1;
      return;
    }
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
    out(
      `${dir}: OK (${count(Object.keys(policy.teams).length, "team")}, ${count(policy.routing.length, "routing rule")}, ` +
        `${count(policy.escalation.length, "escalation step")}, ${count(policy.upgradeDates.length, "upgrade date rule")})`,
    );
  });

const cases = program
  .command("cases")
  .description("list cases (finding, control, severity, owner, status, SLA due)")
  // `cases show ID --json`: options after `show` belong to `show`.
  .enablePositionalOptions()
  .option("--json", "print JSON")
  .option("--owner <team>", "only cases owned by this team")
  .addOption(new Option("--status <status>", "only cases in this status").choices([...CASE_STATUSES]))
  .action(async (options: { json?: boolean; owner?: string; status?: CaseStatus }) => {
    const env = loadEnv();
    const reader = await openCaseReader(env);
    try {
      const list = await reader.list({
        ...(options.owner ? { owner: options.owner } : {}),
        ...(options.status ? { status: options.status } : {}),
      });
      // "no cases" for a misspelt team would look like good news: an unknown team is named.
      if (list.length === 0 && options.owner) await checkTeamKnown(options.owner, env.WORKFLOWS_DIR);
      out(options.json ? JSON.stringify(list, null, 2) : casesTable(list));
    } finally {
      await reader.close();
    }
  });

cases
  .command("show")
  .description("print one case with its audit events")
  .argument("<id>", "the case id (SHG-42) or the finding id")
  .option("--json", "print JSON")
  .action(async (id: string, options: { json?: boolean }) => {
    const reader = await openCaseReader(loadEnv());
    try {
      const detail = await reader.show(id);
      if (!detail) {
        process.stderr.write(`shgov: no case ${id}\n`);
        process.exitCode = 1;
        return;
      }
      out(options.json ? JSON.stringify(detail, null, 2) : caseDetailText(detail));
    } finally {
      await reader.close();
    }
  });

/** A team the policy does not define (and no case has) is a mistake, not an empty list. */
async function checkTeamKnown(team: string, workflowsDir: string): Promise<void> {
  const { policy } = await validatePolicyDir(workflowsDir);
  // Without a readable policy there is nothing to check against; the empty list stands.
  if (!policy || team in policy.teams) return;
  throw new ShgovError(
    "team.unknown",
    `unknown team "${team}": the policy in ${workflowsDir} defines ${Object.keys(policy.teams).join(", ")}`,
  );
}

addAuditCommand(program);
addActionCommands(program);
addReportCommand(program);
addSetupCommand(program);
addDoctorCommand(program);

/**
 * `shgov nosuch --help` would print the root help and exit 0 (commander reads --help first):
 * an unknown command is named, with commander's "did you mean", and exits 1.
 */
function argvForUnknownCommand(argv: string[]): string[] {
  const args = argv.slice(2);
  let index = 0;
  while (index < args.length && args[index]?.startsWith("-")) index += args[index] === "--dotenv" ? 2 : 1;
  const first = args[index];
  if (first === undefined) return argv;
  const known = program.commands.flatMap((command) => [command.name(), ...command.aliases()]);
  if (known.includes(first) || first === "help") return argv;
  return [...argv.slice(0, 2), ...args.filter((arg) => arg !== "--help" && arg !== "-h")];
}

program.parseAsync(argvForUnknownCommand(process.argv)).catch((error: Error) => {
  // Every error the CLI can name is a ShgovError (a stable code and a message for people).
  if (error instanceof ShgovError) process.stderr.write(`shgov: ${error.message}\n`);
  else if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? "")) {
    process.stderr.write(`shgov: ${error.stack ?? error.message}\n`);
  } else {
    // Not a mistake the CLI knows how to name: one line, and the stack at debug level.
    process.stderr.write(`shgov: unexpected error: ${error.message} (LOG_LEVEL=debug shows where)\n`);
  }
  process.exit(1);
});
