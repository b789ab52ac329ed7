import { canonicalJson } from "../lib/canonical-json.js";
import type { CurrentSetup } from "./current.js";
import type { DesiredRule, DesiredSetup } from "./desired.js";

export type PlanAction = "create" | "update" | "unchanged";

export interface FieldChange {
  field: string;
  /** Undefined when the resource does not exist yet. */
  from: string | undefined;
  to: string;
}

export interface PlannedResource {
  kind: "connection" | "api destination" | "rule" | "target";
  name: string;
  action: PlanAction;
  /** The fields that change (all of them for a create); empty when unchanged. */
  changes: FieldChange[];
}

export interface SetupPlan {
  resources: PlannedResource[];
  /** True when applying it would make no write call. */
  unchanged: boolean;
}

export interface PlanOptions {
  /** Send the ingest key again: EventBridge never returns it, so it cannot be compared. */
  rotateKey: boolean;
}

type Fields = Record<string, string>;

const KEY_VALUE_FIELD = "api key value";

/** How the plan names a rule's target. */
export function targetName(rule: Pick<DesiredRule, "name" | "target">): string {
  return `${rule.target.id} on ${rule.name}`;
}

/** True when applying the plan sends the ingest key: the connection is created, or its key sent again. */
export function sendsKey(plan: SetupPlan): boolean {
  return plan.resources.some(
    (resource) =>
      resource.kind === "connection" &&
      (resource.action === "create" || resource.changes.some((change) => change.field === KEY_VALUE_FIELD)),
  );
}

function planResource(
  kind: PlannedResource["kind"],
  name: string,
  current: Fields | null,
  desired: Fields,
): PlannedResource {
  const changes: FieldChange[] = [];
  for (const [field, to] of Object.entries(desired)) {
    const from = current?.[field];
    if (current === null || from !== to) changes.push({ field, from, to });
  }
  const action: PlanAction = current === null ? "create" : changes.length > 0 ? "update" : "unchanged";
  return { kind, name, action, changes };
}

const text = (value: string | number | undefined): string => (value === undefined ? "(none)" : String(value));

/** A pattern as JSON with sorted keys, so that key order and spacing are no difference. */
export function patternText(pattern: unknown): string {
  if (typeof pattern !== "string") return canonicalJson(pattern);
  try {
    return canonicalJson(JSON.parse(pattern));
  } catch {
    return pattern;
  }
}

/**
 * Field by field, what differs between the account and what setup wants. Pure: reading the account
 * and writing to it happen elsewhere (current-setup.ts, apply-setup.ts).
 */
export function planSetup(current: CurrentSetup, desired: DesiredSetup, options: PlanOptions): SetupPlan {
  const resources: PlannedResource[] = [];
  const connection = desired.connection;
  const connectionPlan = planResource(
    "connection",
    connection.name,
    current.connection && {
      description: text(current.connection.description),
      "authorization type": text(current.connection.authorizationType),
      "api key header": text(current.connection.apiKeyName),
    },
    {
      description: connection.description,
      "authorization type": connection.authorizationType,
      "api key header": connection.apiKeyName,
    },
  );
  // Another authorization type has no API key to keep: switching sends one, as --rotate-key does.
  const switchesType = connectionPlan.changes.some((change) => change.field === "authorization type");
  if ((options.rotateKey || switchesType) && current.connection) {
    connectionPlan.changes.push({ field: KEY_VALUE_FIELD, from: "(not readable)", to: "INGEST_API_KEY" });
    connectionPlan.action = "update";
  }
  resources.push(connectionPlan);

  const destination = desired.apiDestination;
  const connectionArn = current.connection?.arn ?? `(connection ${connection.name}, new)`;
  resources.push(
    planResource(
      "api destination",
      destination.name,
      current.apiDestination && {
        description: text(current.apiDestination.description),
        endpoint: text(current.apiDestination.invocationEndpoint),
        "http method": text(current.apiDestination.httpMethod),
        "invocations per second": text(current.apiDestination.ratePerSecond),
        connection: text(current.apiDestination.connectionArn),
      },
      {
        description: destination.description,
        endpoint: destination.invocationEndpoint,
        "http method": destination.httpMethod,
        "invocations per second": String(destination.ratePerSecond),
        connection: connectionArn,
      },
    ),
  );

  const destinationArn = current.apiDestination?.arn ?? `(api destination ${destination.name}, new)`;
  for (const rule of desired.rules) resources.push(...planRule(current, rule, destinationArn));
  return { resources, unchanged: resources.every((resource) => resource.action === "unchanged") };
}

function planRule(current: CurrentSetup, rule: DesiredRule, destinationArn: string): PlannedResource[] {
  const existing = current.rules[rule.name] ?? null;
  const rulePlan = planResource(
    "rule",
    rule.name,
    existing && {
      description: text(existing.description),
      "event pattern": existing.eventPattern === undefined ? "(none)" : patternText(existing.eventPattern),
      state: text(existing.state),
    },
    { description: rule.description, "event pattern": patternText(rule.eventPattern), state: rule.state },
  );
  const target = existing?.targets.find((candidate) => candidate.id === rule.target.id) ?? null;
  const targetPlan = planResource(
    "target",
    targetName(rule),
    target && {
      destination: text(target.arn),
      role: text(target.roleArn),
      "retry attempts": text(target.maximumRetryAttempts),
      "maximum event age (s)": text(target.maximumEventAgeInSeconds),
      "dead-letter queue": text(target.deadLetterArn),
      "input changed by": target.inputOverrides.length > 0 ? target.inputOverrides.join(", ") : "(none)",
    },
    {
      destination: destinationArn,
      role: rule.target.roleArn,
      "retry attempts": String(rule.target.maximumRetryAttempts),
      "maximum event age (s)": String(rule.target.maximumEventAgeInSeconds),
      "dead-letter queue": rule.target.deadLetterArn,
      // The service reads the event as EventBridge sends it: nothing may rewrite the body.
      "input changed by": "(none)",
    },
  );
  return [rulePlan, targetPlan];
}

/** The plan for people: one line per resource, then one per changed field, then the totals. */
export function planText(plan: SetupPlan): string {
  const lines: string[] = [];
  for (const resource of plan.resources) {
    lines.push(`${resource.kind} ${resource.name}: ${resource.action}`);
    for (const change of resource.changes) {
      lines.push(
        resource.action === "create"
          ? `    ${change.field}: ${change.to}`
          : `    ${change.field}: ${change.from ?? "(none)"} -> ${change.to}`,
      );
    }
  }
  const count = (action: PlanAction) =>
    plan.resources.filter((resource) => resource.action === action).length;
  lines.push(`${count("create")} to create, ${count("update")} to update, ${count("unchanged")} unchanged`);
  return lines.join("\n");
}
