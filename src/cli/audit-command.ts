import { request } from "node:http";
import type { Command } from "commander";
import { type Env, loadEnv } from "../config/env.js";
import { type AuditReport, auditReportText, verifyAudit } from "../store/audit-verify.js";
import { openStore } from "../store/open.js";
import { runningService } from "./case-reader.js";

/** `shgov audit verify`: exit 0 when the audit log is intact, 1 when a problem is found. */
export function addAuditCommand(program: Command): void {
  program
    .command("audit")
    .description("check the hash-chained audit log")
    .command("verify")
    .description(
      "recompute every audit event's hash and check the chain of each case against the case's version " +
        "and audit head; prints each problem (changed, broken_link, gap, head_mismatch, orphan) with " +
        "case id and seq, exits 1 when there is one",
    )
    .option("--case <id>", "verify one case (finding id) only")
    .option("--json", "print the report as JSON")
    .action(async (options: { case?: string; json?: boolean }) => {
      const report = await runVerify(loadEnv(), options.case);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      if (options.case !== undefined && report.casesChecked === 0) {
        process.stderr.write(`shgov: no case or audit events for finding ${options.case}\n`);
        process.exitCode = 1;
        return;
      }
      if (options.json) out(JSON.stringify(report, null, 2));
      else out(auditReportText(report));
      if (!report.ok) process.exitCode = 1;
    });
}

/**
 * PostgreSQL is read directly. Embedded PGlite admits one process per data directory, so when a
 * service holds it the CLI asks that service's admin API, and opens the directory itself only
 * when nothing else does (as `shgov cases` does, see case-reader.ts).
 */
async function runVerify(env: Env, caseId: string | undefined): Promise<AuditReport> {
  const service = await runningService(env);
  if (service) return askService(service.port, service.adminToken, caseId);
  const db = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, existingOnly: true });
  try {
    return await verifyAudit(db, { caseId });
  } finally {
    await db.close();
  }
}

/** node:http rather than fetch: verifying a large log can outlast fetch's 300 s wait for headers. */
function askService(port: number, token: string, caseId: string | undefined): Promise<AuditReport> {
  const path = `/api/audit/verify${caseId === undefined ? "" : `?case=${encodeURIComponent(caseId)}`}`;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "GET", headers: { authorization: `Bearer ${token}` } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode === 200) {
            try {
              resolve(JSON.parse(text) as AuditReport);
            } catch (error) {
              reject(error);
            }
            return;
          }
          const hint =
            response.statusCode === 404 ? " (a service older than `audit verify`: restart it to use it)" : "";
          reject(new Error(`the service on port ${port} answered ${response.statusCode}${hint}: ${text}`));
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}
