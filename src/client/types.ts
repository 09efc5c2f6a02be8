/**
 * Wire types of the HTTP API, derived from the API's own zod schemas. Imported as types only: a program that
 * uses the client never loads zod, Hono or any server code.
 */
import type { z } from '@hono/zod-openapi';
import type { Health as HealthSchema } from '../api/health.js';
import type {
  AdaptiveSchema,
  BudgetSchema,
  CancelResponse,
  DeliverySchema,
  ErrorResponse,
  ExecutorListResponse,
  HistoryResponse,
  ListTasksResponse,
  PatchTaskRequest,
  PolicySchema,
  PreviewResponse,
  RepeatSchema,
  ResultResponse,
  ResultsResponse,
  RetrySchema,
  RunContextSchema,
  RunView,
  ScheduleTaskRequest,
  ScheduleTaskResponse,
  TaskStatusEnum,
  TaskView,
  TriggerRequest,
  TriggerResponse,
  WhenObjectSchema,
} from '../api/schemas.js';

/** The body of `POST /tasks/schedule`, as a caller may write it (optional fields may be `null`). */
export type ScheduleRequest = z.input<typeof ScheduleTaskRequest>;
export type ScheduleResponse = z.infer<typeof ScheduleTaskResponse>;
/** `when` in object form: `{type: "once", delay: "5m"}`, `{type: "cron", cron: "0 9 * * 1-5"}`, ... */
export type WhenObject = z.input<typeof WhenObjectSchema>;
/** A `when` string (`"in 5 minutes"`, `"every weekday at 9am"`, ISO-8601, cron, `"5m"`, `"now"`) or object. */
export type When = string | WhenObject;
export type Repeat = z.input<typeof RepeatSchema>;
export type Policy = z.input<typeof PolicySchema>;
export type RetryPolicy = z.input<typeof RetrySchema>;
/** `true` (agents: the keyword argument `pulse_context`) or `{kwarg: "ctx"}`. */
export type RunContextOption = z.input<typeof RunContextSchema>;
/** `{mode: "always" | "on_change" | "on_failure", failure_url?, alert_after?}`. */
export type Delivery = z.input<typeof DeliverySchema>;
/** `{min_interval, max_interval, times?}`: the agent's result sets each next run within these bounds. */
export type Adaptive = z.input<typeof AdaptiveSchema>;
/** `{period: "day" | "month", tokens?, cost?, usage_path?}`: a spending limit per period. */
export type Budget = z.input<typeof BudgetSchema>;
/** The body of `PATCH /tasks/{id}`. */
export type TaskPatch = z.input<typeof PatchTaskRequest>;

export type TaskStatus = z.infer<typeof TaskStatusEnum>;
export type Task = z.infer<typeof TaskView>;
export type Run = z.infer<typeof RunView>;
export type TaskList = z.infer<typeof ListTasksResponse>;
export type TaskHistory = z.infer<typeof HistoryResponse>;
export type TaskResult = z.infer<typeof ResultResponse>;
export type TaskResults = z.infer<typeof ResultsResponse>;
export type CancelResult = z.infer<typeof CancelResponse>;
export type TriggerResult = z.infer<typeof TriggerResponse>;
export type TriggerInput = z.input<typeof TriggerRequest>;
export type Preview = z.infer<typeof PreviewResponse>;
export type ExecutorList = z.infer<typeof ExecutorListResponse>;
/** The body of every 4xx/5xx answer: `{detail, code, errors?}`. */
export type ErrorBody = z.infer<typeof ErrorResponse>;
export type FieldError = NonNullable<ErrorBody['errors']>[number];
/** `GET /health`: answered with 200 when `ok`, 503 when `degraded`; the client returns both. */
export type Health = HealthSchema;
