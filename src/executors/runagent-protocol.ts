/**
 * The RunAgent wire protocol (CONTRACT.md "RunAgent protocol"), spoken directly because no JavaScript SDK is
 * published: the run request body, the response envelope in all its historical forms, error classification, and
 * the streaming variant over WebSocket. Shared by the serverless executor and local `runagent serve` agents.
 */
import WebSocket from 'ws';
import { permanentFailure } from '../errors.js';
import type { GuardedLookup } from '../security/ssrf-guard.js';
import { FailureType } from '../shared/failure-types.js';
import type { ExecutionContext } from './executor.js';
import { httpCall, isRetryableStatus, type HttpCallResult } from './http-call.js';

export interface RunAgentTarget {
  /** Base URL without `/api/v1`, e.g. `https://backend.run-agent.ai` or `http://127.0.0.1:8450`. */
  readonly baseUrl: string;
  /** Bearer key for the remote service; local agents take none. */
  readonly apiKey?: string;
  /** The SSRF guard's dispatcher (HTTP) and lookup (WebSocket), for user-supplied agent hosts. */
  readonly dispatcher?: unknown;
  readonly lookup?: GuardedLookup;
}

export interface RunAgentCall {
  readonly agentId: string;
  readonly entrypointTag: string;
  readonly params: Record<string, unknown>;
  readonly userId?: string;
  readonly persistentMemory?: boolean;
  readonly timeoutMs: number;
}

/** Body of `POST /api/v1/agents/{id}/run` and of the first WebSocket frame of a stream. */
export function runRequestBody(call: RunAgentCall): Record<string, unknown> {
  return {
    entrypoint_tag: call.entrypointTag,
    input_args: [],
    input_kwargs: call.params,
    timeout_seconds: Math.max(1, Math.ceil(call.timeoutMs / 1000)),
    async_execution: false,
    ...(call.userId !== undefined ? { user_id: call.userId } : {}),
    ...(call.persistentMemory !== undefined ? { persistent_memory: call.persistentMemory } : {}),
  };
}

function agentPath(target: RunAgentTarget, agentId: string, suffix: string): string {
  return `${target.baseUrl.replace(/\/+$/, '')}/api/v1/agents/${encodeURIComponent(agentId)}/${suffix}`;
}

function errorText(error: unknown): string | undefined {
  if (error == null) return undefined;
  if (typeof error === 'string') return error;
  if (typeof error === 'object') {
    const { code, message, suggestion } = error as {
      code?: unknown;
      message?: unknown;
      suggestion?: unknown;
    };
    const parts = [code ? `[${String(code)}]` : '', message ? String(message) : JSON.stringify(error)];
    if (suggestion) parts.push(`(suggestion: ${String(suggestion)})`);
    return parts.filter(Boolean).join(' ');
  }
  return String(error);
}

function parseJsonString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * RunAgent's structured encoding of one value (its `serialize_object_to_structured`): `{"type", "payload"}` where
 * `payload` is the value as a JSON string. Servers send it as a JSON string in `/run`'s `data` and in every stream
 * chunk's `content`.
 */
function structuredPayload(value: unknown): { readonly value: unknown } | undefined {
  const parsed = parseJsonString(value);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  if (!('type' in record) || !('payload' in record)) return undefined;
  return { value: parseJsonString(record.payload) };
}

/**
 * Extracts the agent's output from a successful envelope. Current servers put the structured encoding in `data`;
 * older ones used `data.result_data.data` or `output_data`.
 */
export function decodeRunOutput(envelope: Record<string, unknown>): unknown {
  if ('output_data' in envelope) return parseJsonString(envelope.output_data);
  const structured = structuredPayload(envelope.data);
  if (structured) return structured.value;
  const data = parseJsonString(envelope.data);
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const record = data as Record<string, unknown>;
    const resultData = record.result_data as Record<string, unknown> | undefined;
    if (resultData && typeof resultData === 'object' && 'data' in resultData)
      return parseJsonString(resultData.data);
    if ('output_data' in record) return parseJsonString(record.output_data);
  }
  return data ?? null;
}

/**
 * Decodes one stream chunk the way `/run` output is decoded. Content that is not in the structured encoding is
 * kept as it came (older servers sent bare text): parsing it as JSON would turn a text chunk "42" into a number
 * and break the join of an all-text stream.
 */
export function decodeStreamChunk(content: unknown): unknown {
  const structured = structuredPayload(content);
  return structured ? structured.value : content;
}

/** Turns an HTTP answer from a RunAgent server into the agent's output, or the right kind of failure. */
export function interpretRunResponse(what: string, response: HttpCallResult): unknown {
  const body = response.body;
  const envelope =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const reason = errorText(envelope.error) ?? errorText(envelope.message) ?? errorText(envelope.detail);
  const describe = (kind: string) =>
    `${what}: ${kind} (HTTP ${response.status})${reason ? `: ${reason}` : typeof body === 'string' && body ? `: ${body.slice(0, 300)}` : ''}`;
  if (response.status === 401 || response.status === 403) {
    throw permanentFailure(FailureType.AgentAuthError, describe('authentication failed'));
  }
  if (response.status === 404 && !('success' in envelope)) {
    // `runagent serve` routes only its own agent id; any other id gets the framework's bare `{"detail"}` 404.
    throw permanentFailure(FailureType.AgentValidationError, describe('no such agent'));
  }
  if (response.status === 400 || response.status === 404 || response.status === 422) {
    throw permanentFailure(FailureType.AgentValidationError, describe('request rejected'));
  }
  if (isRetryableStatus(response.status)) throw new Error(describe('server error'));
  if (response.status < 200 || response.status >= 300) {
    throw permanentFailure(FailureType.AgentError, describe('unexpected answer'));
  }
  if (envelope.success === false) {
    throw permanentFailure(
      FailureType.AgentError,
      `${what}: the agent reported a failure: ${reason ?? 'no message'}`,
    );
  }
  return decodeRunOutput(envelope);
}

/** Runs an entrypoint over HTTP and returns its decoded output. */
export async function runAgentHttp(
  target: RunAgentTarget,
  call: RunAgentCall,
  context: ExecutionContext,
): Promise<unknown> {
  const url = agentPath(target, call.agentId, 'run');
  const response = await httpCall(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}),
    },
    body: JSON.stringify(runRequestBody(call)),
    timeoutMs: call.timeoutMs,
    signal: context.signal,
    dispatcher: target.dispatcher,
  });
  return interpretRunResponse(`agent ${call.agentId}/${call.entrypointTag}`, response);
}

/** Lists the entrypoint tags an agent declares (`GET .../architecture`). */
export async function fetchEntrypoints(
  target: RunAgentTarget,
  agentId: string,
  context: ExecutionContext,
): Promise<string[]> {
  const response = await httpCall(agentPath(target, agentId, 'architecture'), {
    method: 'GET',
    headers: target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {},
    timeoutMs: 30_000,
    signal: context.signal,
    dispatcher: target.dispatcher,
  });
  const data = interpretRunResponse(`architecture of agent ${agentId}`, response) as {
    entrypoints?: Array<{ tag?: unknown }>;
  } | null;
  return (data?.entrypoints ?? []).map((e) => String(e.tag));
}

/** A chunk as shown in a heartbeat: enough to see progress in the Web UI, never a large payload. */
function heartbeatPreview(chunk: unknown): unknown {
  if (typeof chunk === 'string') return chunk.slice(0, 200);
  const json = JSON.stringify(chunk) ?? 'null';
  return json.length <= 200 ? chunk : `${json.slice(0, 200)}…`;
}

/**
 * Runs a `*_stream` entrypoint over the WebSocket protocol. Each chunk is reported as a heartbeat (so progress is
 * visible in the Web UI while it runs); the result is the chunks joined when they are all text, else their list.
 */
export async function runAgentStream(
  target: RunAgentTarget,
  call: RunAgentCall,
  context: ExecutionContext,
): Promise<unknown> {
  const httpUrl = new URL(agentPath(target, call.agentId, 'run-stream'));
  httpUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  if (target.apiKey) httpUrl.searchParams.set('token', target.apiKey);
  const what = `stream of agent ${call.agentId}/${call.entrypointTag}`;
  const chunks: unknown[] = [];
  let started = false;

  return new Promise((resolve, reject) => {
    const socket = new WebSocket(httpUrl, {
      headers: target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {},
      handshakeTimeout: 30_000,
      ...(target.lookup ? { lookup: target.lookup as never } : {}),
    });
    let settled = false;
    const finish = (error: unknown, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('close');
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)
        socket.terminate();
      if (error) reject(error);
      else resolve(value);
    };
    const onAbort = () => finish(context.signal.reason ?? new Error(`${what} cancelled`));
    const timer = setTimeout(
      () => finish(new Error(`${what} timed out after ${call.timeoutMs} ms`)),
      call.timeoutMs,
    );
    context.signal.addEventListener('abort', onAbort, { once: true });

    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      const message = `${what}: handshake answered HTTP ${status}`;
      if (status === 403 && !target.apiKey) {
        // `runagent serve` has no authentication: its framework refuses a WebSocket to a path it does not route,
        // and it routes run-stream only under its own agent id.
        finish(
          permanentFailure(
            FailureType.AgentValidationError,
            `${what}: no such agent at ${target.baseUrl} (handshake answered HTTP 403)`,
          ),
        );
      } else if (status === 401 || status === 403) {
        finish(permanentFailure(FailureType.AgentAuthError, message));
      } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        finish(permanentFailure(FailureType.AgentValidationError, message));
      } else finish(new Error(message));
    });
    socket.on('open', () => socket.send(JSON.stringify(runRequestBody(call))));
    socket.on('error', (err) => finish(new Error(`${what} failed: ${err.message}`)));
    socket.on('close', () => finish(new Error(`${what}: connection closed before the stream completed`)));
    socket.on('message', (raw) => {
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(raw.toString()) as Record<string, unknown>;
      } catch {
        return finish(
          permanentFailure(
            FailureType.AgentError,
            `${what}: frame is not JSON: ${raw.toString().slice(0, 200)}`,
          ),
        );
      }
      if (frame.type === 'status' && frame.status === 'stream_started') {
        started = true;
      } else if (frame.type === 'data') {
        started = true;
        const chunk = decodeStreamChunk(frame.content ?? frame.data);
        chunks.push(chunk);
        context.heartbeat({ chunks: chunks.length, last: heartbeatPreview(chunk) });
      } else if (frame.type === 'error' || (frame.type === 'status' && frame.status === 'stream_error')) {
        // Servers put the reason under `error` once the stream runs and under `detail` when they refuse the request.
        const reason = errorText(frame.error) ?? errorText(frame.detail) ?? errorText(frame.message);
        finish(
          started
            ? permanentFailure(
                FailureType.AgentError,
                `${what}: the agent reported a failure: ${reason ?? 'no message'}`,
              )
            : permanentFailure(
                FailureType.AgentValidationError,
                `${what}: request rejected: ${reason ?? 'no message'}`,
              ),
        );
      } else if (frame.type === 'status' && frame.status === 'stream_completed') {
        finish(undefined, chunks.every((c) => typeof c === 'string') ? chunks.join('') : chunks);
      }
    });
  });
}
