/**
 * Turns a validated `POST /tasks/schedule` body into everything needed to start its workflow: the workflow
 * input, the memo the Web UI shows, and the search attributes. Every rejection is a 400 with a precise reason,
 * raised before anything is started.
 */
import type { SearchAttributePair } from '@temporalio/common';
import type { ScheduleTaskRequest } from '../api/schemas.js';
import { BadRequestError, type FieldError } from '../errors.js';
import { AGENT_SCHEDULE_TYPES, type ExecutorFactory } from '../executors/executor-factory.js';
import {
  PulseAgentId,
  PulseDueAt,
  PulseExecutor,
  PulseScheduleType,
  PulseStatus,
} from '../shared/search-attributes.js';
import {
  TASK_INPUT_VERSION,
  type RunRetryPolicy,
  type ScheduledTaskInput,
  type WebhookTarget,
} from '../shared/task-types.js';
import {
  WhenParseError,
  parseDelay,
  parseRepeat,
  parseWhen,
  type ParsedWhen,
  type RecurringWhen,
} from '../time/parse-when.js';
import { isValidTimeZone } from '../time/time-zone.js';
import { MAX_AHEAD_WORDS, isWithinMaxAhead } from '../time/duration.js';

export interface BuildTaskDeps {
  readonly executors: ExecutorFactory;
  readonly now: Date;
  /** `PULSE_TIMEZONE`, for tasks that give none. */
  readonly defaultTimezone: string;
  /** `PULSE_CALLBACK_WINDOW`, for tasks that give no `callback_window`. */
  readonly callbackWindowMs?: number;
  readonly taskId: string;
}

/** What the memo of a task's workflow holds: the request as the user meant it. */
export interface TaskMemo {
  readonly schedule_type: string;
  readonly payload: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly schedule_config: Record<string, unknown>;
  readonly callback_url?: string;
}

/** How a recurring task's schedule behaves (CONTRACT.md `policy`), durations in ms. */
export interface RecurrencePolicy {
  readonly overlap: 'skip' | 'buffer_one' | 'allow_all' | 'cancel_other' | 'terminate_other';
  readonly catchupWindowMs?: number;
  readonly jitterMs?: number;
  readonly pauseOnFailure: boolean;
}

export interface BuiltTask {
  readonly taskId: string;
  /** The first run. */
  readonly dueAt: Date;
  readonly input: ScheduledTaskInput;
  readonly memo: TaskMemo;
  readonly searchAttributes: SearchAttributePair[];
  /** Present for recurring tasks, which become Temporal Schedules. */
  readonly recurrence?: { readonly when: RecurringWhen; readonly policy: RecurrencePolicy };
}

/**
 * Parses `when` and `repeat` together: `repeat` turns a one-time `when` into the start of a recurrence, a
 * recurring `when` stands alone, and a recurrence of one run is simply a one-time task.
 */
export function parseSchedule(
  when: ScheduleTaskRequest['when'],
  repeat: ScheduleTaskRequest['repeat'],
  now: Date,
  timezone: string,
): ParsedWhen {
  const ctx = { now, timezone };
  let parsed = parseWhen(when, ctx);
  if (repeat != null) {
    if (parsed.kind === 'recurring') {
      throw new BadRequestError(
        'CONFLICTING_RECURRENCE',
        `when=${JSON.stringify(when)} is already recurring; give the recurrence either in "when" or in "repeat", not both.`,
      );
    }
    parsed = parseRepeat(repeat, ctx, parsed.at.getTime() > now.getTime() ? parsed.at : now);
  }
  if (parsed.kind === 'recurring' && parsed.times === 1) return { kind: 'once', at: parsed.at };
  return parsed;
}

const DEFAULT_WEBHOOK_TIMEOUT_S = 30;
const DEFAULT_WEBHOOK_RETRIES = 3;
const MAX_RUN_TIMEOUT_MS = 24 * 3_600_000;
const MAX_RETRY_INTERVAL_MS = 24 * 3_600_000;
const MAX_CALLBACK_WINDOW_MS = 30 * 24 * 3_600_000;
/** Room around a webhook push's own timeout, so the attempt ends by the push's timeout, not the run's. */
const WEBHOOK_TIMEOUT_MARGIN_MS = 5000;

function stringField(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function durationField(
  field: string,
  value: string | null | undefined,
  errors: FieldError[],
): number | undefined {
  if (value == null) return undefined;
  const ms = parseDelay(value);
  if (ms === undefined || ms <= 0) {
    errors.push({ field, message: `'${value}' is not a duration such as 500ms, 30s, 5m or 1h` });
    return undefined;
  }
  return ms;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function fail(code: string, detail: string, errors?: FieldError[]): never {
  throw new BadRequestError(code, detail, errors);
}

export function buildTask(body: ScheduleTaskRequest, deps: BuildTaskDeps): BuiltTask {
  const scheduleType = body.schedule_type;
  const payload = body.payload;
  const metadata = body.metadata ?? {};
  const isAgentTask = AGENT_SCHEDULE_TYPES.has(scheduleType);

  const timezone = body.timezone ?? deps.defaultTimezone;
  if (!isValidTimeZone(timezone)) {
    fail(
      'INVALID_TIMEZONE',
      `timezone '${timezone}' is not an IANA time zone name such as 'Europe/Berlin' or 'UTC'.`,
    );
  }
  let parsed: ParsedWhen;
  try {
    parsed = parseSchedule(body.when, body.repeat, deps.now, timezone);
  } catch (err) {
    if (err instanceof WhenParseError) {
      const field =
        body.repeat != null && !err.message.includes(JSON.stringify(body.when)) ? 'repeat' : 'when';
      fail('INVALID_WHEN', err.message, [{ field, message: err.message }]);
    }
    throw err;
  }
  // A one-time time in the past is due now (CONTRACT.md), and reported as such.
  const dueAt = parsed.at.getTime() < deps.now.getTime() ? deps.now : parsed.at;

  const errors: FieldError[] = [];
  const policy = parsed.kind === 'recurring' ? readPolicy(body.policy, errors) : undefined;
  if (parsed.kind === 'once' && body.policy != null) {
    errors.push({ field: 'policy', message: 'applies to recurring tasks only; this task runs once' });
  }
  let agentId: string | undefined;
  if (isAgentTask) {
    agentId = stringField(payload, 'agent_id');
    if (!agentId)
      errors.push({ field: 'payload.agent_id', message: `is required for ${scheduleType} tasks` });
    if (!stringField(payload, 'entrypoint_tag')) {
      errors.push({ field: 'payload.entrypoint_tag', message: `is required for ${scheduleType} tasks` });
    }
    const params = payload.params;
    if (params != null && (typeof params !== 'object' || Array.isArray(params))) {
      errors.push({ field: 'payload.params', message: 'must be an object of keyword arguments' });
    }
  }

  const metadataCallback = metadata.callback_url;
  if (metadataCallback != null && (typeof metadataCallback !== 'string' || !isHttpUrl(metadataCallback))) {
    errors.push({ field: 'metadata.callback_url', message: 'must be an absolute http(s) URL' });
  }
  // For agent and http_request tasks the Python SDK sends the callback URL both in metadata and as webhook_url:
  // they are one destination, delivered once.
  const callbackUrl =
    body.callback_url ??
    (typeof metadataCallback === 'string' ? metadataCallback : undefined) ??
    (scheduleType === 'http_request' || isAgentTask ? (body.webhook_url ?? undefined) : undefined);
  const webhook: WebhookTarget | undefined =
    !isAgentTask && scheduleType !== 'http_request' && body.webhook_url
      ? { url: body.webhook_url, timeoutMs: (body.webhook_timeout ?? DEFAULT_WEBHOOK_TIMEOUT_S) * 1000 }
      : undefined;

  const retry = body.retry;
  const timeoutMs = durationField('retry.timeout', retry?.timeout, errors);
  if (timeoutMs !== undefined && timeoutMs > MAX_RUN_TIMEOUT_MS) {
    errors.push({ field: 'retry.timeout', message: 'must be at most 24h' });
  }
  const callbackWindowMs =
    durationField('callback_window', body.callback_window, errors) ?? deps.callbackWindowMs;
  if (
    callbackWindowMs !== undefined &&
    (callbackWindowMs < 1000 || callbackWindowMs > MAX_CALLBACK_WINDOW_MS)
  ) {
    errors.push({ field: 'callback_window', message: 'must be between 1s and 30d' });
  }
  const initialIntervalMs = durationField('retry.initial_interval', retry?.initial_interval, errors);
  const maximumIntervalMs = durationField('retry.max_interval', retry?.max_interval, errors);
  for (const [field, ms] of [
    ['retry.initial_interval', initialIntervalMs],
    ['retry.max_interval', maximumIntervalMs],
  ] as const) {
    if (ms !== undefined && ms > MAX_RETRY_INTERVAL_MS)
      errors.push({ field, message: 'must be at most 24h' });
  }
  if (
    initialIntervalMs !== undefined &&
    maximumIntervalMs !== undefined &&
    maximumIntervalMs < initialIntervalMs
  ) {
    errors.push({ field: 'retry.max_interval', message: 'must not be shorter than retry.initial_interval' });
  }
  if (errors.length > 0) {
    fail(
      'INVALID_TASK',
      `The task is not valid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`,
      errors,
    );
  }

  const requested =
    stringField(payload, 'executor_type') ??
    stringField(metadata, 'executor_type') ??
    localFlag(payload.local ?? metadata.local);
  const hasAgentHost = [
    payload.agent_host,
    payload.agent_port,
    metadata.agent_host,
    metadata.agent_port,
  ].some((v) => v != null);
  const choice = deps.executors.choose({
    scheduleType,
    requested,
    hasWebhook: webhook !== undefined,
    hasAgentHost,
  });
  if (!choice.ok) fail(choice.code, choice.detail);
  const executor = choice.executor;
  const problems = executor.validateParams({ scheduleType, payload, metadata, webhook });
  if (problems.length > 0) {
    fail(
      'INVALID_PAYLOAD',
      `The payload is not valid for the '${executor.name}' executor: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
      problems,
    );
  }

  const retryPolicy: RunRetryPolicy | undefined =
    retry || webhook
      ? {
          maximumAttempts:
            retry?.max_attempts ?? (webhook ? (body.webhook_retries ?? DEFAULT_WEBHOOK_RETRIES) + 1 : 3),
          initialIntervalMs: initialIntervalMs ?? 1000,
          backoffCoefficient: retry?.backoff ?? 2,
          maximumIntervalMs: maximumIntervalMs ?? Math.max(60_000, initialIntervalMs ?? 0),
        }
      : undefined;

  const input: ScheduledTaskInput = {
    version: TASK_INPUT_VERSION,
    taskId: deps.taskId,
    scheduleType,
    executor: executor.name,
    payload,
    metadata,
    dueAtMs: dueAt.getTime(),
    ...(callbackUrl ? { callbackUrl } : {}),
    ...(callbackUrl && callbackWindowMs !== undefined ? { callbackWindowMs } : {}),
    ...(webhook ? { webhook } : {}),
    ...(timeoutMs !== undefined
      ? { timeoutMs }
      : webhook
        ? { timeoutMs: webhook.timeoutMs + WEBHOOK_TIMEOUT_MARGIN_MS }
        : {}),
    ...(retryPolicy ? { retry: retryPolicy } : {}),
  };

  const memo: TaskMemo = {
    schedule_type: scheduleType,
    payload,
    metadata,
    schedule_config: {
      when: body.when,
      timezone,
      due_at: dueAt.toISOString(),
      created_at: deps.now.toISOString(),
      ...(body.repeat ? { repeat: body.repeat } : {}),
      ...(parsed.kind === 'recurring'
        ? { recurrence: { spec: parsed.spec, timezone: parsed.timezone, times: parsed.times } }
        : {}),
      ...(body.retry ? { retry: body.retry } : {}),
      ...(body.policy ? { policy: body.policy } : {}),
      ...(body.webhook_url ? { webhook_url: body.webhook_url } : {}),
      ...(body.callback_window ? { callback_window: body.callback_window } : {}),
      ...(body.webhook_timeout != null ? { webhook_timeout: body.webhook_timeout } : {}),
      ...(body.webhook_retries != null ? { webhook_retries: body.webhook_retries } : {}),
    },
    ...(callbackUrl ? { callback_url: callbackUrl } : {}),
  };

  const searchAttributes: SearchAttributePair[] = [
    { key: PulseScheduleType, value: scheduleType },
    { key: PulseExecutor, value: executor.name },
    { key: PulseStatus, value: 'active' },
    { key: PulseDueAt, value: dueAt },
    ...(agentId ? [{ key: PulseAgentId, value: agentId }] : []),
  ];

  return {
    taskId: deps.taskId,
    dueAt,
    input: parsed.kind === 'recurring' ? withoutDueTime(input) : input,
    memo,
    searchAttributes,
    ...(parsed.kind === 'recurring' && policy ? { recurrence: { when: parsed, policy } } : {}),
  };
}

/** Runs of a schedule are due when the schedule starts them, so their input carries no due time. */
function withoutDueTime(input: ScheduledTaskInput): ScheduledTaskInput {
  const { dueAtMs: _dueAtMs, ...rest } = input;
  return rest;
}

function readPolicy(policy: ScheduleTaskRequest['policy'], errors: FieldError[]): RecurrencePolicy {
  const catchupWindowMs = durationField('policy.catchup_window', policy?.catchup_window, errors);
  const jitterMs = durationField('policy.jitter', policy?.jitter, errors);
  // Temporal refuses catch-up windows under 10 s.
  if (catchupWindowMs !== undefined && catchupWindowMs < 10_000) {
    errors.push({ field: 'policy.catchup_window', message: 'must be at least 10s' });
  }
  for (const [field, ms] of [
    ['policy.catchup_window', catchupWindowMs],
    ['policy.jitter', jitterMs],
  ] as const) {
    if (ms !== undefined && !isWithinMaxAhead(ms)) {
      errors.push({ field, message: `must be at most ${MAX_AHEAD_WORDS}` });
    }
  }
  return {
    overlap: policy?.overlap ?? 'skip',
    pauseOnFailure: policy?.pause_on_failure ?? false,
    ...(catchupWindowMs !== undefined ? { catchupWindowMs } : {}),
    ...(jitterMs !== undefined ? { jitterMs } : {}),
  };
}

/** The SDK's `local: true|false` forces the local or the serverless executor. */
function localFlag(value: unknown): string | undefined {
  if (value === true) return 'local';
  if (value === false) return 'serverless';
  return undefined;
}
