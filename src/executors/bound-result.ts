/** Default bound on a stored result: far below Temporal's 2 MB payload limit, which it is stored against twice. */
export const DEFAULT_MAX_RESULT_BYTES = 256 * 1024;

/**
 * Keeps a large agent output up to `limit` bytes of JSON and marks it truncated, instead of letting an oversized
 * payload fail the workflow (a result is stored in history more than once).
 */
export function boundResult(result: unknown, limit: number): unknown {
  const json = JSON.stringify(result) ?? 'null';
  const size = Buffer.byteLength(json);
  if (size <= limit) return result;
  return {
    truncated: true,
    size_bytes: size,
    preview: Buffer.from(json).subarray(0, limit).toString('utf8'),
  };
}
