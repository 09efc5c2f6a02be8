/**
 * Outbound HTTP shared by the executors and the callback activity: a timeout and the caller's cancellation on
 * one signal, a bounded read of the response, and the rule that decides whether a status is worth retrying.
 */
import { ApplicationFailure } from '@temporalio/common';
import { permanentFailure } from '../errors.js';
import { DestinationRefusedError } from '../security/ssrf-guard.js';
import { FailureType } from '../shared/failure-types.js';

/**
 * Largest response body kept from a call; the rest is cut off and the result marked truncated. Well under
 * Temporal's 2 MB payload limit, because a result is stored several times (activity result, workflow result,
 * callback input) and JSON escaping can double it.
 */
export const MAX_RESPONSE_BYTES = 256 * 1024;

export interface HttpCallResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly truncated: boolean;
}

export interface HttpCallOptions {
  readonly method: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** An undici dispatcher for the connection, e.g. the SSRF guard's (checks every address it connects to). */
  readonly dispatcher?: unknown;
}

/** Performs one request; a timeout or refused connection throws a plain (retryable) Error. */
export async function httpCall(url: string, options: HttpCallOptions): Promise<HttpCallResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method,
      headers: options.headers,
      body: options.body,
      signal,
      redirect: 'manual',
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    } as RequestInit);
  } catch (err) {
    if (timeout.aborted) throw new Error(`${options.method} ${url} timed out after ${options.timeoutMs} ms`);
    if (options.signal?.aborted) throw err;
    // Refused by the SSRF guard at connection time (e.g. the name now resolves into private space): retrying
    // cannot help, and the reason must reach the user.
    if (err instanceof Error && err.cause instanceof DestinationRefusedError) {
      throw permanentFailure(FailureType.DestinationRefused, err.cause.message);
    }
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new Error(`${options.method} ${url} failed${cause || `: ${String(err)}`}`);
  }
  const { text, truncated } = await readLimited(response, MAX_RESPONSE_BYTES);
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: parseMaybeJson(text, response.headers.get('content-type')),
    truncated,
  };
}

async function readLimited(response: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

function parseMaybeJson(text: string, contentType: string | null): unknown {
  if (text === '') return null;
  if (contentType?.includes('json') || /^\s*[[{"]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** True for statuses a retry may fix: 408, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Throws for a non-2xx answer: transient for 408/429/5xx, permanent (not retried) otherwise. Redirects are not
 * followed (a redirect could lead anywhere, including into the network Pulse runs in), so 3xx is permanent too.
 */
export function assertSuccessful(what: string, result: HttpCallResult): void {
  if (result.status >= 200 && result.status < 300) return;
  const snippet = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
  const message = `${what} answered HTTP ${result.status}${snippet ? `: ${snippet.slice(0, 300)}` : ''}`;
  if (!isRetryableStatus(result.status)) {
    throw permanentFailure(FailureType.PermanentHttpError, message, [{ status: result.status }]);
  }
  const retryAfter = retryAfterMs(result.headers['retry-after']);
  if (retryAfter !== undefined) {
    // The far side said when to come back; Temporal waits exactly that long before the next attempt.
    throw ApplicationFailure.create({
      message,
      type: FailureType.TransientHttpError,
      nextRetryDelay: retryAfter,
    });
  }
  throw ApplicationFailure.create({ message, type: FailureType.TransientHttpError });
}

/** Longest `Retry-After` honoured; a server asking for more is retried after this long anyway. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from now. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
