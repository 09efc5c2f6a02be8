/**
 * Request and response schemas of the HTTP API. Each schema is the validator, the TypeScript type and the
 * OpenAPI document at once.
 */
import { z } from '@hono/zod-openapi';

const JsonObject = z.record(z.string(), z.unknown());

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).max(2048);

export const RepeatSchema = z
  .object({
    interval: z.string().min(1).max(50).nullish().openapi({ example: '2m' }),
    cron: z
      .string()
      .min(1)
      .max(200)
      .nullish()
      .openapi({ example: '0 */4 * * *', description: 'Instead of interval: a 5-field cron expression' }),
    times: z
      .number()
      .int()
      .min(1)
      .nullish()
      .openapi({ description: 'Total runs including the first; null = forever' }),
  })
  .openapi('Repeat');

export const WhenObjectSchema = z
  .object({
    type: z.string().min(1).max(20).openapi({ example: 'once' }),
    time: z.string().max(200).nullish().openapi({ example: '2026-12-01T09:00:00Z' }),
    delay: z.string().max(50).nullish().openapi({ example: '5m' }),
    natural: z.string().max(200).nullish().openapi({ example: 'in 5 minutes' }),
    cron: z.string().max(200).nullish(),
    timezone: z.string().max(64).nullish(),
    repeat: RepeatSchema.nullish(),
  })
  .openapi('WhenObject');

export const RetrySchema = z
  .object({
    max_attempts: z.number().int().min(1).max(100).nullish(),
    initial_interval: z.string().max(20).nullish().openapi({ example: '1s' }),
    backoff: z.number().min(1).max(10).nullish(),
    max_interval: z.string().max(20).nullish().openapi({ example: '1m' }),
    timeout: z.string().max(20).nullish().openapi({ example: '10m', description: 'Timeout of one attempt' }),
  })
  .openapi('RetryPolicy');

export const OverlapPolicy = z.enum(['skip', 'buffer_one', 'allow_all', 'cancel_other', 'terminate_other']);

export const PolicySchema = z
  .object({
    overlap: OverlapPolicy.nullish().openapi({
      description: 'What to do when a run is due while the previous one is still running (default skip)',
    }),
    catchup_window: z.string().max(20).nullish().openapi({ example: '10m' }),
    jitter: z.string().max(20).nullish().openapi({ example: '30s' }),
    pause_on_failure: z.boolean().nullish(),
  })
  .strict()
  .openapi('RecurrencePolicy');

export const ScheduleTaskRequest = z
  .object({
    schedule_type: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -')
      .openapi({ example: 'http_request' }),
    when: z.union([z.string().min(1).max(200), WhenObjectSchema]).openapi({ example: 'in 5 minutes' }),
    payload: JsonObject.openapi({ example: { url: 'https://example.com/hook', method: 'POST' } }),
    repeat: RepeatSchema.nullish(),
    metadata: JsonObject.nullish(),
    webhook_url: HttpUrl.nullish(),
    webhook_timeout: z.number().positive().max(3600).nullish(),
    webhook_retries: z.number().int().min(0).max(100).nullish(),
    callback_url: HttpUrl.nullish(),
    callback_window: z.string().max(20).nullish().openapi({
      example: '24h',
      description: 'How long a failing callback is retried before it is recorded as failed (default 24h)',
    }),
    timezone: z.string().max(64).nullish().openapi({ example: 'Europe/Berlin' }),
    policy: PolicySchema.nullish(),
    retry: RetrySchema.nullish(),
  })
  .openapi('ScheduleTaskRequest');
export type ScheduleTaskRequest = z.infer<typeof ScheduleTaskRequest>;

export const ScheduleTaskResponse = z
  .object({
    task_id: z.string(),
    schedule_type: z.string(),
    next_execution: z.string().nullable().openapi({ example: '2026-11-24T09:00:00Z' }),
    status: z.string().openapi({ example: 'active' }),
    workflow_id: z.string(),
    ui_url: z.string(),
  })
  .openapi('ScheduleTaskResponse');

export const RunView = z
  .object({
    execution_id: z.string(),
    status: z.string(),
    scheduled_for: z.string(),
    executed_at: z.number(),
    executed_at_iso: z.string(),
    execution_time_ms: z.number(),
    result: z.unknown(),
    error: z.string().nullable(),
    callback: JsonObject.nullable(),
  })
  .openapi('Run');

export const TaskView = z
  .object({
    id: z.string(),
    schedule_type: z.string(),
    created_at: z.number(),
    created_at_iso: z.string(),
    payload: JsonObject,
    schedule_config: JsonObject,
    status: z.string(),
    metadata: JsonObject,
    next_execution: z.number().nullable(),
    next_execution_iso: z.string().nullable(),
    executor: z.string().nullable(),
    workflow_id: z.string(),
    ui_url: z.string(),
    kind: z.enum(['once', 'recurring']),
    callback_url: z.string().nullable(),
    runs: z.array(RunView).optional(),
    last_run: RunView.nullable().optional(),
  })
  .openapi('Task');

export const TaskStatusEnum = z.enum(['active', 'processing', 'paused', 'completed', 'failed', 'cancelled']);

/** A time in a query string: whole unix seconds, from 1970 to the end of year 9999. */
const UnixSeconds = z.coerce
  .number({ error: 'must be a time in unix seconds (a whole number)' })
  .int({ error: 'must be a time in unix seconds (a whole number)' })
  .min(0)
  .max(253_402_300_799);

export const ListTasksQuery = z.object({
  status: TaskStatusEnum.optional(),
  schedule_type: z.string().max(100).optional(),
  agent_id: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
  cursor: z.string().max(4096).optional(),
  start_time: UnixSeconds.optional().openapi({
    description: 'Only tasks whose next execution is at or after this time (unix seconds)',
  }),
  end_time: UnixSeconds.optional().openapi({
    description: 'Only tasks whose next execution is at or before this time (unix seconds)',
  }),
});

export const ListTasksResponse = z
  .object({ tasks: z.array(TaskView), count: z.number(), next_cursor: z.string().nullable() })
  .openapi('TaskList');

export const TaskIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'is not a task id (letters, digits and _ . : - only)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'task_3f2a9c1e6b7d4f0a8e5c2b1d9f6a3e7c' }),
});

export const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const HistoryResponse = z
  .object({
    history: z.array(
      z.object({
        execution_id: z.string(),
        executed_at: z.number(),
        executed_at_iso: z.string(),
        status: z.string(),
        execution_time_ms: z.number(),
        error: z.string().nullable(),
        callback_status: z.string().nullable(),
      }),
    ),
  })
  .openapi('TaskHistory');

export const ResultQuery = z.object({ execution_id: z.string().max(300).optional() });

export const ResultResponse = z
  .object({
    status: z.enum(['completed', 'failed', 'cancelled', 'pending', 'not_found']).openapi({
      description:
        "The run's real outcome; `cancelled`: the task was cancelled while this run was in progress",
    }),
    result: z.unknown(),
    execution_id: z.string().nullable(),
    error: z.string().optional(),
    stored_at: z.string().optional().openapi({
      example: '2026-11-24T09:00:03Z',
      description: 'When the run finished and its result was stored',
    }),
  })
  .openapi('TaskResult');

export const CancelResponse = z
  .object({ status: z.literal('cancelled'), task_id: z.string() })
  .openapi('Cancelled');

export const ErrorResponse = z
  .object({
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Error');

export const ExecutorListResponse = z
  .object({
    executors: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        available: z.boolean(),
        reason: z.string().optional(),
      }),
    ),
    available: z.array(z.string()),
    default: z.string().nullable(),
  })
  .openapi('ExecutorList');

export const PatchTaskRequest = z
  .object({
    status: z.enum(['active', 'paused']).optional().openapi({ description: 'Pause or resume' }),
    when: z.union([z.string().min(1).max(200), WhenObjectSchema]).optional(),
    repeat: RepeatSchema.nullish(),
    timezone: z.string().max(64).optional(),
    metadata: JsonObject.optional(),
    payload: JsonObject.optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'give at least one of status, when, repeat, timezone, metadata, payload',
  })
  .openapi('PatchTaskRequest');
export type PatchTaskRequest = z.infer<typeof PatchTaskRequest>;

export const PreviewQuery = z.object({ count: z.coerce.number().int().min(1).max(100).default(5) });

export const PreviewResponse = z
  .object({
    task_id: z.string().optional(),
    kind: z.enum(['once', 'recurring']),
    timezone: z.string().optional(),
    next: z.array(z.string()),
  })
  .openapi('Preview');

export const PreviewWhenQuery = z.object({
  when: z.string().min(1).max(200),
  timezone: z.string().max(64).optional(),
  count: z.coerce.number().int().min(1).max(100).default(5),
});

export const TriggerResponse = z
  .object({ status: z.literal('triggered'), task_id: z.string() })
  .openapi('Triggered');

export const ResultsResponse = z
  .object({ task_id: z.string(), total_executions: z.number(), executions: z.array(RunView) })
  .openapi('TaskResults');

/**
 * How deep a JSON request body may nest objects and arrays, the body itself being level 1 (so a `payload` may
 * nest 63 levels in `POST /tasks/schedule`). Real bodies nest under 10. Past a few thousand levels
 * `JSON.stringify`, which Temporal's payload converter uses, overflows the stack; and what Pulse forwards is
 * wrapped in an envelope or two and read by agents' and receivers' parsers, some capped at 100 (Ruby's `json`)
 * or 128 (Rust's `serde_json`). 64 stays clear of all of them.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 34;
const BACKSLASH = 92;

/** A key read from the text for a path in a message; an invalid escape falls back to the text as written. */
function keyOf(quoted: string): string {
  try {
    return String(JSON.parse(quoted));
  } catch {
    return quoted.slice(1, -1);
  }
}

/**
 * The path (keys and indexes) at which a JSON text first nests deeper than `limit`, or undefined when it never
 * does. A single pass over the text with no parsing and no recursion, stopping at the first level too deep, so
 * a body 500,000 levels deep costs as little as a shallow one and never reaches `JSON.parse`.
 */
export function pathBeyondDepth(text: string, limit = MAX_JSON_DEPTH): string[] | undefined {
  // One entry per open container: its current key (object) or index (array).
  const path: (string | number)[] = [];
  let lastString = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) i++;
      }
      lastString = text.slice(start, i + 1);
    } else if (ch === '{' || ch === '[') {
      if (path.length >= limit) return path.map(String);
      path.push(ch === '[' ? 0 : '');
    } else if (ch === '}' || ch === ']') {
      path.pop();
    } else if (ch === ':' && path.length > 0) {
      path[path.length - 1] = keyOf(lastString);
    } else if (ch === ',' && typeof path[path.length - 1] === 'number') {
      path[path.length - 1] = (path[path.length - 1] as number) + 1;
    }
  }
  return undefined;
}
