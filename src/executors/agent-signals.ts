/**
 * What an agent's result may say to Pulse besides its answer: `"nothing_to_report": true` (this run's callback is
 * not sent), and for adaptive tasks `"next_run_in"` / `"next_run_at"` (when to run next). An HTTP target says it in
 * the JSON body it answers with. Only a JSON object's top level counts, so an answer that merely mentions the words
 * says nothing.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { NextRunRequest, Usage } from '../shared/task-types.js';
import { parseDelay } from '../time/duration.js';

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

/**
 * When the agent asked to run next: `next_run_in` as seconds or a duration (`"90s"`, `"10m"`), or `next_run_at` as
 * an ISO-8601 instant; null for either ends the task. Undefined when the result says neither.
 */
export function readNextRun(result: unknown): NextRunRequest | undefined {
  const source = signalSource(result);
  if (!source || (!('next_run_in' in source) && !('next_run_at' in source))) return undefined;
  const { next_run_in: inValue, next_run_at: atValue } = source;
  if (inValue === null || atValue === null) return { stop: true };
  if (inValue !== undefined) {
    const ms =
      typeof inValue === 'number' && Number.isFinite(inValue) && inValue >= 0
        ? Math.round(inValue * 1000)
        : typeof inValue === 'string'
          ? /^\d+(\.\d+)?$/.test(inValue.trim())
            ? Math.round(Number(inValue) * 1000)
            : parseDelay(inValue)
          : undefined;
    return ms !== undefined && Number.isFinite(ms)
      ? { inMs: ms }
      : { invalid: `next_run_in ${JSON.stringify(inValue)} is not seconds or a duration such as "10m"` };
  }
  const atMs = typeof atValue === 'string' && /^\d{4}-\d\d-\d\dT/.test(atValue) ? Date.parse(atValue) : NaN;
  return Number.isNaN(atMs)
    ? { invalid: `next_run_at ${JSON.stringify(atValue)} is not an ISO-8601 time` }
    : { atMs };
}

const finite = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

/** Tokens and cost of a usage object: OpenAI's (`total_tokens`, or prompt + completion), Anthropic's and RunAgent's (input + output), with `cost`, `cost_usd` or `total_cost`. */
function usageOf(value: unknown): Usage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const tokens = finite(value);
    return tokens !== undefined ? { tokens } : undefined;
  }
  const usage = value as Record<string, unknown>;
  const sum = (a: unknown, b: unknown) =>
    finite(a) !== undefined || finite(b) !== undefined ? (finite(a) ?? 0) + (finite(b) ?? 0) : undefined;
  const tokens =
    finite(usage.total_tokens) ??
    finite(usage.tokens) ??
    sum(usage.prompt_tokens, usage.completion_tokens) ??
    sum(usage.input_tokens, usage.output_tokens);
  const cost = finite(usage.cost) ?? finite(usage.cost_usd) ?? finite(usage.total_cost);
  if (tokens === undefined && cost === undefined) return undefined;
  return { ...(tokens !== undefined ? { tokens } : {}), ...(cost !== undefined ? { cost } : {}) };
}

/**
 * What a run reports it used: the object at `path` (dotted, from the result's top), or by default the result's
 * `usage` (an HTTP call's: its body's), with a top-level `cost_usd` beside it counted as its cost.
 */
export function readUsage(result: unknown, path?: string): Usage | undefined {
  if (path) {
    let value: unknown = result;
    for (const key of path.split('.')) {
      if (typeof value !== 'object' || value === null) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return usageOf(value);
  }
  const source = signalSource(result);
  if (!source) return undefined;
  const usage = usageOf(source.usage);
  const cost = finite(source.cost_usd);
  if (cost === undefined || usage?.cost !== undefined) return usage;
  return { ...usage, cost };
}
