import { z } from "zod";
import { ShgovError } from "../errors.js";
import { formatPath } from "../lib/zod-errors.js";

const emptyAsUndefined = (value: unknown) => (value === "" ? undefined : value);
const optionalString = z.preprocess(emptyAsUndefined, z.string().min(1).optional());
const intInRange = (min: number, max: number, fallback: number) =>
  z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: `expected a whole number from ${min} to ${max}` })
      .int(`expected a whole number from ${min} to ${max}`)
      .min(min, `expected a whole number from ${min} to ${max}`)
      .max(max, `expected a whole number from ${min} to ${max}`)
      .default(fallback),
  );

/** The ingest key is EventBridge's only credential: short keys can be guessed. */
export const MIN_INGEST_KEY_LENGTH = 24;

/** Every environment variable the service reads (also listed in .env.example). */
export const envSchema = z.object({
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL")
      .default("redis://127.0.0.1:6379"),
  ),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL")
      .optional(),
  ),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default("./data")),
  INGEST_API_KEY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      // The message gives the length, never the key.
      .refine((key) => key.length >= MIN_INGEST_KEY_LENGTH, {
        error: (issue) =>
          `too short (${String(issue.input).length} characters): use at least ${MIN_INGEST_KEY_LENGTH} random characters, for example the output of \`openssl rand -hex 32\``,
      })
      .optional(),
  ),
  ADMIN_TOKEN: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  // Slack allows about one message per second per channel; less only behind a proxy that allows more.
  SLACK_POST_INTERVAL_MS: intInRange(0, 60_000, 1_000),
  PUBLIC_URL: z.preprocess(
    emptyAsUndefined,
    z
      .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
      .refine((url) => !/[?#]/.test(url), "expected a base URL without ? or #")
      .optional(),
  ),
  METRICS_TOKEN: optionalString,
  AWS_REGION: optionalString,
  AWS_ENDPOINT_URL_SECURITYHUB: z.preprocess(emptyAsUndefined, z.url().optional()),
  AWS_ENDPOINT_URL_EVENTBRIDGE: z.preprocess(emptyAsUndefined, z.url().optional()),
  SECURITYHUB_DRY_RUN: z.preprocess(
    emptyAsUndefined,
    z
      .enum(["true", "false"], { error: "expected true or false" })
      .default("false")
      .transform((value) => value === "true"),
  ),
  WORKFLOWS_DIR: z.preprocess(emptyAsUndefined, z.string().default("./workflows")),
  HOST: z.preprocess(emptyAsUndefined, z.string().default("0.0.0.0")),
  PORT: intInRange(0, 65535, 3000),
  QUEUE_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only (BullMQ forbids ':')")
      .default("shgov"),
  ),
  WORKER_CONCURRENCY: intInRange(1, 1000, 256),
  WORKER_THREAD: z.preprocess(
    emptyAsUndefined,
    z
      .enum(["true", "false"], { error: "expected true or false" })
      .default("true")
      .transform((value) => value === "true"),
  ),
  WORKER_LOCK_DURATION_MS: intInRange(1000, 600_000, 30_000),
  SHUTDOWN_TIMEOUT_MS: intInRange(1000, 600_000, 10_000),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
});

export type Env = z.output<typeof envSchema>;

export class ConfigError extends ShgovError {
  override name = "ConfigError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("config.invalid", message, options);
  }
}

/** Parses the environment; a bad value fails with the variable's name and what was expected. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  // One mistake, one line; several, a line each.
  throw new ConfigError(
    lines.length === 1
      ? `invalid environment: ${lines[0]}`
      : `invalid environment:\n${lines.map((line) => `  ${line}`).join("\n")}`,
  );
}

/**
 * Reads `.env` from the working directory when there is one (or the file given), the way
 * .env.example suggests: variables already in the environment win. Returns the file read.
 */
export function loadEnvFile(path: string | undefined, exists: (path: string) => boolean): string | null {
  const file = path ?? ".env";
  if (!path && !exists(file)) return null;
  if (!exists(file)) throw new ConfigError(`--dotenv ${file}: no such file`);
  try {
    process.loadEnvFile(file);
  } catch (error) {
    throw new ConfigError(`${file}: cannot be read as an env file: ${(error as Error).message}`);
  }
  return file;
}

/**
 * An empty variable means unset, as in .env.example: the AWS SDK reads some of them itself and
 * takes "" for a value (AWS_REGION= is "Region not accepted"), so empty AWS_* variables go.
 */
export function dropEmptyAwsVariables(source: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(source)) {
    if (name.startsWith("AWS_") && value === "") delete source[name];
  }
}
