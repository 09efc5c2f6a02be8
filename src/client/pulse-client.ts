/**
 * Typed client of the Pulse HTTP API. Only `fetch` at run time: no server code, no zod, no Node modules, so it
 * runs wherever `fetch` does.
 */
import {
  PulseConflictError,
  PulseClientError,
  PulseConnectionError,
  PulseTimeoutError,
  PulseWaitTimeoutError,
  apiErrorFor,
} from './errors.js';
import type {
  CancelResult,
  ExecutorList,
  Health,
  Policy,
  Preview,
  Repeat,
  RetryPolicy,
  RunContextOption,
  Delivery,
  Adaptive,
  Budget,
  ScheduleRequest,
  ScheduleResponse,
  Task,
  TaskHistory,
  TaskList,
  TaskPatch,
  TaskResult,
  TaskResults,
  TaskStatus,
  TriggerInput,
  TriggerResult,
  When,
} from './types.js';
import type { z } from '@hono/zod-openapi';
import type { OccurrenceStatusEnum, OccurrencesResponse } from '../api/schemas.js';

/** `GET /occurrences`'s answer. */
export type Occurrences = z.infer<typeof OccurrencesResponse>;

export interface OccurrencesOptions {
  readonly taskId?: string;
  /** Start of the window (default: a week ago); an instant, or a date read in `timezone`. */
  readonly from?: Date | string;
  readonly to?: Date | string;
  readonly agentId?: string;
  readonly scheduleType?: string;
  readonly status?: z.infer<typeof OccurrenceStatusEnum>;
  /** IANA zone of each occurrence's `local_at`. */
  readonly timezone?: string;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface PulseClientOptions {
  /** Where the API listens, e.g. `http://localhost:8000`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** With an admin key: the tenant to act for, sent as `x-pulse-tenant` (docs/tenants.md). */
  readonly tenant?: string;
  /** Defaults to the global `fetch`. */
  readonly fetch?: FetchLike;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What every kind of task shares: when it runs, how often, and where its result goes. */
export interface ScheduleOptions {
  /** `"in 5 minutes"`, `"every weekday at 9am"`, `"0 9 * * 1-5"`, ISO-8601, `"5m"`, `"now"`, or an object. */
  readonly when: When;
  /** `{interval: "2m", times: 5}` (times counts every run, the first included), or just the interval. */
  readonly repeat?: Repeat | string;
  /** Gets `POST {task_id, execution_id, status, result, ...}` after every run. */
  readonly callbackUrl?: string;
  /** How long a failing callback is retried, e.g. `"24h"`. */
  readonly callbackWindow?: string;
  /** IANA zone for natural-language, calendar and cron times. */
  readonly timezone?: string;
  readonly metadata?: Record<string, unknown>;
  readonly policy?: Policy;
  readonly retry?: RetryPolicy;
  /** Give each run its context: agents as a keyword argument, HTTP calls as `x-pulse-*` headers. */
  readonly runContext?: RunContextOption;
  /** Which runs' callbacks are sent, where failures go, alerts after failures in a row. */
  readonly delivery?: Delivery;
  /** The agent picks each next run (`next_run_in` / `next_run_at` in its result), within these bounds. */
  readonly adaptive?: Adaptive;
  /** A spending limit per day or month; a run that would exceed it is held. */
  readonly budget?: Budget;
  /** The same key with the same body returns the original task instead of scheduling another. */
  readonly idempotencyKey?: string;
}

export interface ScheduleAgentOptions extends ScheduleOptions {
  readonly agentId: string;
  readonly entrypointTag: string;
  readonly params?: Record<string, unknown>;
  /** `serverless`, `local`, or a custom executor's name; absent = chosen by the server. */
  readonly executorType?: string;
  readonly userId?: string;
  readonly persistentMemory?: boolean;
  readonly agentHost?: string;
  readonly agentPort?: number;
}

export interface ScheduleHttpOptions extends ScheduleOptions {
  readonly url: string;
  /** Default POST. */
  readonly method?: string;
  /** Sent as JSON unless it is a string. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Seconds; default 30. */
  readonly timeout?: number;
}

export interface ListOptions {
  readonly status?: TaskStatus;
  readonly scheduleType?: string;
  readonly agentId?: string;
  /** 1..1000, default 100. */
  readonly limit?: number;
  readonly offset?: number;
  /** `next_cursor` of the previous page. */
  readonly cursor?: string;
  /** Only tasks whose next execution is at or after this time (unix seconds, or a Date). */
  readonly startTime?: number | Date;
  /** Only tasks whose next execution is at or before this time (unix seconds, or a Date). */
  readonly endTime?: number | Date;
}

export interface PreviewWhenOptions {
  readonly timezone?: string;
  /** 1..100, default 5. */
  readonly count?: number;
}

export interface WaitForResultOptions {
  /** Give up after this long (default 60 s) with `PulseWaitTimeoutError`. */
  readonly timeoutMs?: number;
  /** Time between polls (default 500 ms). */
  readonly pollMs?: number;
  /** Wait for this run instead of the latest. */
  readonly executionId?: string;
  readonly signal?: AbortSignal;
}

interface RequestOptions {
  readonly query?: Record<string, string | number | undefined>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Error statuses whose body is a normal answer (e.g. 503 from /health). */
  readonly acceptStatuses?: readonly number[];
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Drops the keys whose value is `undefined`, so they are absent from the JSON rather than null. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A time as the API's list filters take it: whole unix seconds. */
function unixSecondsOf(time: number | Date | undefined): number | undefined {
  if (time === undefined) return undefined;
  return time instanceof Date ? Math.floor(time.getTime() / 1000) : time;
}

function describeFailure(err: unknown): string {
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.message === 'string' && cause.message) return cause.message;
  if (cause && typeof cause.code === 'string') return cause.code;
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A client of one Pulse service: `new PulseClient({ baseUrl: 'http://localhost:8000', apiKey })`. */
/** A due task as `poll` returns it. */
export interface PolledTask {
  task_id: string;
  schedule_type: string;
  payload: Record<string, unknown>;
  scheduled_for: string;
  metadata: Record<string, unknown>;
}

export interface PollResult {
  tasks: PolledTask[];
  next_poll_at: string;
}

export interface ClaimResult {
  status: 'claimed';
  execution_id: string;
  lease_expires_at: string;
}

export interface AckInput {
  workerId: string;
  /** The claim's `execution_id`; absent: the claim `workerId` holds now. */
  executionId?: string;
  status: 'success' | 'failed';
  result?: unknown;
  error?: string;
  executionTimeMs?: number;
}

/** Runs one claimed task; its return value is acked as the result, a throw as the failure. */
export type WorkHandler = (task: PolledTask) => Promise<unknown> | unknown;

export interface WorkOptions {
  workerId?: string;
  leaseSeconds?: number;
  pollIntervalMs?: number;
  batch?: number;
  signal?: AbortSignal;
  onError?: (err: unknown) => void;
}

export class PulseClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly tenant: string | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;
  private readonly extraHeaders: Readonly<Record<string, string>>;

  constructor(options: PulseClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw new TypeError(
        `baseUrl '${options.baseUrl}' is not an absolute URL such as http://localhost:8000.`,
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`baseUrl '${options.baseUrl}' must be an http(s) URL.`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey || undefined;
    this.tenant = options.tenant || undefined;
    const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.fetchImpl = (input, init) => fetchImpl(input, init);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.extraHeaders = options.headers ?? {};
  }

  /** Schedules a task from a raw `POST /tasks/schedule` body, exactly as the HTTP API takes it. */
  schedule(body: ScheduleRequest, options: { idempotencyKey?: string } = {}): Promise<ScheduleResponse> {
    return this.request('POST', '/tasks/schedule', {
      body,
      headers: options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
    });
  }

  /** Schedules an agent run (`run_agent`) through an executor. */
  scheduleAgent(options: ScheduleAgentOptions): Promise<ScheduleResponse> {
    const payload = defined({
      agent_id: options.agentId,
      entrypoint_tag: options.entrypointTag,
      params: options.params ?? {},
      user_id: options.userId,
      persistent_memory: options.persistentMemory,
      executor_type: options.executorType,
      agent_host: options.agentHost,
      agent_port: options.agentPort,
    });
    return this.schedule(this.scheduleBody('run_agent', payload, options), options);
  }

  /** Schedules a call to a URL (`http_request`); its result is `{status_code, headers, body}`. */
  scheduleHttp(options: ScheduleHttpOptions): Promise<ScheduleResponse> {
    const payload = defined({
      url: options.url,
      method: options.method,
      body: options.body,
      headers: options.headers,
      timeout: options.timeout,
    });
    return this.schedule(this.scheduleBody('http_request', payload, options), options);
  }

  get(taskId: string): Promise<Task> {
    return this.request('GET', `/tasks/${encodeURIComponent(taskId)}`);
  }

  /** One page of tasks, newest first; `next_cursor` is the next page, or null at the end. */
  list(options: ListOptions = {}): Promise<TaskList> {
    return this.request('GET', '/tasks', {
      query: {
        status: options.status,
        schedule_type: options.scheduleType,
        agent_id: options.agentId,
        limit: options.limit,
        offset: options.offset,
        cursor: options.cursor,
        start_time: unixSecondsOf(options.startTime),
        end_time: unixSecondsOf(options.endTime),
      },
    });
  }

  /** Every task matching the filters, page after page: `for await (const task of pulse.iterate({...}))`. */
  async *iterate(
    options: Omit<ListOptions, 'cursor' | 'offset'> = {},
  ): AsyncGenerator<Task, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...options, ...(cursor ? { cursor } : {}) });
      yield* page.tasks;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  /** `PATCH /tasks/{id}`: status, when/repeat/timezone (reschedule), metadata or payload. */
  update(taskId: string, patch: TaskPatch): Promise<Task> {
    return this.request('PATCH', `/tasks/${encodeURIComponent(taskId)}`, { body: patch });
  }

  pause(taskId: string): Promise<Task> {
    return this.update(taskId, { status: 'paused' });
  }

  resume(taskId: string): Promise<Task> {
    return this.update(taskId, { status: 'active' });
  }

  /** Cancels a task, and a run in progress with it. */
  cancel(taskId: string): Promise<CancelResult> {
    return this.request('DELETE', `/tasks/${encodeURIComponent(taskId)}`);
  }

  /**
   * Runs a task once, now, outside its schedule; with `input`, that run uses its `payload`, or the task's payload
   * with these agent `params`, instead of the task's own (recorded on the run as `trigger_input`).
   */
  trigger(taskId: string, input?: TriggerInput): Promise<TriggerResult> {
    const path = `/tasks/${encodeURIComponent(taskId)}/trigger`;
    return input ? this.request('POST', path, { body: input }) : this.request('POST', path);
  }

  /**
   * The occurrence ledger (`GET /occurrences`, or one task's with `taskId`): every time a task was or is due in
   * the window, with what became of it and why.
   */
  occurrences(options: OccurrencesOptions = {}): Promise<Occurrences> {
    const { taskId, from, to, ...filters } = options;
    const iso = (t: Date | string | undefined) => (t instanceof Date ? t.toISOString() : t);
    return this.request('GET', taskId ? `/tasks/${encodeURIComponent(taskId)}/occurrences` : '/occurrences', {
      query: {
        from: iso(from),
        to: iso(to),
        agent_id: filters.agentId,
        schedule_type: filters.scheduleType,
        status: filters.status,
        timezone: filters.timezone,
      },
    });
  }

  /** The next fire times of a `when`, before anything is scheduled (`GET /preview`). */
  previewWhen(when: string, options: PreviewWhenOptions = {}): Promise<Preview> {
    return this.request('GET', '/preview', {
      query: { when, timezone: options.timezone, count: options.count },
    });
  }

  /** The next fire times of a scheduled task. */
  previewTask(taskId: string, options: { count?: number } = {}): Promise<Preview> {
    return this.request('GET', `/tasks/${encodeURIComponent(taskId)}/preview`, {
      query: { count: options.count },
    });
  }

  /** `previewWhen` or `previewTask`, by which of `when` and `taskId` is given. */
  preview(
    target: ({ when: string } & PreviewWhenOptions) | { taskId: string; count?: number },
  ): Promise<Preview> {
    if ('taskId' in target) return this.previewTask(target.taskId, { count: target.count });
    return this.previewWhen(target.when, target);
  }

  /** The real outcome of the latest run (or of `executionId`): completed, failed, cancelled, pending or not_found. */
  result(taskId: string, executionId?: string): Promise<TaskResult> {
    return this.request('GET', `/tasks/${encodeURIComponent(taskId)}/result`, {
      query: { execution_id: executionId },
    });
  }

  /** Every run with its result, newest first. */
  results(taskId: string): Promise<TaskResults> {
    return this.request('GET', `/tasks/${encodeURIComponent(taskId)}/results`);
  }

  /** Runs of a task, newest first. */
  history(taskId: string, options: { limit?: number } = {}): Promise<TaskHistory> {
    return this.request('GET', `/tasks/${encodeURIComponent(taskId)}/history`, {
      query: { limit: options.limit },
    });
  }

  /** Polls `result` until the run is no longer pending. */
  async waitForResult(taskId: string, options: WaitForResultOptions = {}): Promise<TaskResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const pollMs = options.pollMs ?? 500;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await this.result(taskId, options.executionId);
      if (result.status !== 'pending') return result;
      const left = deadline - Date.now();
      if (left <= 0) throw new PulseWaitTimeoutError(taskId, timeoutMs);
      await sleep(Math.min(pollMs, left), options.signal);
    }
  }

  /** API, Temporal and worker health; a degraded service (503) is an answer too, not an error. */
  health(): Promise<Health> {
    return this.request('GET', '/health', { acceptStatuses: [503] });
  }

  /** Registered executors, which are available, and why the others are not. */
  executors(): Promise<ExecutorList> {
    return this.request('GET', '/executors');
  }

  /** Due generic tasks of these types waiting for an external worker. */
  poll(types: readonly string[], limit = 10): Promise<PollResult> {
    return this.request('GET', '/tasks/poll', { query: { types: types.join(','), limit } });
  }

  /** Claims a due task for `workerId`; a `PulseConflictError` means another worker has it. Claim again to renew. */
  claim(taskId: string, workerId: string, leaseSeconds?: number): Promise<ClaimResult> {
    return this.request('POST', `/tasks/${encodeURIComponent(taskId)}/claim`, {
      body: defined({ worker_id: workerId, lease_seconds: leaseSeconds }),
    });
  }

  /** Reports the outcome of a claimed run; only the claim holder may. */
  ack(taskId: string, ack: AckInput): Promise<{ next_execution: string | null }> {
    return this.request('POST', `/tasks/${encodeURIComponent(taskId)}/ack`, {
      body: defined({
        worker_id: ack.workerId,
        execution_id: ack.executionId,
        status: ack.status,
        result: ack.result,
        error: ack.error,
        execution_time_ms: ack.executionTimeMs,
      }),
    });
  }

  /**
   * An external worker: polls for due tasks of `types`, claims each (losing a race is normal), runs `handler`
   * while renewing the lease, and acks its result or its error. Runs until `signal` aborts; resolves then.
   */
  async work(types: readonly string[], handler: WorkHandler, options: WorkOptions = {}): Promise<void> {
    const workerId = options.workerId ?? `pulse-worker-${Math.random().toString(36).slice(2, 10)}`;
    const leaseSeconds = options.leaseSeconds ?? 60;
    const idleMs = options.pollIntervalMs ?? 1000;
    while (!options.signal?.aborted) {
      let polled: PollResult;
      try {
        polled = await this.poll(types, options.batch ?? 10);
      } catch (err) {
        options.onError?.(err);
        await sleep(idleMs, options.signal).catch(() => undefined);
        continue;
      }
      for (const task of polled.tasks) {
        if (options.signal?.aborted) return;
        let claim: ClaimResult;
        try {
          claim = await this.claim(task.task_id, workerId, leaseSeconds);
        } catch (err) {
          if (err instanceof PulseConflictError) continue;
          options.onError?.(err);
          continue;
        }
        // Renew at half the lease, so a slow handler keeps its claim while it is alive.
        const renew = setInterval(
          () => {
            this.claim(task.task_id, workerId, leaseSeconds).catch((err: unknown) => options.onError?.(err));
          },
          (leaseSeconds * 1000) / 2,
        );
        const started = Date.now();
        try {
          const result = await handler(task);
          await this.ack(task.task_id, {
            workerId,
            executionId: claim.execution_id,
            status: 'success',
            result,
            executionTimeMs: Date.now() - started,
          });
        } catch (err) {
          await this.ack(task.task_id, {
            workerId,
            executionId: claim.execution_id,
            status: 'failed',
            error: err instanceof Error ? err.message : String(err),
            executionTimeMs: Date.now() - started,
          }).catch((ackErr: unknown) => options.onError?.(ackErr));
        } finally {
          clearInterval(renew);
        }
      }
      if (polled.tasks.length === 0) await sleep(idleMs, options.signal).catch(() => undefined);
    }
  }

  private scheduleBody(
    scheduleType: string,
    payload: Record<string, unknown>,
    options: ScheduleOptions,
  ): ScheduleRequest {
    const repeat = typeof options.repeat === 'string' ? { interval: options.repeat } : options.repeat;
    return defined({
      schedule_type: scheduleType,
      when: options.when,
      payload,
      repeat,
      callback_url: options.callbackUrl,
      callback_window: options.callbackWindow,
      timezone: options.timezone,
      metadata: options.metadata,
      policy: options.policy,
      retry: options.retry,
      run_context: options.runContext,
      delivery: options.delivery,
      adaptive: options.adaptive,
      budget: options.budget,
    });
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.extraHeaders,
      ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      ...(this.tenant ? { 'x-pulse-tenant': this.tenant } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    };
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const what = `${method} ${path}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url.toString(), {
        method,
        headers,
        signal: timeout,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      text = await response.text();
    } catch (err) {
      if (timeout.aborted) {
        throw new PulseTimeoutError(
          `${what}: Pulse at ${this.baseUrl} did not answer within ${this.timeoutMs} ms.`,
          this.baseUrl,
          { cause: err },
        );
      }
      throw new PulseConnectionError(
        `Cannot reach Pulse at ${this.baseUrl}: ${describeFailure(err)}.`,
        this.baseUrl,
        { cause: err },
      );
    }
    let body: unknown;
    let isJson = true;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      isJson = false;
    }
    if (!response.ok && !options.acceptStatuses?.includes(response.status)) {
      const snippet = text.trim().slice(0, 200);
      const fallback = `${what} answered ${response.status} ${response.statusText}${snippet && !isJson ? `: ${snippet}` : ''}`;
      throw apiErrorFor(response.status, isJson ? body : undefined, fallback, what, response.headers);
    }
    if (!isJson) {
      throw new PulseClientError(
        `${what} answered ${response.status} with a body that is not JSON; is ${this.baseUrl} a Pulse API?`,
      );
    }
    return body as T;
  }
}
