import { CronExpressionParser } from "cron-parser";
import type {
  EscalationStep,
  FindingMatch,
  Policy,
  RoutingRule,
  Team,
  TeamRef,
  UpgradeDateRule,
} from "../engine/policy.js";
import type { PolicyProblem } from "./errors.js";
import { type PolicyFile, type PolicyMatch, SINGLE_SECTIONS } from "./schema.js";
import { parseDuration, parsePercent } from "./units.js";

/** A policy file that passed the schema, with the name it is reported under. */
export interface ParsedPolicyFile {
  file: string;
  content: PolicyFile;
}

const ROLE_REFS = ["owner", "counterpart"];

function compileMatch(match: PolicyMatch): FindingMatch {
  const out: FindingMatch = {};
  if (match.control_ids) out.controlIds = match.control_ids;
  if (match.severities) out.severities = match.severities;
  if (match.accounts) out.accounts = match.accounts;
  if (match.regions) out.regions = match.regions;
  if (match.resource_types) out.resourceTypes = match.resource_types;
  if (match.product_names) out.productNames = match.product_names;
  if (match.tags) out.tags = match.tags;
  return out;
}

const ms = (text: string): number => parseDuration(text) ?? Number.NaN;

/**
 * Merges the files of a policy directory and checks what a schema cannot: references to teams,
 * unique names, ordering of the escalation ladder, a catch-all route, cron and time zone.
 * Teams and list sections (routing, upgrade_dates) may be spread over files, in file-name order;
 * the other sections may be written once.
 */
export function compilePolicy(files: ParsedPolicyFile[]): {
  policy: Policy | null;
  problems: PolicyProblem[];
} {
  const problems: PolicyProblem[] = [];
  const teams: Record<string, Team> = {};
  const teamOrigin = new Map<string, string>();
  const routing: { rule: RoutingRule; file: string; index: number }[] = [];
  const upgradeDates: { rule: UpgradeDateRule; file: string; index: number }[] = [];
  const singles = new Map<(typeof SINGLE_SECTIONS)[number], string>();

  for (const { file, content } of files) {
    for (const [name, team] of Object.entries(content.teams ?? {})) {
      const first = teamOrigin.get(name);
      if (first) {
        problems.push({
          file,
          path: `teams.${name}`,
          message: `team "${name}" is already defined in ${first}`,
        });
        continue;
      }
      if (ROLE_REFS.includes(name)) {
        problems.push({ file, path: `teams.${name}`, message: `"${name}" is reserved for the case's role` });
      }
      teamOrigin.set(name, file);
      teams[name] = {
        name,
        reach: { slack: { address: team.slack_channel, group: team.slack_usergroup ?? null } },
        leads: team.leads,
        members: team.members ?? [],
      };
    }
    content.routing?.forEach((rule, index) => {
      routing.push({
        file,
        index,
        rule: {
          name: rule.name,
          match: compileMatch(rule.match),
          owner: rule.owner,
          counterpart: rule.counterpart,
        },
      });
    });
    content.upgrade_dates?.forEach((rule, index) => {
      const deadline = parseDuration(rule.must_be_before);
      upgradeDates.push({
        file,
        index,
        rule: {
          name: rule.name,
          match: compileMatch(rule.match),
          agree: rule.agree,
          mustBeBefore:
            deadline === null
              ? {
                  kind: "eks_calendar",
                  milestone: rule.must_be_before as "end_of_standard_support" | "end_of_extended_support",
                }
              : { kind: "after_first_observed", ms: deadline },
          remindBeforeMs: rule.remind_before.map(ms),
        },
      });
    });
    for (const section of SINGLE_SECTIONS) {
      if (content[section] === undefined) continue;
      const first = singles.get(section);
      if (first) problems.push({ file, path: section, message: `${section} is already defined in ${first}` });
      else singles.set(section, file);
    }
  }

  const sectionOf = <K extends (typeof SINGLE_SECTIONS)[number]>(section: K) => {
    const file = singles.get(section);
    const found = files.find((f) => f.file === file);
    return found ? { file: found.file, value: found.content[section] } : null;
  };
  const anyFile = files[0]?.file ?? "(policy)";

  const checkTeam = (file: string, path: string, name: string) => {
    if (!teams[name]) problems.push({ file, path, message: `unknown team "${name}"` });
  };
  const checkRef = (file: string, path: string, ref: TeamRef) => {
    if (!ROLE_REFS.includes(ref)) checkTeam(file, path, ref);
  };

  if (Object.keys(teams).length === 0) {
    problems.push({ file: anyFile, path: "teams", message: "no teams are defined" });
  }

  // Routing: known teams, unique names, and a catch-all so no finding is left without an owner.
  const routeNames = new Map<string, string>();
  for (const { rule, file, index } of routing) {
    const path = `routing[${index}]`;
    checkTeam(file, `${path}.owner`, rule.owner);
    checkTeam(file, `${path}.counterpart`, rule.counterpart);
    if (rule.owner === rule.counterpart) {
      problems.push({ file, path, message: "owner and counterpart must be different teams" });
    }
    const seen = routeNames.get(rule.name);
    if (seen)
      problems.push({ file, path: `${path}.name`, message: `routing rule "${rule.name}" is defined twice` });
    routeNames.set(rule.name, file);
  }
  const last = routing.at(-1);
  if (!last) {
    problems.push({ file: anyFile, path: "routing", message: "no routing rules are defined" });
  } else if (Object.keys(last.rule.match).length > 0) {
    problems.push({
      file: last.file,
      path: "routing",
      message:
        "the last routing rule must match every finding (match: {}) so that every finding gets an owner",
    });
  }

  const slas = sectionOf("slas");
  if (!slas) problems.push({ file: anyFile, path: "slas", message: "slas is required" });
  const slaMs: Policy["slaMs"] = {};
  for (const [severity, text] of Object.entries(slas?.value ?? {})) {
    slaMs[severity as keyof typeof slaMs] = ms(text);
  }

  const escalation: EscalationStep[] = [];
  const ladder = sectionOf("escalation");
  ladder?.value?.forEach((step, index) => {
    const path = `escalation[${index}]`;
    const at = parsePercent(step.at) ?? Number.NaN;
    if (!(at > 0)) problems.push({ file: ladder.file, path: `${path}.at`, message: "must be above 0%" });
    const previous = escalation.at(-1);
    if (previous && at <= previous.at) {
      problems.push({
        file: ladder.file,
        path: `${path}.at`,
        message: "steps must be in increasing order of at",
      });
    }
    step.notify.forEach((ref, i) => {
      checkRef(ladder.file, `${path}.notify[${i}]`, ref);
    });
    escalation.push({ at, notify: step.notify, mentionLeads: step.mention_leads, breach: step.breach });
  });

  const suppressionSection = sectionOf("suppression");
  const suppression: Policy["suppression"] = {
    approver: suppressionSection?.value?.approver ?? "counterpart",
    maxDurationMs: ms(suppressionSection?.value?.max_duration ?? "90d"),
    revertTo: suppressionSection?.value?.revert_to ?? "NOTIFIED",
  };
  if (suppressionSection) {
    if (suppression.approver === "owner") {
      problems.push({
        file: suppressionSection.file,
        path: "suppression.approver",
        message: "the owner cannot approve its own exceptions; use counterpart or another team",
      });
    } else {
      checkRef(suppressionSection.file, "suppression.approver", suppression.approver);
    }
  }

  const upgradeNames = new Set<string>();
  for (const { rule, file, index } of upgradeDates) {
    const path = `upgrade_dates[${index}]`;
    if (upgradeNames.has(rule.name)) {
      problems.push({
        file,
        path: `${path}.name`,
        message: `upgrade date rule "${rule.name}" is defined twice`,
      });
    }
    upgradeNames.add(rule.name);
    rule.agree.forEach((ref, i) => {
      checkRef(file, `${path}.agree[${i}]`, ref);
    });
    if (new Set(rule.agree).size !== rule.agree.length) {
      problems.push({ file, path: `${path}.agree`, message: "lists a team twice" });
    }
  }

  const notificationsSection = sectionOf("notifications");
  const notifications: Policy["notifications"] = {
    perFindingMinSeverity: notificationsSection?.value?.per_finding_min_severity ?? "HIGH",
    digestIntervalMs: ms(notificationsSection?.value?.digest_interval ?? "15m"),
  };

  const reportSection = sectionOf("report");
  const report = reportSection?.value ?? null;
  if (reportSection && report) {
    try {
      CronExpressionParser.parse(report.schedule, { tz: "UTC" });
      if (report.schedule.trim().split(/\s+/).length !== 5) throw new Error("expected 5 fields");
    } catch (error) {
      problems.push({
        file: reportSection.file,
        path: "report.schedule",
        message: `invalid cron expression "${report.schedule}": ${(error as Error).message}`,
      });
    }
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: report.timezone });
    } catch {
      problems.push({
        file: reportSection.file,
        path: "report.timezone",
        message: `unknown time zone "${report.timezone}"`,
      });
    }
  }

  if (problems.length > 0) return { policy: null, problems };
  return {
    policy: {
      teams,
      routing: routing.map((r) => r.rule),
      slaMs,
      escalation,
      suppression,
      upgradeDates: upgradeDates.map((u) => u.rule),
      notifications,
      report,
    },
    problems,
  };
}
