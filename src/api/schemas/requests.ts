/**
 * What the API reads: the bodies of `POST /tasks` and `PATCH /tasks/{id}` with the recurrence, retry and policy
 * objects inside them, the task id in the path, and the query strings of the task routes.
 */
import { z } from '@hono/zod-openapi';
import { MAX_AHEAD_MS, MAX_AHEAD_WORDS } from '../../time/duration.js';
import {
  AT_MOST_A_DAY,
  AT_MOST_MAX_AHEAD,
  DAY_MS,
  HttpUrl,
  JsonObject,
  TaskStatusEnum,
  UnixSeconds,
  duration,
  durationMs,
} from './fields.js';

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
    initial_interval: duration(AT_MOST_A_DAY, {
      example: '1s',
      description: 'Wait before the first retry (default 1s)',
    }).nullish(),
    backoff: z.number().min(1).max(10).nullish(),
    max_interval: duration(AT_MOST_A_DAY, {
      example: '1m',
      description: 'Longest wait between retries (default 1m); not shorter than initial_interval',
    }).nullish(),
    timeout: duration(AT_MOST_A_DAY, { example: '10m', description: 'Timeout of one attempt' }).nullish(),
  })
  .superRefine((retry, ctx) => {
    const initialMs = durationMs(retry.initial_interval);
    const maximumMs = durationMs(retry.max_interval);
    if (initialMs !== undefined && maximumMs !== undefined && maximumMs < initialMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_interval'],
        message: 'must not be shorter than retry.initial_interval',
      });
    }
  })
  .openapi('RetryPolicy');

export const OverlapPolicy = z.enum([
  'skip',
  'buffer_one',
  'buffer_all',
  'allow_all',
  'cancel_other',
  'terminate_other',
]);

export type OverlapName = z.infer<typeof OverlapPolicy>;

/** What happens to the times a recurring task missed while Temporal or Pulse was down (docs/recurring.md). */
export const MissedPolicy = z.enum(['skip', 'latest', 'all']);

/** The overlap policies each `missed` choice works with; the first is its default. */
export const OVERLAP_FOR_MISSED = {
  skip: OverlapPolicy.options,
  latest: ['skip'],
  all: ['buffer_all', 'allow_all'],
} as const satisfies Record<z.infer<typeof MissedPolicy>, readonly OverlapName[]>;

export const PolicySchema = z
  .object({
    overlap: OverlapPolicy.nullish().openapi({
      description: 'What to do when a run is due while the previous one is still running (default skip)',
    }),
    // Temporal refuses catch-up windows under 10 s.
    catchup_window: duration(
      { ...AT_MOST_MAX_AHEAD, minMs: 10_000, range: `at least 10s and at most ${MAX_AHEAD_WORDS}` },
      { example: '10m', description: 'How late a missed run may still start (e.g. after an outage)' },
    ).nullish(),
    jitter: duration(AT_MOST_MAX_AHEAD, {
      example: '30s',
      description: 'Each run starts up to this much later, at random, to spread load',
    }).nullish(),
    pause_on_failure: z.boolean().nullish(),
    missed: MissedPolicy.nullish().openapi({
      description:
        'Times missed while Temporal or Pulse was down: skip (none run), latest (one run catches up), all ' +
        '(each runs, one after another). Sets the catch-up window; default: one run catches up',
    }),
  })
  .strict()
  .superRefine((policy, ctx) => {
    if (!policy.missed) return;
    if (policy.catchup_window != null) {
      ctx.addIssue({
        code: 'custom',
        path: ['missed'],
        message: 'cannot be combined with policy.catchup_window: missed sets the catch-up window itself',
      });
    }
    const fits: readonly string[] = OVERLAP_FOR_MISSED[policy.missed];
    if (policy.overlap != null && !fits.includes(policy.overlap)) {
      ctx.addIssue({
        code: 'custom',
        path: ['overlap'],
        message: `must be ${fits.join(' or ')} with missed: ${policy.missed} (got ${policy.overlap})`,
      });
    }
  })
  .openapi('RecurrencePolicy');

/** `run_context`: each run receives its context (docs/agent-runs.md). */
export const RunContextSchema = z
  .union([
    z.boolean(),
    z
      .object({
        kwarg: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a Python identifier (letters, digits and _)')
          .openapi({ example: 'pulse_context' }),
      })
      .strict(),
  ])
  .openapi('RunContextOption', {
    description:
      'Give each run its context (task and execution id, scheduled_for, run number, previous run, next run). ' +
      'Agents receive it as a keyword argument (true: pulse_context, or {"kwarg": name}); http_request and ' +
      'webhook tasks as x-pulse-* headers',
  });

export const DeliveryMode = z.enum(['always', 'on_change', 'on_failure']);

/** `delivery`: which runs' callbacks are sent, where failures go, alerts (docs/agent-runs.md). */
export const DeliverySchema = z
  .object({
    mode: DeliveryMode.nullish().openapi({
      description:
        'always (every run, the default), on_change (only a run whose outcome differs from the previous run), ' +
        'on_failure (only failed runs). Runs not delivered are recorded as callback.status "skipped"',
    }),
    failure_url: HttpUrl.nullish().openapi({
      description: "Failed runs' callbacks, alerts and recovery notices go here instead of callback_url",
    }),
    alert_after: z.number().int().min(1).max(50).nullish().openapi({
      example: 3,
      description:
        'Send an alert after this many failed runs in a row, and a recovery notice at the next success',
    }),
  })
  .strict()
  .openapi('DeliveryPolicy');

/** `adaptive`: the agent's result sets each next run, within bounds (docs/agent-runs.md). */
export const AdaptiveSchema = z
  .object({
    min_interval: duration(
      { minMs: 1000, maxMs: MAX_AHEAD_MS, range: `at least 1s and at most ${MAX_AHEAD_WORDS}` },
      { example: '1m', description: 'The soonest a next run may follow a run' },
    ),
    max_interval: duration(
      { minMs: 1000, maxMs: MAX_AHEAD_MS, range: `at least 1s and at most ${MAX_AHEAD_WORDS}` },
      {
        example: '1d',
        description:
          'The latest a next run may follow a run; also the wait when the result names no next run or the run failed',
      },
    ),
    times: z
      .number()
      .int()
      .min(1)
      .nullish()
      .openapi({ description: 'Total runs, the first included; null = no end' }),
  })
  .strict()
  .superRefine((adaptive, ctx) => {
    const minMs = durationMs(adaptive.min_interval);
    const maxMs = durationMs(adaptive.max_interval);
    if (minMs !== undefined && maxMs !== undefined && maxMs < minMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_interval'],
        message: 'must not be shorter than adaptive.min_interval',
      });
    }
  })
  .openapi('Adaptive', {
    description:
      'The agent picks its next run: its result says "next_run_in" (seconds or a duration like "10m") or ' +
      '"next_run_at" (ISO-8601), kept between min_interval and max_interval after the run ends; null ends the task',
  });

/** `budget`: a spending limit per day or month, read from the usage each run reports (docs/agent-runs.md). */
export const BudgetSchema = z
  .object({
    period: z
      .enum(['day', 'month'])
      .openapi({ description: "Calendar day or month, in the task's time zone" }),
    tokens: z
      .number()
      .int()
      .min(1)
      .nullish()
      .openapi({ example: 200000, description: 'Most tokens per period' }),
    cost: z.number().positive().nullish().openapi({
      example: 5,
      description: 'Most cost per period, in the unit the agent reports (e.g. USD)',
    }),
    usage_path: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a dotted path such as body.meta.usage')
      .nullish()
      .openapi({
        example: 'body.meta.usage',
        description: "Where the run's usage is in its result (default: usage, or an HTTP call's body.usage)",
      }),
  })
  .strict()
  .refine((budget) => budget.tokens != null || budget.cost != null, {
    message: 'give tokens, cost or both',
  })
  .openapi('Budget');

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
    webhook_timeout: z.number().positive().max(3600).nullish().openapi({
      example: 30,
      description: 'Seconds to wait for webhook_url to answer (default 30, at most 3600)',
    }),
    webhook_retries: z.number().int().min(0).max(100).nullish(),
    callback_url: HttpUrl.nullish(),
    callback_window: duration(
      { minMs: 1000, maxMs: 30 * DAY_MS, range: 'between 1s and 30d' },
      {
        example: '24h',
        description: 'How long a failing callback is retried before it is recorded as failed (default 24h)',
      },
    ).nullish(),
    timezone: z.string().max(64).nullish().openapi({ example: 'Europe/Berlin' }),
    policy: PolicySchema.nullish(),
    retry: RetrySchema.nullish(),
    run_context: RunContextSchema.nullish(),
    delivery: DeliverySchema.nullish(),
    adaptive: AdaptiveSchema.nullish(),
    budget: BudgetSchema.nullish(),
  })
  // An unknown key is refused (422, naming it and what it probably meant), as PATCH does: a misspelt
  // `callbak_url` silently dropped would lose every result. Clients put their own fields in `metadata`.
  .strict()
  .openapi('ScheduleTaskRequest');
export type ScheduleTaskRequest = z.infer<typeof ScheduleTaskRequest>;

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

export type ListTasksQuery = z.infer<typeof ListTasksQuery>;

export const TaskIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'is not a task id (letters, digits and _ . : - only)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'task_3f2a9c1e6b7d4f0a8e5c2b1d9f6a3e7c' }),
});

export const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const ResultQuery = z.object({ execution_id: z.string().max(300).optional() });

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

/** Optional body of `POST /tasks/{id}/trigger`: input for that one run instead of the task's own. */
export const TriggerRequest = z
  .object({
    payload: JsonObject.optional().openapi({
      description: "This run's payload instead of the task's (validated as the task's would be)",
    }),
    params: JsonObject.optional().openapi({
      description: "Agent tasks: this run's keyword arguments instead of the task's payload.params",
      example: { topic: 'outage follow-up' },
    }),
  })
  .strict()
  .openapi('TriggerRequest');
export type TriggerRequest = z.infer<typeof TriggerRequest>;

export const PreviewQuery = z.object({ count: z.coerce.number().int().min(1).max(100).default(5) });

export const PreviewWhenQuery = z.object({
  when: z.string().min(1).max(200),
  timezone: z.string().max(64).optional(),
  count: z.coerce.number().int().min(1).max(100).default(5),
});
