#!/usr/bin/env node
import { Command, Option } from "commander";
import { CaseActionError } from "../app/case-actions.js";
import { ConfigError, loadEnv } from "../config/env.js";
import { DemoPrerequisiteError, runDemo } from "../demo/demo.js";
import { CASE_STATUSES, type CaseStatus } from "../engine/case.js";
import { createLogger } from "../log.js";
import { formatProblem, PolicyError } from "../policy/errors.js";
import { validatePolicyDir } from "../policy/load.js";
import { ReportRequestError } from "../report/build-report.js";
import { ReportQueryError } from "../report/report-request.js";
import { MissingSettingError, startService } from "../service.js";
import { DataDirBusyError } from "../store/data-dir-lock.js";
import { ActionRefusedError, addActionCommands } from "./action-commands.js";
import { addAuditCommand } from "./audit-command.js";
import { openCaseReader, ServiceAnswerError } from "./case-reader.js";
import { caseDetailText, casesTable } from "./format-cases.js";
import { addReportCommand, ReportOutputError } from "./report-command.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

const program = new Command()
  .name("shgov")
  .description(
    "securityhub-governor: turns AWS Security Hub findings into owned, time-boxed cases.\n" +
      "Configuration comes from the environment (see .env.example); policy from WORKFLOWS_DIR.",
  )
  .enablePositionalOptions()
  .showHelpAfterError();

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
    const service = await startService(
      env,
      {
        http: all || options.role === "http",
        worker: all || options.role === "worker",
        dispatcher: all || options.role === "dispatcher",
      },
      logger,
    );
    if (service.url) out(`shgov listening on ${service.url}`);
    const stop = async (signal: string) => {
      logger.info({ signal }, "shutting down");
      await service.close();
      process.exit(0);
    };
    process.once("SIGTERM", () => void stop("SIGTERM"));
    process.once("SIGINT", () => void stop("SIGINT"));
  });

program
  .command("demo")
  .description(
    "post the bundled example events through the real intake, then tell the story of an EKS.2 finding step by step (Security Hub in dry run)",
  )
  .action(async () => {
    const env = loadEnv();
    await runDemo({ out, logger: createLogger(env.LOG_LEVEL === "info" ? "warn" : env.LOG_LEVEL) });
  });

program
  .command("validate")
  .description("check the policy files of a directory; prints every problem, exits 1 when there is one")
  .argument("[dir]", "policy directory", process.env.WORKFLOWS_DIR || "./workflows")
  .action(async (dir: string) => {
    const { policy, problems } = await validatePolicyDir(dir);
    for (const problem of problems) process.stderr.write(`${formatProblem(problem)}\n`);
    if (!policy) {
      process.stderr.write(`${problems.length} problem${problems.length === 1 ? "" : "s"} found\n`);
      process.exitCode = 1;
      return;
    }
    out(
      `${dir}: OK (${Object.keys(policy.teams).length} teams, ${policy.routing.length} routing rules, ` +
        `${policy.escalation.length} escalation steps, ${policy.upgradeDates.length} upgrade date rules)`,
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
    const reader = await openCaseReader(loadEnv());
    try {
      const list = await reader.list({
        ...(options.owner ? { owner: options.owner } : {}),
        ...(options.status ? { status: options.status } : {}),
      });
      out(options.json ? JSON.stringify(list, null, 2) : casesTable(list));
    } finally {
      await reader.close();
    }
  });

cases
  .command("show")
  .description("print one case with its audit events")
  .argument("<id>", "the finding id")
  .option("--json", "print JSON")
  .action(async (id: string, options: { json?: boolean }) => {
    const reader = await openCaseReader(loadEnv());
    try {
      const detail = await reader.show(id);
      if (!detail) {
        process.stderr.write(`shgov: no case for finding ${id}\n`);
        process.exitCode = 1;
        return;
      }
      out(options.json ? JSON.stringify(detail, null, 2) : caseDetailText(detail));
    } finally {
      await reader.close();
    }
  });

addAuditCommand(program);
addActionCommands(program);
addReportCommand(program);

const EXPECTED_ERRORS = [
  ConfigError,
  PolicyError,
  MissingSettingError,
  DataDirBusyError,
  DemoPrerequisiteError,
  ActionRefusedError,
  CaseActionError,
  ReportQueryError,
  ReportRequestError,
  ReportOutputError,
  ServiceAnswerError,
];

program.parseAsync(process.argv).catch((error: Error) => {
  const known = EXPECTED_ERRORS.some((type) => error instanceof type);
  process.stderr.write(`shgov: ${known ? error.message : (error.stack ?? error.message)}\n`);
  process.exit(1);
});
