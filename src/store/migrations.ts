import type { Database } from "./database.js";

/**
 * Schema changes, applied in order and recorded in schema_migrations. Append only: a released
 * migration is never edited.
 */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "findings, observations, cases, audit events, dead letters",
    sql: `
      CREATE TABLE findings (
        id               text PRIMARY KEY,
        product_arn      text NOT NULL,
        format           text NOT NULL,
        updated_at       timestamptz NOT NULL,
        processed_at     timestamptz,
        finding          jsonb NOT NULL,
        raw              jsonb NOT NULL,
        stored_at        timestamptz NOT NULL
      );

      -- One row per distinct version of a finding that intake accepted: the idempotency key
      -- that makes redelivered events harmless.
      CREATE TABLE observations (
        key          text PRIMARY KEY,
        finding_id   text NOT NULL,
        event_id     text NOT NULL,
        detail_type  text NOT NULL,
        stale        boolean NOT NULL,
        received_at  timestamptz NOT NULL
      );
      CREATE INDEX observations_finding_id ON observations (finding_id);

      CREATE TABLE cases (
        id                text PRIMARY KEY,
        control_id        text,
        severity          text NOT NULL,
        title             text NOT NULL,
        account_id        text NOT NULL,
        region            text NOT NULL,
        resource_id       text,
        owner_team        text NOT NULL,
        counterpart_team  text NOT NULL,
        status            text NOT NULL,
        sla_due_at        timestamptz,
        next_due_at       timestamptz,
        opened_at         timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL,
        version           integer NOT NULL,
        audit_head        text NOT NULL,
        state             jsonb NOT NULL
      );
      CREATE INDEX cases_owner_status ON cases (owner_team, status);
      CREATE INDEX cases_status_sla ON cases (status, sla_due_at);
      CREATE INDEX cases_next_due ON cases (next_due_at) WHERE next_due_at IS NOT NULL;

      -- Append-only; each row's hash covers its content and the previous row's hash of the same case.
      CREATE TABLE audit_events (
        id         bigserial PRIMARY KEY,
        case_id    text NOT NULL,
        seq        integer NOT NULL,
        type       text NOT NULL,
        actor      text NOT NULL,
        at         timestamptz NOT NULL,
        reason     text,
        data       jsonb NOT NULL,
        prev_hash  text,
        hash       text NOT NULL,
        UNIQUE (case_id, seq)
      );
      CREATE INDEX audit_events_type_at ON audit_events (type, at);

      CREATE TABLE dead_letters (
        id            bigserial PRIMARY KEY,
        received_at   timestamptz NOT NULL,
        source        text NOT NULL,
        reason        text NOT NULL,
        errors        jsonb NOT NULL,
        content_type  text,
        body          text NOT NULL,
        body_bytes    integer NOT NULL,
        truncated     boolean NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: "outbox",
    sql: `
      -- Effects the engine decided, written in the same transaction as their events and delivered
      -- by the dispatchers. key = case id, case version and position: a redelivered input cannot add a row twice.
      CREATE TABLE outbox (
        id            bigserial PRIMARY KEY,
        key           text NOT NULL UNIQUE,
        case_id       text NOT NULL,
        kind          text NOT NULL,
        payload       jsonb NOT NULL,
        status        text NOT NULL,
        attempts      integer NOT NULL DEFAULT 0,
        available_at  timestamptz NOT NULL,
        created_at    timestamptz NOT NULL,
        done_at       timestamptz,
        last_error    text
      );
      CREATE INDEX outbox_pending ON outbox (kind, available_at) WHERE status = 'pending';
      CREATE INDEX outbox_case ON outbox (case_id);
    `,
  },
  {
    version: 3,
    name: "slack messages",
    sql: `
      -- One row per notify effect and channel posted to, written right after each chat.postMessage:
      -- a row delivered again after a crash skips the channels it already reached. channel is the
      -- channel the message was addressed to; channel_id and ts are Slack's answer, for chat.update.
      CREATE TABLE slack_messages (
        outbox_id   bigint NOT NULL,
        channel     text NOT NULL,
        channel_id  text NOT NULL,
        ts          text NOT NULL,
        case_id     text NOT NULL,
        topic       text NOT NULL,
        posted_at   timestamptz NOT NULL,
        PRIMARY KEY (outbox_id, channel)
      );
      CREATE INDEX slack_messages_case ON slack_messages (case_id);
    `,
  },
  {
    version: 4,
    name: "slack digests",
    sql: `
      -- One row per team: the digest of cases below the per-finding threshold covered the cases
      -- opened up to covered_until. Written right after a successful chat.postMessage; a failed post
      -- leaves it, so the next run covers the same cases again. ts is Slack's answer.
      CREATE TABLE slack_digests (
        team           text PRIMARY KEY,
        covered_until  timestamptz NOT NULL,
        posted_at      timestamptz NOT NULL,
        ts             text
      );
      -- The digest's range query: a team's cases by the time they were opened.
      CREATE INDEX cases_owner_opened ON cases (owner_team, opened_at);
    `,
  },
  {
    version: 5,
    name: "report runs",
    sql: `
      -- One row per scheduled report period: claimed by the instance that posts it, posted once.
      -- period_key is the scheduled instant (ISO) the run reports up to. report is the report as
      -- built on the first attempt (a retry posts the same figures). token makes the link to the
      -- stored HTML report unguessable.
      CREATE TABLE report_runs (
        period_key   text PRIMARY KEY,
        since        timestamptz NOT NULL,
        until        timestamptz NOT NULL,
        channel      text NOT NULL,
        status       text NOT NULL,
        attempts     integer NOT NULL DEFAULT 1,
        claimed_at   timestamptz NOT NULL,
        claimed_by   text NOT NULL,
        token        text NOT NULL UNIQUE,
        report       jsonb,
        html         text,
        posted_at    timestamptz,
        ts           text,
        file_ids     jsonb,
        last_error   text
      );
      -- What the report asks of open cases, as columns: reading it from state would detoast every
      -- case's JSON. saveCases keeps them; existing cases are filled in from their state here.
      ALTER TABLE cases ADD COLUMN upgrade_deadline timestamptz;
      ALTER TABLE cases ADD COLUMN upgrade_date_agreed boolean;
      ALTER TABLE cases ADD COLUMN eks_version text;
      ALTER TABLE cases ADD COLUMN exception_expires_at timestamptz;
      UPDATE cases SET
        upgrade_deadline = (state->'upgrade'->>'deadline')::timestamptz,
        upgrade_date_agreed = CASE WHEN jsonb_typeof(state->'upgrade') = 'object'
                                   THEN jsonb_typeof(state->'upgrade'->'agreed') = 'object' END,
        eks_version = state->'upgrade'->>'eksVersion',
        exception_expires_at = CASE WHEN state->'exception'->>'status' = 'approved'
                                    THEN (state->'exception'->>'expiresAt')::timestamptz END
      WHERE jsonb_typeof(state->'upgrade') = 'object' OR jsonb_typeof(state->'exception') = 'object';
    `,
  },
  {
    version: 6,
    name: "case numbers",
    sql: `
      -- A short, stable id per case for people (SHG-42), beside the finding id. The column is the
      -- only copy: the stored state leaves it out and readers attach it (cases.ts). saveCases takes a
      -- number from the sequence only for a row that does not exist yet and never updates it, so an
      -- update burns none; the default only serves rows written by other means.
      CREATE SEQUENCE case_number_seq AS integer;
      ALTER TABLE cases ADD COLUMN number integer;
      -- Existing cases are numbered in the order they were opened (ties by id).
      UPDATE cases SET number = numbered.n
        FROM (SELECT id, row_number() OVER (ORDER BY opened_at, id) AS n FROM cases) AS numbered
       WHERE cases.id = numbered.id;
      SELECT setval('case_number_seq', COALESCE((SELECT max(number) FROM cases), 0) + 1, false);
      ALTER SEQUENCE case_number_seq OWNED BY cases.number;
      ALTER TABLE cases ALTER COLUMN number SET DEFAULT nextval('case_number_seq');
      ALTER TABLE cases ALTER COLUMN number SET NOT NULL;
      ALTER TABLE cases ADD CONSTRAINT cases_number_key UNIQUE (number);
    `,
  },
  {
    version: 7,
    name: "slack posts started",
    sql: `
      -- A post to a channel about to be made for a notify row, written before chat.postMessage and
      -- removed when the post is recorded in slack_messages. One left behind means the post may
      -- have reached Slack without being recorded (the database went away, the process died): the
      -- dispatcher looks for it in the channel (its metadata names the row) before posting again.
      CREATE TABLE slack_posts_started (
        outbox_id   bigint NOT NULL,
        channel     text NOT NULL,
        started_at  timestamptz NOT NULL,
        PRIMARY KEY (outbox_id, channel)
      );
    `,
  },
  {
    version: 8,
    name: "case projection columns",
    sql: `
      -- What the digest and the report read of a case, as columns: with them no query outside
      -- saveCases reaches into the state's JSON, whose shape is the engine's to change. saveCases
      -- keeps them; existing cases are filled in from their state here.
      ALTER TABLE cases ADD COLUMN finding_id text;
      ALTER TABLE cases ADD COLUMN tracked boolean;
      ALTER TABLE cases ADD COLUMN resource_type text;
      ALTER TABLE cases ADD COLUMN first_observed_at timestamptz;
      ALTER TABLE cases ADD COLUMN exception_id text;
      ALTER TABLE cases ADD COLUMN exception_requested_by text;
      ALTER TABLE cases ADD COLUMN exception_decided_by text;
      UPDATE cases SET
        finding_id = COALESCE(state->>'findingId', id),
        tracked = COALESCE((state->>'tracked')::boolean, false),
        resource_type = state->>'resourceType',
        first_observed_at = (state->>'firstObservedAt')::timestamptz,
        exception_id = state->'exception'->>'id',
        exception_requested_by = state->'exception'->'requester'->>'user',
        exception_decided_by = state->'exception'->'decidedBy'->>'user';
    `,
  },
  {
    version: 9,
    name: "outbox delivery channels",
    sql: `
      -- A notification is delivered once per notification channel its teams are reached by: one
      -- outbox row per channel, claimed by that channel's dispatcher. Other effects have none.
      ALTER TABLE outbox ADD COLUMN channel text;
      UPDATE outbox SET channel = 'slack' WHERE kind = 'notify';
      -- The case version whose decision wrote the row, which readers used to parse out of the key.
      ALTER TABLE outbox ADD COLUMN case_version integer;
      UPDATE outbox SET case_version = CAST(substring(key from '#([0-9]+)#[0-9]+$') AS integer);
    `,
  },
  {
    version: 10,
    name: "security hub calls from cloudtrail",
    sql: `
      -- The BatchUpdateFindings calls CloudTrail recorded that set a finding SUPPRESSED, one row
      -- per call and finding: who did it, for a suppression whose event comes after the call.
      CREATE TABLE api_calls (
        event_id text NOT NULL,
        finding_id text NOT NULL,
        event_name text NOT NULL,
        at timestamptz NOT NULL,
        workflow_status text,
        note text,
        caller jsonb NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (event_id, finding_id)
      );
      CREATE INDEX api_calls_finding ON api_calls (finding_id, at);
    `,
  },
];

/** Applies pending migrations under an advisory lock, so concurrent starts migrate once. */
export async function migrate(db: Database): Promise<number[]> {
  return db.transaction(async (tx) => {
    // The lock comes first so that concurrent starts (service and CLI) migrate one at a time.
    await tx.query("SELECT pg_advisory_xact_lock(727274)");
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = await tx.query<{ version: number }>("SELECT version FROM schema_migrations");
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}

/** Migrations hold no semicolons inside literals or bodies, so splitting on them (after comments go) is enough. */
function splitStatements(sql: string): string[] {
  return sql
    .replace(/--.*$/gm, "")
    .split(";")
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}
