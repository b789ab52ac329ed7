import type { IncomingMessage } from "node:http";

export const MAX_BODY_BYTES = 1024 * 1024;
/** What is kept of an oversized body in the dead-letter table. */
export const OVERSIZED_KEEP_BYTES = 64 * 1024;
/** Past this an oversized body is not even drained: the connection is dropped. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

export interface ReadBody {
  text: string;
  bytes: number;
  /** True when the body was over the limit: `text` holds only its first OVERSIZED_KEEP_BYTES. */
  oversized: boolean;
}

/**
 * Reads a request body up to `limit` bytes. An oversized body is drained (so the client can read
 * the 413) while only its head is kept; a huge one gets its connection destroyed.
 */
export function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let kept = 0;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      const keepLimit = bytes > limit ? OVERSIZED_KEEP_BYTES : limit;
      if (kept < keepLimit) {
        const part = chunk.subarray(0, keepLimit - kept);
        chunks.push(part);
        kept += part.length;
      }
      if (bytes > DRAIN_LIMIT_BYTES) {
        request.destroy();
        reject(new Error(`body larger than ${DRAIN_LIMIT_BYTES} bytes`));
      }
    });
    request.on("end", () => {
      const oversized = bytes > limit;
      const buffer = Buffer.concat(chunks);
      const text = (oversized ? buffer.subarray(0, OVERSIZED_KEEP_BYTES) : buffer).toString("utf8");
      resolve({ text, bytes, oversized });
    });
    request.on("error", reject);
  });
}
