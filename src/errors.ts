/**
 * An error whose message tells a person all they need: what is wrong, naming the setting or the
 * service, and what to do. The CLI prints it as one line, without a stack; `code` is stable for
 * programs and tests.
 */
export class ShgovError extends Error {
  override name = "ShgovError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
