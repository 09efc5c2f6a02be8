/**
 * Turns a `POST /tasks/schedule` body the schema has validated (shapes, durations and their bounds) into everything
 * needed to start its workflow: the workflow input, the memo the Web UI shows, and the search attributes. What
 * needs more than the schema (the time, the time zone, the executor and what it accepts) is a 400 with a precise
 * reason, raised before anything is started.
 */
import type { Priority, SearchAttributePair } from '@temporalio/common';
import {
  DAY_MS,
  OVERLAP_FOR_MISSED,
  durationMs,
  type OverlapName,
  type PatchTaskRequest,
  type ScheduleTaskRequest,
} from '../api/schemas.js';
import { BadRequestError, TaskTooLargeError, type FieldError } from '../errors.js';
import { AGENT_SCHEDULE_TYPES, type ExecutorFactory } from '../executors/executor-factory.js';
import { agentHostProblem } from '../executors/agent-params.js';
import { resolveExecutor } from '../executors/resolve-executor.js';
import {
  PulseAgentId,
  PulseDueAt,
  PulseExecutor,
  PulseScheduleType,
  PulseStatus,
} from '../shared/search-attributes.js';
import { EXTERNAL_EXECUTOR } from '../shared/executor-names.js';
import {
  TASK_INPUT_VERSION,
  type AdaptivePolicy,
  type BudgetPolicy,
  type DeliveryPolicy,
  type RunContextOption,
  type RunRetryPolicy,
  type ScheduledTaskInput,
  type WebhookTarget,
} from '../shared/task-types.js';
import {
  WhenParseError,
  parseRepeat,
  parseWhen,
  type ParsedWhen,
  type RecurringWhen,
} from '../time/parse-when.js';
import { isValidTimeZone } from '../time/time-zone.js';
import type { TaskMemo, TaskView } from './task-view.js';

export interface BuildTaskDeps {
  readonly executors: ExecutorFactory;
  readonly now: Date;
  /** `PULSE_TIMEZONE`, for tasks that give none. */
  readonly defaultTimezone: string;
  /** `PULSE_CALLBACK_WINDOW`, for tasks that give no `callback_window`. */
  readonly callbackWindowMs?: number;
  readonly taskId: string;
  /** A changed task keeps when it was made (ISO); a new one is made `now`. */
  readonly createdAt?: string;
}

/** How a recurring task's schedule behaves (CONTRACT.md `policy`), durations in ms. */
export interface RecurrencePolicy {
  readonly overlap: OverlapName;
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
  /** The search attributes that describe what the task does (as opposed to where it stands), for a PATCH. */
  readonly attributes: {
    readonly scheduleType: string;
    readonly executor: string;
    readonly agentId: string | null;
  };
  /** Present for recurring tasks, which become Temporal Schedules. */
  readonly recurrence?: { readonly when: RecurringWhen; readonly policy: RecurrencePolicy };
  /** Temporal priority of its workflows (with tenants: the tenant's fairness key and weight). */
  readonly priority?: Priority;
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

/**
 * The most a task's own data (its memo: payload, metadata, settings) may take as JSON. Temporal keeps it twice in a
 * workflow's start and in each change (the input and the memo), and refuses any one of them over 2 MB (a change
 * then fails inside the workflow, leaving it stuck): half a mebibyte keeps every one of them well under.
 */
export const TASK_DATA_LIMIT_BYTES = 512 * 1024;

const DEFAULT_WEBHOOK_TIMEOUT_S = 30;
const DEFAULT_WEBHOOK_RETRIES = 3;
/** Room around a webhook push's own timeout, so the attempt ends by the push's timeout, not the run's. */
const WEBHOOK_TIMEOUT_MARGIN_MS = 5000;

function stringField(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
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
  const policy = parsed.kind === 'recurring' ? readPolicy(body.policy) : undefined;
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
    const hostProblem = agentHostProblem(payload.agent_host ?? metadata.agent_host);
    if (hostProblem) errors.push(hostProblem);
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

  const delivery = readDelivery(body.delivery, callbackUrl, errors);
  const retry = body.retry;
  const timeoutMs = durationMs(retry?.timeout);
  const callbackWindowMs = durationMs(body.callback_window) ?? deps.callbackWindowMs;
  const initialIntervalMs = durationMs(retry?.initial_interval);
  const maximumIntervalMs = durationMs(retry?.max_interval);
  if (errors.length > 0) {
    fail(
      'INVALID_TASK',
      `The task is not valid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`,
      errors,
    );
  }

  const choice = resolveExecutor(deps.executors, {
    scheduleType,
    payload,
    metadata,
    hasWebhook: webhook !== undefined,
  });
  if (!choice.ok) fail(choice.code, choice.detail);
  const executor = choice.executor;
  const runContext = readRunContext(body.run_context, isAgentTask, executor.name);
  const adaptive = readAdaptive(body, parsed, executor.name);
  const budget = readBudget(body.budget, timezone, executor.name);
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
    ...((callbackUrl || delivery?.failureUrl) && callbackWindowMs !== undefined ? { callbackWindowMs } : {}),
    ...(webhook ? { webhook } : {}),
    ...(timeoutMs !== undefined
      ? { timeoutMs }
      : webhook
        ? { timeoutMs: webhook.timeoutMs + WEBHOOK_TIMEOUT_MARGIN_MS }
        : {}),
    ...(retryPolicy ? { retry: retryPolicy } : {}),
    ...(runContext ? { runContext } : {}),
    ...(delivery ? { delivery } : {}),
    ...(adaptive ? { adaptive } : {}),
    ...(budget ? { budget } : {}),
  };

  const memo: TaskMemo = {
    schedule_type: scheduleType,
    payload,
    metadata,
    schedule_config: {
      when: body.when,
      timezone,
      due_at: dueAt.toISOString(),
      created_at: deps.createdAt ?? deps.now.toISOString(),
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
      ...(body.run_context != null && body.run_context !== false ? { run_context: body.run_context } : {}),
      ...(body.delivery ? { delivery: body.delivery } : {}),
      ...(body.adaptive ? { adaptive: body.adaptive } : {}),
      ...(body.budget ? { budget: body.budget } : {}),
    },
    ...(callbackUrl ? { callback_url: callbackUrl } : {}),
  };

  const size = Buffer.byteLength(JSON.stringify(memo));
  if (size > TASK_DATA_LIMIT_BYTES) {
    throw new TaskTooLargeError(
      `The task's payload, metadata and settings take ${size} bytes as JSON; a task holds at most ` +
        `${TASK_DATA_LIMIT_BYTES} (Temporal keeps them in the workflow's input and memo). Keep large data ` +
        'elsewhere and pass a reference to it.',
    );
  }

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
    attributes: { scheduleType, executor: executor.name, agentId: agentId ?? null },
    ...(parsed.kind === 'recurring' && policy ? { recurrence: { when: parsed, policy } } : {}),
  };
}

/** A field that needs a run Pulse makes, on a task left to an external worker: a 400 naming it. */
function refuseForExternalWorker(field: string, why: string): never {
  fail(
    'INVALID_TASK',
    `${why}; this task is left to an external worker (GET /tasks/poll), which reads the task itself. Give it a ` +
      `webhook_url, or leave ${field} out.`,
    [{ field, message: 'is not available for tasks left to external workers' }],
  );
}

/** The keyword argument an agent's run context goes under when the task names none. */
export const DEFAULT_CONTEXT_KWARG = 'pulse_context';

/**
 * `run_context`: agents get it as a keyword argument, HTTP calls as headers. A task left to an external worker
 * has no run Pulse makes, so nothing to give it to: refused rather than ignored.
 */
function readRunContext(
  option: ScheduleTaskRequest['run_context'],
  isAgentTask: boolean,
  executor: string,
): RunContextOption | undefined {
  if (option == null || option === false) return undefined;
  if (executor === EXTERNAL_EXECUTOR) {
    refuseForExternalWorker('run_context', 'run_context needs a run Pulse makes, and hands it the context');
  }
  if (!isAgentTask) return {};
  return { kwarg: option === true ? DEFAULT_CONTEXT_KWARG : option.kwarg };
}

/**
 * `adaptive`: `when` is the first run, and each run's result sets the next. It is a kind of its own, so it takes
 * no recurrence; and the result must come from a run Pulse makes, not from an external worker's ack.
 */
function readAdaptive(
  body: ScheduleTaskRequest,
  parsed: ParsedWhen,
  executor: string,
): AdaptivePolicy | undefined {
  const adaptive = body.adaptive;
  if (adaptive == null) return undefined;
  if (parsed.kind === 'recurring') {
    fail(
      'CONFLICTING_RECURRENCE',
      'An adaptive task picks its own next run: give "when" as its first run only (e.g. "now" or "in 5 minutes"), ' +
        'without a recurrence or "repeat".',
      [{ field: 'adaptive', message: 'cannot be combined with a recurring when or repeat' }],
    );
  }
  if (executor === EXTERNAL_EXECUTOR) {
    refuseForExternalWorker(
      'adaptive',
      'An adaptive task reads its next run from the result of a run Pulse makes',
    );
  }
  return {
    minIntervalMs: durationMs(adaptive.min_interval)!,
    maxIntervalMs: durationMs(adaptive.max_interval)!,
    ...(adaptive.times != null ? { times: adaptive.times } : {}),
  };
}

/** `budget`: its periods are the task's days or months; the usage comes from runs Pulse makes. */
function readBudget(
  budget: ScheduleTaskRequest['budget'],
  timeZone: string,
  executor: string,
): BudgetPolicy | undefined {
  if (budget == null) return undefined;
  if (executor === EXTERNAL_EXECUTOR) {
    refuseForExternalWorker('budget', 'A budget counts the usage that runs Pulse makes report');
  }
  return {
    period: budget.period,
    timeZone,
    ...(budget.tokens != null ? { tokens: budget.tokens } : {}),
    ...(budget.cost != null ? { cost: budget.cost } : {}),
    ...(budget.usage_path ? { usagePath: budget.usage_path } : {}),
  };
}

/** `delivery`, checked against the task's destinations; problems are added to `errors`. */
function readDelivery(
  delivery: ScheduleTaskRequest['delivery'],
  callbackUrl: string | undefined,
  errors: FieldError[],
): DeliveryPolicy | undefined {
  if (delivery == null) return undefined;
  const mode = delivery.mode ?? 'always';
  const failureUrl = delivery.failure_url ?? undefined;
  const alertAfter = delivery.alert_after ?? undefined;
  if (!callbackUrl && !failureUrl) {
    errors.push({
      field: 'delivery',
      message: 'needs a destination: give callback_url (or metadata.callback_url) or delivery.failure_url',
    });
  }
  if (mode === 'always' && !failureUrl && alertAfter === undefined) return undefined;
  return {
    mode,
    ...(failureUrl ? { failureUrl } : {}),
    ...(alertAfter !== undefined ? { alertAfter } : {}),
  };
}

/** Runs of a schedule are due when the schedule starts them, so their input carries no due time. */
function withoutDueTime(input: ScheduledTaskInput): ScheduledTaskInput {
  const { dueAtMs: _dueAtMs, ...rest } = input;
  return rest;
}

/**
 * Temporal's catch-up window for each `missed` choice. `skip`: its minimum, so a time later than that is dropped.
 * `latest` and `all`: a year (Temporal's default), so every missed time reaches the overlap policy, which then
 * starts one (skip: the others overlap the first and are dropped) or all in turn (buffer_all).
 */
const MISSED_CATCHUP_MS = { skip: 10_000, latest: 365 * DAY_MS, all: 365 * DAY_MS } as const;

function readPolicy(policy: ScheduleTaskRequest['policy']): RecurrencePolicy {
  const missed = policy?.missed ?? undefined;
  const catchupWindowMs = missed ? MISSED_CATCHUP_MS[missed] : durationMs(policy?.catchup_window);
  const jitterMs = durationMs(policy?.jitter);
  return {
    overlap: policy?.overlap ?? (missed ? OVERLAP_FOR_MISSED[missed][0] : 'skip'),
    pauseOnFailure: policy?.pause_on_failure ?? false,
    ...(catchupWindowMs !== undefined ? { catchupWindowMs } : {}),
    ...(jitterMs !== undefined ? { jitterMs } : {}),
  };
}

/** Whether a patch changes what the task does or when, as opposed to only pausing or resuming it. */
export function changesWork(patch: PatchTaskRequest): boolean {
  return (
    patch.when !== undefined ||
    patch.repeat !== undefined ||
    patch.payload !== undefined ||
    patch.metadata !== undefined ||
    patch.timezone !== undefined
  );
}

/** Rebuilds the request a task was scheduled with, with a patch applied, so it is validated like a new one. */
export function patchedRequest(view: TaskView, patch: PatchTaskRequest): ScheduleTaskRequest {
  const config = view.schedule_config;
  return {
    schedule_type: view.schedule_type,
    when: (patch.when ?? config.when) as ScheduleTaskRequest['when'],
    payload: patch.payload ?? view.payload,
    metadata: patch.metadata ?? view.metadata,
    // A new `when` without a `repeat` replaces the recurrence too.
    repeat: (patch.repeat !== undefined
      ? patch.repeat
      : patch.when !== undefined
        ? undefined
        : config.repeat) as ScheduleTaskRequest['repeat'],
    timezone: patch.timezone ?? (config.timezone as string | undefined),
    policy: config.policy as ScheduleTaskRequest['policy'],
    retry: config.retry as ScheduleTaskRequest['retry'],
    webhook_url: config.webhook_url as string | undefined,
    webhook_timeout: config.webhook_timeout as number | undefined,
    webhook_retries: config.webhook_retries as number | undefined,
    // A patched metadata.callback_url replaces the callback; otherwise the task keeps the one it has.
    callback_url:
      patch.metadata && typeof patch.metadata.callback_url === 'string'
        ? patch.metadata.callback_url
        : (view.callback_url ?? undefined),
    callback_window: config.callback_window as string | undefined,
    run_context: config.run_context as ScheduleTaskRequest['run_context'],
    delivery: config.delivery as ScheduleTaskRequest['delivery'],
    adaptive: config.adaptive as ScheduleTaskRequest['adaptive'],
    budget: config.budget as ScheduleTaskRequest['budget'],
  };
}
