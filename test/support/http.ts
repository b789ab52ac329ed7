export interface PostResult {
  status: number;
  body: Record<string, unknown>;
}

export async function postEvent(
  baseUrl: string,
  body: unknown,
  options: { apiKey?: string | null; contentType?: string; raw?: string } = {},
): Promise<PostResult> {
  const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json" };
  if (options.apiKey) headers["x-api-key"] = options.apiKey;
  const response = await fetch(`${baseUrl}/events`, {
    method: "POST",
    headers,
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Polls until check returns a value other than undefined, or fails after timeoutMs. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}
