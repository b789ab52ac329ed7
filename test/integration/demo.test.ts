import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/demo/demo.js";
import { freePort } from "../../src/demo/redis-server.js";
import { runCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/events.js";
import { SHARED_REDIS_URL } from "../support/service.js";

async function demoOutput(env: NodeJS.ProcessEnv, blockKitLinks = false): Promise<string[]> {
  const lines: string[] = [];
  await runDemo({
    out: (line) => lines.push(line),
    logger: pino({ level: "silent" }),
    baseEnv: env,
    blockKitLinks,
  });
  return lines;
}

/** The demo excerpt of README.md: the lines of its text block, without the "..." that skip some. */
function readmeExcerpt(): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const block = /```text\n(── 3\.[\s\S]*?)```/.exec(readme)?.[1] ?? "";
  return block.split("\n").filter((line) => line !== "" && line !== "...");
}

const BUILDER = "https://app.slack.com/block-kit-builder/#";
const CONSOLE_USER = "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/alice";

const STORY_FINDING =
  "arn:aws:securityhub:us-east-1:111111111111:security-control/EKS.2/finding/7c2d9e41-5a6b-4c8d-9e0f-1a2b3c4d5e01";

describe("shgov demo", () => {
  it("posts the bundled events, then tells the story of a suppressed EKS.2 finding step by step", async () => {
    const lines = await demoOutput({ REDIS_URL: SHARED_REDIS_URL });
    const text = lines.join("\n");
    // Wrapped lines joined, so that a sentence can be looked for whole.
    const flat = text.replace(/\s+/g, " ");

    // The bundled events through the real intake, and the cases at the demo's clock.
    expect(lines.filter((l) => l.startsWith("POST /events"))).toHaveLength(6);
    expect(lines.filter((l) => / 202 /.test(l))).toHaveLength(6);
    expect(text).toContain("6 cases on 2026-11-20 10:00 UTC, the demo's clock");
    expect(text).toMatch(/EKS\.2\s+HIGH\s+platform\s+breached\s+2026-10-01/);
    expect(text).toMatch(/EC2\.7\s+INFORMATIONAL\s+security\s+open\s+not tracked/);

    // One heading per step, in the story's order.
    const headings = lines.filter((l) => l.startsWith("── "));
    expect(headings.map((h) => /^── (\d+\. \S+ \S+|audit verify)/.exec(h)?.[1])).toEqual([
      "1. 2026-11-20 10:00",
      "2. 2026-12-05 10:00",
      "3. 2026-12-14 09:00",
      "4. 2026-12-14 11:00",
      "5. 2026-12-14 11:05",
      "6. 2027-02-15 09:00",
      "7. 2027-03-02 09:00",
      "8. 2027-03-05 10:00",
      "9. 2027-03-11 14:00",
      "10. 2027-03-15 12:00",
      "audit verify",
    ]);
    const inStep = (n: number) => {
      const start = lines.indexOf(headings[n - 1] as string);
      const end = lines.indexOf(headings[n] as string);
      return lines.slice(start, end).join("\n").replace(/\s+/g, " ");
    };

    // Owned by platform, awaiting an agreed date before the end of standard support of 1.35.
    expect(inStep(1)).toContain('decided case.opened: routed by rule "eks"');
    expect(inStep(1)).toMatch(
      /awaiting_date, owner platform, counterpart security, SLA due 2026-12-20, a date to agree before 2027-03-27 \(EKS 1\.35 end of standard support\)/,
    );
    // The ladder: owner, then owner and counterpart with their leads.
    // Each Slack message as Slack shows it: channel, text, case facts, buttons, a Block Kit Builder link.
    expect(inStep(1)).toContain(
      'slack to platform C0PLATFORM: :new: New case @S0PLATFORM New HIGH finding for team platform: "…"',
    );
    expect(inStep(1)).toContain("Control: EKS.2 · Severity: HIGH");
    expect(inStep(1)).toContain("[Claim] [Request exception] [Propose upgrade date] [View in AWS console]");
    // Short by default: no Block Kit Builder link without --block-kit-links, one line saying so.
    expect(text).not.toContain(BUILDER);
    expect(text).not.toContain("Block Kit Builder (once per topic");
    expect(lines).toContain(
      "Each kind of Slack message in Slack's Block Kit Builder: `shgov demo --block-kit-links`.",
    );
    expect(inStep(2)).toContain(
      "decided escalated: 50% of the SLA used slack to platform C0PLATFORM: :arrow_up: Escalated @S0PLATFORM Escalation level 1",
    );
    expect(inStep(2)).toContain("(case facts as above; now Status: awaiting_date (escalation level 1))");
    expect(inStep(2)).toContain("also to security C0SECURITY: :arrow_up: Escalated @S0SECURITY @U0SECLEAD");

    // The suppression is blocked: the revert, with its note, and the look-up of who did it.
    expect(inStep(3)).toContain(
      "decided suppression.blocked: SUPPRESSED without an approved, unexpired exception",
    );
    expect(inStep(3)).toContain(
      `calls BatchUpdateFindings FindingIdentifiers [{Id: ${STORY_FINDING}, ProductArn: arn:aws:securityhub:us-east-1::product/aws/securityhub}] Workflow.Status NOTIFIED`,
    );
    expect(inStep(3)).toContain(
      'Note.Text "securityhub-governor: suppression blocked and status set back to NOTIFIED.',
    );
    expect(inStep(3)).toContain(
      "slack to platform C0PLATFORM: :no_entry: Suppression blocked @S0PLATFORM Suppression blocked:",
    );
    expect(inStep(3)).toContain("[Request exception] [Claim] [View in AWS console]");
    expect(inStep(3)).toMatch(
      /calls GetFindingHistory \(the same finding\): a dry run does not ask, so the bot names whom the finding's note names, unconfirmed; in production UpdateSource\.Identity names the caller's ARN/,
    );
    // Who suppressed it: the same identity in the event, the audit log and the Slack message.
    expect(inStep(3)).toContain(`event Workflow.Status SUPPRESSED by ${CONSOLE_USER}, with Note`);
    expect(inStep(3)).toContain(
      `decided suppression.attributed: dry run: GetFindingHistory was not called; the finding's note names ${CONSOLE_USER}`,
    );
    expect(inStep(3)).toContain(
      `:no_entry: Suppression blocked @S0PLATFORM Suppression blocked: ${CONSOLE_USER} (named by the finding's note, not confirmed by GetFindingHistory) set "…"`,
    );
    expect(inStep(3)).not.toContain("someone the finding history does not name");

    // A date after the deadline is refused; a valid one is agreed by the counterpart.
    // Proposals go through Slack: the button, then the modal, which shows the refusal.
    expect(inStep(4)).toContain(
      'clicks U0ALICE (platform) clicks [Propose upgrade date] in platform C0PLATFORM Slack opens the modal "Propose upgrade date"; U0ALICE picks 2027-04-15',
    );
    expect(inStep(4)).toContain(
      "refused the modal stays open, its date field says: 2027-04-15 is not before the deadline 2027-03-27 (EKS 1.35 end of standard support)",
    );
    // The refusal itself is audited; nothing else is decided.
    expect(inStep(4).match(/decided/g)).toHaveLength(1);
    expect(inStep(4)).toContain("decided action.refused: 2027-04-15 is not before the deadline");
    expect(inStep(5)).toContain("[Agree to 2027-03-01] [Propose another date] [View in AWS console]");
    expect(inStep(5)).toContain(
      "clicks U0SECBOB (security) clicks [Agree to 2027-03-01] in security C0SECURITY Slack (ephemeral to U0SECBOB): The upgrade date 2027-03-01",
    );
    expect(inStep(5)).toContain("is agreed. decided date.agreed");
    expect(inStep(5)).toContain("Upgrade date agreed: 2027-03-01");
    expect(inStep(5)).toContain("date_agreed: upgrade on 2027-03-01, SLA due now 2027-03-02");
    expect(inStep(5)).toContain("the original SLA end (2026-12-20) passes, no escalation");

    // Reminders 14, 7 and 1 days before, then the breach goes to leadership.
    for (const days of [14, 7, 1]) {
      expect(inStep(6)).toContain(`decided date.reminded: ${days} day(s) before the agreed date`);
      expect(inStep(6)).toContain(`upgraded on 2027-03-01 (${days} day(s) left)`);
    }
    expect(inStep(7)).toContain("decided date.missed: the agreed upgrade date passed unresolved");
    expect(inStep(7)).toContain("decided sla.breached");
    expect(inStep(7)).toContain(
      "slack to leadership C0LEADERS: :rotating_light: Upgrade date missed @U0CISO Breach: the upgrade date 2027-03-01",
    );
    expect(inStep(7)).toContain("also to platform C0PLATFORM: :rotating_light: Upgrade date missed");

    // The good ending: agreed, then the check passes before the date.
    expect(inStep(8)).toContain("clicks U0ALICE (platform) clicks [Agree to 2027-03-26]");
    expect(inStep(8)).toContain("decided date.agreed");
    expect(inStep(9)).toContain("decided case.resolved: the check passed");
    expect(inStep(9)).toContain("case resolved: time to remediate 6 d 4 h, no timer left");

    // The weekly report of the week before Monday 09:00 in São Paulo, with the chart and the HTML file.
    expect(inStep(10)).toContain(
      "slack to security C0SECURITY: Weekly governance report all teams, 2027-03-08 to 2027-03-15 (UTC)",
    );
    expect(inStep(10)).toMatch(
      /Open cases: \d+, \d+ past due · SLA compliance: 100\.0% \(1 of 1 closed in time\)/,
    );
    expect(inStep(10)).toContain("files in its thread (files.uploadV2): governance-trend-2027-03-15.png");
    expect(inStep(10)).toContain("governance-report-2027-03-15.html");
    // 1.32 (example 05) is on extended support; 1.31 (example 01) is past its end, and said so.
    expect(inStep(10)).toContain(
      "EKS extended support: 1 cluster on extended support, $0.60/h ($360.00 extra per 30 days); 1 cluster past the end of extended support",
    );

    // The audit chain of everything above is intact.
    expect(flat).toMatch(/OK: 8 cases, \d+ events verified/);
    // Only the revert and the look-up would reach Security Hub; the output stays short.
    expect(lines.filter((l) => l.startsWith("  calls "))).toHaveLength(2);
    expect(lines.length).toBeLessThanOrEqual(240);
    // Short: at most 220 lines and 18 KB (before --block-kit-links moved the links: 228 lines, 39 KB).
    expect(lines.length).toBeLessThanOrEqual(220);
    expect(Buffer.byteLength(text)).toBeLessThan(18_000);
    // README.md's excerpt is what the demo prints, line for line.
    const excerpt = readmeExcerpt();
    expect(excerpt.length).toBeGreaterThan(20);
    expect(excerpt.filter((line) => !lines.includes(line))).toEqual([]);
  });

  it("starts a private redis-server when none answers, and with --block-kit-links prints a Builder link per topic", async () => {
    const lines = await demoOutput({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }, true);
    expect(lines[0]).toMatch(
      /^Redis: started a private redis-server on port \d+ \(none answered at redis:\/\/127\.0\.0\.1:\d+\)$/,
    );
    const text = lines.join("\n");
    expect(text).toContain("6 cases on 2026-11-20 10:00");
    expect(text).toMatch(/OK: 8 cases, \d+ events verified/);
    // One Builder link per topic, each on its own line, after the line that names its topic.
    const links = lines.filter((l) => l.trim().startsWith(BUILDER));
    const topics = lines.filter((l) => l.includes("Block Kit Builder (once per topic, here "));
    expect(links.length).toBe(new Set(topics).size);
    expect(topics.map((l) => /here ([^)]+)\)/.exec(l)?.[1])).toEqual([
      "case.opened",
      "escalated",
      "suppression.blocked",
      "date.proposed",
      "date.agreed",
      "date.reminder",
      "date.missed",
      "the weekly report",
    ]);
    expect(links.every((l) => l.trim().startsWith(`${BUILDER}%7B%22blocks%22`))).toBe(true);
    expect(lines).not.toContain(
      "Each kind of Slack message in Slack's Block Kit Builder: `shgov demo --block-kit-links`.",
    );
  });

  it("says in one line how to get Redis when there is none and no redis-server on PATH", async () => {
    // A PATH with node alone (node often sits in /usr/bin beside redis-server).
    const bin = mkdtempSync(join(tmpdir(), "shgov-path-"));
    symlinkSync(process.execPath, join(bin, "node"));
    const result = await runCli(["demo"], { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, PATH: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^shgov: no Redis at redis:\/\/127\.0\.0\.1:\d+ and no redis-server on PATH: start one with `docker compose up -d redis` or install your OS package \(apt install redis-server, brew install redis\)\n$/,
    );
  });
});
