import { ShgovError } from "../errors.js";

interface AwsError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const DENIED = new Set(["AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "NotAuthorized"]);

/** The IAM action of an SDK command: `events:PutRule` for PutRuleCommand. */
export function iamAction(service: string, command: object): string {
  return `${service}:${command.constructor.name.replace(/Command$/, "")}`;
}

/**
 * One AWS call of a command-line tool: a refusal names the IAM action that is missing, any other
 * failure names the call, so the operator knows what to fix without a stack trace.
 */
export async function awsCall<T>(service: string, command: object, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = error as AwsError;
    const action = iamAction(service, command);
    if (DENIED.has(failure.name ?? "") || failure.$metadata?.httpStatusCode === 403) {
      throw new ShgovError(
        "aws.access_denied",
        `AWS refused ${action} (${failure.name ?? "403"}: ${failure.message ?? "access denied"}): grant ${action} to these credentials (shgov setup --print-iam prints the policy)`,
        { cause: error },
      );
    }
    throw new ShgovError(
      "aws.call_failed",
      `${action} failed (${failure.name ?? "error"}: ${failure.message ?? String(error)})`,
      { cause: error },
    );
  }
}

/** True for the error AWS answers when a named resource does not exist. */
export function isNotFound(error: unknown): boolean {
  const cause = error instanceof ShgovError ? error.cause : error;
  return (cause as AwsError | undefined)?.name === "ResourceNotFoundException";
}
