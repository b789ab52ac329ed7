import type { Report, TeamFigures } from "../../src/report/model.js";

const DAY_MS = 86_400_000;

/**
 * A title as it could arrive from a Security Hub finding: it opens with `=` (a spreadsheet formula),
 * carries markup, a pipe (a Markdown table separator), a comma and quotes (CSV delimiters).
 */
export const HOSTILE_TITLE =
  '=HYPERLINK("https://evil.example","x") <script>alert(1)</script> | port 22, "open"';

const platform: TeamFigures = {
  team: "platform",
  open: {
    total: 17,
    bySeverity: { INFORMATIONAL: 1, LOW: 3, MEDIUM: 6, HIGH: 5, CRITICAL: 2 },
    byAge: { "0-7d": 4, "7-30d": 5, "30-90d": 4, "90-180d": 3, "180d+": 1 },
    byStatus: { open: 9, excepted: 2, awaiting_date: 3, date_agreed: 2, breached: 1 },
  },
  opened: 6,
  reopened: 1,
  closed: 8,
  sla: { closedWithDeadline: 7, closedWithinSla: 6, compliance: 6 / 7, openPastDue: 3 },
  timeToRemediate: [
    { severity: "CRITICAL", count: 1, meanMs: 2.5 * DAY_MS, medianMs: 2.5 * DAY_MS },
    { severity: "HIGH", count: 3, meanMs: 9.25 * DAY_MS, medianMs: 8 * DAY_MS },
    { severity: "MEDIUM", count: 3, meanMs: 21.04 * DAY_MS, medianMs: 19.5 * DAY_MS },
    { severity: "INFORMATIONAL", count: 1, meanMs: 40 * DAY_MS, medianMs: 40 * DAY_MS },
  ],
  breaches: 2,
  escalationsByLevel: [
    { level: 1, count: 4 },
    { level: 2, count: 2 },
    { level: 3, count: 1 },
  ],
  suppressionsBlocked: 3,
  exceptions: { approved: 2, rejected: 1, expired: 0, expiringSoon: 1 },
  upgradeDates: { agreed: 2, missing: 3, missed: 1 },
};

const security: TeamFigures = {
  team: "security",
  open: {
    total: 8,
    bySeverity: { INFORMATIONAL: 0, LOW: 2, MEDIUM: 3, HIGH: 2, CRITICAL: 1 },
    byAge: { "0-7d": 3, "7-30d": 2, "30-90d": 2, "90-180d": 1, "180d+": 0 },
    byStatus: { open: 6, excepted: 1, awaiting_date: 0, date_agreed: 0, breached: 1 },
  },
  opened: 4,
  reopened: 0,
  closed: 5,
  sla: { closedWithDeadline: 5, closedWithinSla: 5, compliance: 1, openPastDue: 1 },
  timeToRemediate: [
    { severity: "HIGH", count: 2, meanMs: 6.5 * DAY_MS, medianMs: 6.5 * DAY_MS },
    { severity: "MEDIUM", count: 2, meanMs: 15 * DAY_MS, medianMs: 15 * DAY_MS },
    { severity: "LOW", count: 1, meanMs: 30.2 * DAY_MS, medianMs: 30.2 * DAY_MS },
  ],
  breaches: 1,
  escalationsByLevel: [{ level: 1, count: 2 }],
  suppressionsBlocked: 2,
  exceptions: { approved: 1, rejected: 0, expired: 1, expiringSoon: 1 },
  upgradeDates: { agreed: 0, missing: 0, missed: 0 },
};

const overall: TeamFigures = {
  team: null,
  open: {
    total: 25,
    bySeverity: { INFORMATIONAL: 1, LOW: 5, MEDIUM: 9, HIGH: 7, CRITICAL: 3 },
    byAge: { "0-7d": 7, "7-30d": 7, "30-90d": 6, "90-180d": 4, "180d+": 1 },
    byStatus: { open: 15, excepted: 3, awaiting_date: 3, date_agreed: 2, breached: 2 },
  },
  opened: 10,
  reopened: 1,
  closed: 13,
  sla: { closedWithDeadline: 12, closedWithinSla: 11, compliance: 11 / 12, openPastDue: 4 },
  timeToRemediate: [
    { severity: "CRITICAL", count: 1, meanMs: 2.5 * DAY_MS, medianMs: 2.5 * DAY_MS },
    { severity: "HIGH", count: 5, meanMs: 8.15 * DAY_MS, medianMs: 7 * DAY_MS },
    { severity: "MEDIUM", count: 5, meanMs: 18.624 * DAY_MS, medianMs: 17 * DAY_MS },
    { severity: "LOW", count: 1, meanMs: 30.2 * DAY_MS, medianMs: 30.2 * DAY_MS },
    { severity: "INFORMATIONAL", count: 1, meanMs: 40 * DAY_MS, medianMs: 40 * DAY_MS },
  ],
  breaches: 3,
  escalationsByLevel: [
    { level: 1, count: 6 },
    { level: 2, count: 2 },
    { level: 3, count: 1 },
  ],
  suppressionsBlocked: 5,
  exceptions: { approved: 3, rejected: 1, expired: 1, expiringSoon: 2 },
  upgradeDates: { agreed: 2, missing: 3, missed: 1 },
};

const ALICE =
  "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c/alice@example.com";
const CI_ROLE = "arn:aws:iam::222222222222:role/ci-deployer";

/**
 * A week of two teams (platform, security): every list filled, two trend weeks without SLA
 * closures. Each call gets its own copy: tests change the report they are given, and test files
 * share a worker's modules (isolate: false), so a shared team object would leak into the next file.
 */
export function sampleReport(): Report {
  return structuredClone({
    generatedAt: "2026-11-23T07:00:12.345Z",
    period: { since: "2026-11-16T00:00:00.000Z", until: "2026-11-23T00:00:00.000Z" },
    team: null,
    overall,
    teams: [platform, security],
    suppressionsBlocked: {
      total: 5,
      items: [
        {
          caseId: "case-0001",
          caseRef: "SHG-1",
          title: HOSTILE_TITLE,
          team: "platform",
          accountId: "111111111111",
          blockedAt: "2026-11-17T09:12:00.000Z",
          suppressedBy: ALICE,
        },
        {
          caseId: "case-0002",
          caseRef: "SHG-2",
          title: "EKS clusters should run on a supported Kubernetes version",
          team: "platform",
          accountId: "111111111111",
          blockedAt: "2026-11-18T14:40:00.000Z",
          suppressedBy: ALICE,
        },
        {
          caseId: "case-0003",
          caseRef: "SHG-3",
          title: "S3 general purpose buckets should block public access",
          team: "platform",
          accountId: "111111111111",
          blockedAt: "2026-11-19T08:05:00.000Z",
          suppressedBy: ALICE,
        },
        {
          caseId: "case-0004",
          caseRef: "SHG-4",
          title: "IAM root user access key should not exist",
          team: "security",
          accountId: "222222222222",
          blockedAt: "2026-11-20T16:30:00.000Z",
          suppressedBy: CI_ROLE,
        },
        {
          caseId: "case-0005",
          caseRef: "SHG-5",
          title: "GuardDuty should be enabled",
          team: "security",
          accountId: "222222222222",
          blockedAt: "2026-11-22T23:59:00.000Z",
          suppressedBy: null,
        },
      ],
      byActor: [
        { actor: ALICE, count: 3 },
        { actor: CI_ROLE, count: 1 },
        { actor: "unknown", count: 1 },
      ],
    },
    exceptionsExpiring: {
      total: 2,
      items: [
        {
          caseId: "case-0010",
          caseRef: "SHG-10",
          title: "ECR private repositories should have image scanning configured",
          team: "platform",
          exceptionId: "EXC-7",
          requestedBy: "U0ALICE",
          approvedBy: "U0SAM",
          expiresAt: "2026-11-30T00:00:00.000Z",
        },
        {
          caseId: "case-0011",
          caseRef: "SHG-11",
          title: "CloudTrail should be enabled and configured with at least one multi-Region trail",
          team: "security",
          exceptionId: "EXC-9",
          requestedBy: "U0SAM",
          approvedBy: "U0PAT",
          expiresAt: "2026-12-05T12:00:00.000Z",
        },
      ],
    },
    upgradeDatesMissing: {
      total: 3,
      items: [
        {
          caseId: "case-0020",
          caseRef: "SHG-20",
          title: "EKS clusters should run on a supported Kubernetes version",
          team: "platform",
          resourceId: "arn:aws:eks:us-east-1:111111111111:cluster/prod",
          eksVersion: "1.31",
          deadline: "2026-11-20T00:00:00.000Z",
          daysLeft: -3,
        },
        {
          caseId: "case-0021",
          caseRef: "SHG-21",
          title: "EKS clusters should run on a supported Kubernetes version",
          team: "platform",
          resourceId: "arn:aws:eks:eu-west-1:111111111111:cluster/staging",
          eksVersion: "1.32",
          deadline: "2026-12-05T00:00:00.000Z",
          daysLeft: 12,
        },
        {
          caseId: "case-0022",
          caseRef: "SHG-22",
          title: "Lambda functions should use supported runtimes",
          team: "platform",
          resourceId: null,
          eksVersion: null,
          deadline: null,
          daysLeft: null,
        },
      ],
    },
    extendedSupport: {
      clusters: 3,
      clustersPastExtendedSupport: 1,
      byVersion: [
        {
          version: "1.30",
          clusters: 1,
          endOfStandardSupport: "2025-07-23",
          endOfExtendedSupport: "2026-07-23",
          pastExtendedSupport: true,
        },
        {
          version: "1.31",
          clusters: 1,
          endOfStandardSupport: "2025-11-26",
          endOfExtendedSupport: "2026-11-26",
          pastExtendedSupport: false,
        },
        {
          version: "1.32",
          clusters: 2,
          endOfStandardSupport: "2026-03-23",
          endOfExtendedSupport: "2027-03-23",
          pastExtendedSupport: false,
        },
      ],
      usdPerHour: 1.8,
      standardUsdPerHour: 0.3,
      extraUsdPer30Days: 1080,
      hoursInPeriod: 504,
      costInPeriodUsd: 302.4,
      extraInPeriodUsd: 252,
    },
    trend: [
      {
        weekEnding: "2026-10-05T00:00:00.000Z",
        open: 31,
        closedWithDeadline: 4,
        closedWithinSla: 3,
        compliance: 0.75,
      },
      {
        weekEnding: "2026-10-12T00:00:00.000Z",
        open: 33,
        closedWithDeadline: 0,
        closedWithinSla: 0,
        compliance: null,
      },
      {
        weekEnding: "2026-10-19T00:00:00.000Z",
        open: 30,
        closedWithDeadline: 5,
        closedWithinSla: 3,
        compliance: 0.6,
      },
      {
        weekEnding: "2026-10-26T00:00:00.000Z",
        open: 28,
        closedWithDeadline: 6,
        closedWithinSla: 5,
        compliance: 5 / 6,
      },
      {
        weekEnding: "2026-11-02T00:00:00.000Z",
        open: 29,
        closedWithDeadline: 0,
        closedWithinSla: 0,
        compliance: null,
      },
      {
        weekEnding: "2026-11-09T00:00:00.000Z",
        open: 27,
        closedWithDeadline: 3,
        closedWithinSla: 3,
        compliance: 1,
      },
      {
        weekEnding: "2026-11-16T00:00:00.000Z",
        open: 26,
        closedWithDeadline: 8,
        closedWithinSla: 6,
        compliance: 0.75,
      },
      {
        weekEnding: "2026-11-23T00:00:00.000Z",
        open: 25,
        closedWithDeadline: 12,
        closedWithinSla: 11,
        compliance: 11 / 12,
      },
    ],
  } satisfies Report);
}
