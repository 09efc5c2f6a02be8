/**
 * What an agent's result may say to Pulse besides its answer: `"nothing_to_report": true` (this run's callback is
 * not sent). An HTTP target says it in the JSON body it answers with. Only a JSON object's top level counts, so an
 * answer that merely mentions the words says nothing.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The object an agent's signals are read from: the result, or an HTTP call's JSON body. */
function signalSource(result: unknown): Record<string, unknown> | undefined {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(result)) return undefined;
  if ('status_code' in result && isObject(result.body)) return result.body;
  return result;
}

/** Whether the agent said it had nothing to report this run. */
export function saysNothingToReport(result: unknown): boolean {
  return signalSource(result)?.nothing_to_report === true;
}

/**
 * SHA-256 (hex) of the result's canonical JSON (RFC 8785): equal for equal results, whatever their key order. An
 * HTTP call's result counts by its status and body: its response headers (a `date` at least) differ every time.
 */
export function resultHash(result: unknown): string {
  let compared = result ?? null;
  if (
    typeof compared === 'object' &&
    compared !== null &&
    'status_code' in compared &&
    'headers' in compared
  ) {
    const { headers: _headers, ...rest } = compared as Record<string, unknown>;
    compared = rest;
  }
  return createHash('sha256')
    .update(canonicalize(compared) ?? 'null')
    .digest('hex');
}
