/**
 * The tools agents use to schedule their own future work. Each is defined once here; `GET /meta/tools`,
 * `POST /tools/{name}` and the MCP server at `/mcp` are all built from this list.
 */
import { z } from '@hono/zod-openapi';
import type { LedgerService } from '../../ledger/ledger-service.js';
import {
  ListTasksQuery,
  ListTasksResponse,
  OccurrencesQuery,
  OccurrencesResponse,
  PreviewResponse,
  RunView,
  ScheduleTaskRequest,
  ScheduleTaskResponse,
  TaskView,
  TriggerRequest,
  TriggerResponse,
} from '../schemas.js';
import { defineTool, type PulseTool } from './define-tool.js';

/** The `when` strings Pulse understands, as schedule_task and preview_schedule both explain them. */
const WHEN_FORMS =
  'A string is one of: "now"; an ISO-8601 time ("2026-12-01T09:00:00Z"; without an offset it is wall-clock ' +
  'time in `timezone`); a delay ("90s", "5m", "2h", "1d", "1w"); a one-time phrase ("in 5 minutes", ' +
  '"tomorrow at 9am", "today at 7:45pm", "next monday at 9am", "dec 25 10am", "noon"); a recurring phrase ' +
  '("every 5 minutes", "hourly", "daily at 9am", "every weekday at 9am", "every monday at 9am"); or a 5-field ' +
  'cron expression ("0 9 * * 1-5" = 09:00 Monday to Friday). A recurring phrase or cron makes a recurring task; ' +
  'a one-time time already past runs now.';

const WHEN_EXAMPLES = [
  'in 5 minutes',
  'tomorrow at 9am',
  'every weekday at 9am',
  '0 9 * * 1-5',
  '2026-12-01T09:00:00Z',
];

const TIMEZONE_DESCRIPTION =
  'IANA time zone in which natural-language, calendar and cron times are read, e.g. "Europe/Berlin" or ' +
  '"America/New_York". Default: the server\'s (UTC unless configured).';

const TaskId = z
  .string()
  .min(1)
  .max(200)
  .meta({
    description: 'The task id: `task_id` from schedule_task, or `id` from list_tasks.',
    examples: ['task_3f2a9c1e6b7d4f0a8e5c2b1d9f6a3e7c'],
  });

const TaskIdInput = z.object({ task_id: TaskId });

const field = ScheduleTaskRequest.shape;

/** The body of `POST /tasks/schedule`, field by field in words a model can act on. */
const ScheduleTaskInput = ScheduleTaskRequest.extend({
  schedule_type: field.schedule_type.meta({
    description:
      'What kind of task. "run_agent" (or "execute_agent") runs a RunAgent agent; "http_request" calls a URL; any ' +
      'other name is a generic task, POSTed to `webhook_url` when due, or handed to external workers ' +
      '(GET /tasks/poll) when there is no webhook_url.',
    examples: ['run_agent', 'http_request', 'send_report'],
  }),
  when: field.when.meta({
    description:
      `When to run. ${WHEN_FORMS} The object forms of the original API work too, e.g. {"type": "once", ` +
      '"delay": "5m"} or {"type": "cron", "cron": "0 9 * * 1-5"}. Unsure how a phrase is read? Call ' +
      'preview_schedule first.',
    examples: WHEN_EXAMPLES,
  }),
  payload: field.payload.meta({
    description:
      'What to do. run_agent: {"agent_id", "entrypoint_tag" (both required), "params": {...} (the agent\'s ' +
      'keyword arguments), "executor_type"?: "serverless" | "local" | "http", "agent_host"?, "agent_port"?, ' +
      '"user_id"?, "persistent_memory"?}. http_request: {"url" (required), "method" (default POST), "body"?, ' +
      '"headers"?, "timeout"? (seconds, default 30)}. Generic types: any object, passed on as it is.',
    examples: [
      { url: 'https://example.com/hook', method: 'POST', body: { hello: 'world' } },
      { agent_id: 'my-agent-id', entrypoint_tag: 'main', params: { topic: 'weekly report' } },
    ],
  }),
  repeat: field.repeat.meta({
    description:
      'Repeat at a fixed interval from `when`: {"interval": "2m", "times": 5} runs 5 times in all, the first at ' +
      '`when`; "times": null repeats until cancelled. {"cron": "0 */4 * * *"} runs on a cron instead, from ' +
      '`when` on. Omit for a one-time task, or for a recurring `when`.',
    examples: [{ interval: '2m', times: 5 }, { cron: '0 */4 * * *' }],
  }),
  metadata: field.metadata.meta({
    description:
      'Your own data, stored with the task and returned with it. callback_url, executor_type, agent_host and ' +
      'agent_port given here are honoured as if given at the top level.',
  }),
  webhook_url: field.webhook_url.meta({
    description:
      'Generic task types: the URL the task is POSTed to when due. For run_agent and http_request it is an alias of ' +
      'callback_url.',
  }),
  webhook_timeout: field.webhook_timeout.meta({ description: 'Seconds to wait for webhook_url to answer.' }),
  webhook_retries: field.webhook_retries.meta({ description: 'How often a failed webhook push is retried.' }),
  callback_url: field.callback_url.meta({
    description:
      'After every run Pulse POSTs {task_id, execution_id, status: "success" | "failed", result, ' +
      'execution_time_ms, timestamp, error?} here, retrying until it gets a 2xx.',
    examples: ['https://example.com/pulse-callback'],
  }),
  callback_window: field.callback_window.meta({
    description: 'How long a failing callback is retried before it is recorded as failed (default 24h).',
    examples: ['24h'],
  }),
  timezone: field.timezone.meta({ description: TIMEZONE_DESCRIPTION, examples: ['Europe/Berlin'] }),
  policy: field.policy.meta({
    description:
      'Recurring tasks: `overlap` is what happens when a run is due while the previous one still runs (skip ' +
      '(default), buffer_one, buffer_all, allow_all, cancel_other, terminate_other); `missed` what happens to ' +
      'times missed while the service was down (skip: none run; latest: one run catches up; all: each runs in ' +
      'turn); `catchup_window` ("10m") how late a missed run may still start, instead of `missed`; `jitter` ' +
      '("30s") a random delay per run; `pause_on_failure` pauses the task after a failed run.',
  }),
  retry: field.retry.meta({
    description:
      'Retries of an agent run: max_attempts, initial_interval ("1s"), backoff (multiplier), max_interval ("1m"), ' +
      'and timeout of one attempt ("10m").',
  }),
  run_context: field.run_context.meta({
    description:
      'Give each run its context {task_id, execution_id, scheduled_for, run_number, previous_run {status, ' +
      'finished_at, result_summary, error?} | null, next_run_at}. Agents receive it as a keyword argument: true ' +
      'names it pulse_context, {"kwarg": "ctx"} names it ctx (the agent must declare it). http_request and ' +
      'webhook tasks receive it as x-pulse-* headers.',
    examples: [true, { kwarg: 'ctx' }],
  }),
  delivery: field.delivery.meta({
    description:
      'Which runs are reported: mode "always" (default), "on_change" (only a run whose result or error differs ' +
      'from the previous run), "on_failure" (only failed runs); failure_url receives failed runs, alerts and ' +
      'recovery notices instead of callback_url; alert_after: N sends {"event": "alert"} after N failed runs in ' +
      'a row and {"event": "recovery"} at the next success. A result with "nothing_to_report": true is never ' +
      'delivered. Runs not delivered show callback.status "skipped" with the reason.',
    examples: [{ mode: 'on_change', alert_after: 3 }],
  }),
  adaptive: field.adaptive.meta({
    description:
      'Let the agent pick each next run: after a run, its result\'s "next_run_in" (seconds, or "10m") or ' +
      '"next_run_at" (ISO-8601) sets the next one, kept between min_interval and max_interval after the run; a ' +
      'failed run or a result without them waits max_interval; null for either ends the task; times caps the ' +
      'runs. `when` is the first run and must not recur.',
    examples: [{ min_interval: '5m', max_interval: '1d' }],
  }),
  budget: field.budget.meta({
    description:
      'A spending limit per "day" or "month" (in the task\'s time zone): tokens and/or cost. Each run\'s usage ' +
      'is read from its result (`usage` with total_tokens, prompt/completion or input/output tokens, and cost; ' +
      'or the object at usage_path). A run that would exceed the limit is held (not run) with the reason ' +
      '"budget"; the task runs again when the period turns. preview_schedule with the task_id shows the period\'s spend.',
    examples: [
      { period: 'day', tokens: 200000 },
      { period: 'month', cost: 20 },
    ],
  }),
});

const query = ListTasksQuery.shape;

const ListTasksInput = z.object({
  status: query.status.meta({ description: 'Only tasks in this status.' }),
  schedule_type: query.schedule_type.meta({
    description: 'Only tasks of this schedule_type.',
    examples: ['run_agent', 'http_request'],
  }),
  agent_id: query.agent_id.meta({ description: 'Only agent runs of this agent.' }),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .meta({ description: 'Most tasks to return (1 to 1000).' }),
  offset: z.number().int().min(0).max(100_000).default(0).meta({ description: 'Tasks to skip.' }),
  cursor: query.cursor.meta({
    description: 'The next_cursor of the previous page, to read the next one (instead of offset).',
  }),
  start_time: z
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Only tasks whose next run is at or after this time (unix seconds).' }),
  end_time: z
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Only tasks whose next run is at or before this time (unix seconds).' }),
});

/** The original's `get_task_details` contract: the task, its runs newest first, and how many there are. */
const TaskDetails = z.object({
  task: TaskView,
  execution_history: z.array(RunView).meta({ description: "The task's runs, newest first, with results." }),
  history_count: z.number(),
});

/** The original's `cancel_task` contract, with the API's own `status` kept alongside. */
const CancelToolResult = z.object({
  success: z.boolean(),
  task_id: z.string(),
  message: z.string(),
  status: z.literal('cancelled'),
});

const PreviewScheduleInput = z
  .object({
    when: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({
        description: `The schedule to check; nothing is scheduled. ${WHEN_FORMS}`,
        examples: WHEN_EXAMPLES,
      }),
    timezone: z
      .string()
      .max(64)
      .optional()
      .meta({ description: `With \`when\`: ${TIMEZONE_DESCRIPTION}`, examples: ['Europe/Berlin'] }),
    task_id: TaskId.optional().meta({
      description: 'Instead of `when`: an existing task, to see its own next fire times.',
    }),
    count: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .meta({ description: 'How many fire times (1 to 100).' }),
  })
  .refine((input) => (input.when === undefined) !== (input.task_id === undefined), {
    message: 'give exactly one of when (a schedule to check) and task_id (an existing task)',
  });

/** Every tool Pulse offers agents, in the order they are listed. */
export const PULSE_TOOLS: readonly PulseTool[] = [
  defineTool({
    name: 'schedule_task',
    title: 'Schedule a task',
    description:
      'Schedule future work, once or on a recurrence: run an AI agent (schedule_type "run_agent"), call a URL ' +
      '("http_request"), or hand a named task to a webhook or external workers. Returns task_id (keep it to ' +
      'inspect, pause or cancel the task) and next_execution (UTC). Example: {"schedule_type": "http_request", ' +
      '"when": "in 5 minutes", "payload": {"url": "https://example.com/hook", "method": "POST"}}. Recurring ' +
      'example: {"schedule_type": "run_agent", "when": "every weekday at 9am", "timezone": "Europe/Berlin", ' +
      '"payload": {"agent_id": "...", "entrypoint_tag": "main", "params": {}}, "callback_url": ' +
      '"https://example.com/done"}. A `when` that cannot be understood is an error naming forms that work; ' +
      'nothing is scheduled then.',
    input: ScheduleTaskInput,
    output: ScheduleTaskResponse,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    run: (tasks, input) => tasks.schedule(input),
  }),
  defineTool({
    name: 'list_tasks',
    title: 'List tasks',
    description:
      'List scheduled tasks, newest first, optionally only those with a given status (active, processing, ' +
      'paused, completed, failed, cancelled), schedule_type or agent_id, or whose next run falls between ' +
      'start_time and end_time (unix seconds). Returns {tasks, count, next_cursor}; ' +
      "pass next_cursor back as `cursor` for the next page. Use get_task_details for one task's runs and results.",
    input: ListTasksInput,
    output: ListTasksResponse,
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: (tasks, input) => tasks.list(input),
  }),
  defineTool({
    name: 'get_task_details',
    title: 'Get task details',
    description:
      'Everything about one task: its status (active = waiting for its next time, processing = running now, ' +
      'paused, completed, failed, cancelled), what it does (payload), when it runs next (next_execution_iso, UTC), ' +
      "its schedule (schedule_config), and its runs with each run's result or error (last_run is the latest). " +
      'Returns {task, execution_history (runs, newest first), history_count}.',
    input: TaskIdInput,
    output: TaskDetails,
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (tasks, input) => {
      const task = await tasks.get(input.task_id);
      const history = [...(task.runs ?? [])].reverse();
      return { task, execution_history: history, history_count: history.length };
    },
  }),
  defineTool({
    name: 'cancel_task',
    title: 'Cancel a task',
    description:
      'Cancel a task for good: it will not run again, and a run in progress is cancelled too. Cancelling a ' +
      'cancelled task succeeds again; a one-time task that already ran cannot be cancelled (error). To stop a ' +
      'task only for a while, use pause_task. Returns {success, task_id, message}.',
    input: TaskIdInput,
    output: CancelToolResult,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    run: async (tasks, input) => {
      const cancelled = await tasks.cancel(input.task_id);
      return {
        success: true,
        task_id: cancelled.task_id,
        message: `Task '${cancelled.task_id}' is cancelled; it will not run again.`,
        status: cancelled.status,
      };
    },
  }),
  defineTool({
    name: 'pause_task',
    title: 'Pause a task',
    description:
      'Pause a task: it keeps its schedule but does not run until resume_task. Returns the task as it now is ' +
      '(status "paused").',
    input: TaskIdInput,
    output: TaskView,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: (tasks, input) => tasks.patch(input.task_id, { status: 'paused' }),
  }),
  defineTool({
    name: 'resume_task',
    title: 'Resume a task',
    description:
      'Resume a paused task so it runs on its schedule again. Returns the task as it now is (status "active").',
    input: TaskIdInput,
    output: TaskView,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: (tasks, input) => tasks.patch(input.task_id, { status: 'active' }),
  }),
  defineTool({
    name: 'trigger_task',
    title: 'Run a task now',
    description:
      'Run a task once, now, outside its schedule. A recurring task keeps its schedule; a one-time task runs ' +
      "now instead of at its time. Optional input for that one run: `payload` instead of the task's, or (agent " +
      'tasks) `params` instead of its keyword arguments; the run records it as trigger_input. Returns ' +
      '{status: "triggered", task_id}; the run appears in get_task_details.',
    input: TaskIdInput.extend({
      payload: TriggerRequest.shape.payload.meta({
        description: "Optional: this run's payload instead of the task's (checked as the task's would be).",
      }),
      params: TriggerRequest.shape.params.meta({
        description:
          "Optional, agent tasks: this run's keyword arguments instead of the task's payload.params.",
      }),
    }),
    output: TriggerResponse,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    run: (tasks, { task_id, ...input }) =>
      tasks.trigger(task_id, input.payload != null || input.params != null ? input : undefined),
  }),
  defineTool({
    name: 'preview_schedule',
    title: 'Preview fire times',
    description:
      'Check a schedule before trusting it: the next fire times (ISO-8601, UTC) of a `when` read in a ' +
      '`timezone`, without scheduling anything; or, with task_id, of an existing task. Use it to confirm that ' +
      'a phrase like "every weekday at 9am" or a cron like "0 9 * * 1-5" means what you intend. Returns ' +
      '{kind: "once" | "recurring" | "adaptive", timezone, next: [...]}, and for a task with a budget its ' +
      "period's spend and the spend the runs still due in the period would bring.",
    input: PreviewScheduleInput,
    output: PreviewResponse,
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: (tasks, input) =>
      input.task_id !== undefined
        ? tasks.preview(input.task_id, input.count)
        : tasks.previewWhen(input.when!, input.timezone, input.count),
  }),
];

const occurrenceQuery = OccurrencesQuery.shape;

const ListOccurrencesInput = z.object({
  from: occurrenceQuery.from.meta({
    description:
      'Start of the window: an ISO-8601 instant with an offset ("2026-03-01T00:00:00Z") or a date ("2026-03-01", ' +
      'midnight in `timezone`). Default: a week ago.',
    examples: ['2026-03-01', '2026-03-01T00:00:00Z'],
  }),
  to: occurrenceQuery.to.meta({
    description: 'End of the window, like `from`, at most 366 days after it. Default: a month from now.',
    examples: ['2026-04-01'],
  }),
  task_id: TaskId.optional().meta({ description: "Only this task's occurrences." }),
  agent_id: occurrenceQuery.agent_id.meta({ description: 'Only agent runs of this agent.' }),
  schedule_type: occurrenceQuery.schedule_type.meta({
    description: 'Only tasks of this schedule_type.',
    examples: ['run_agent', 'http_request'],
  }),
  status: occurrenceQuery.status.meta({
    description:
      'Only occurrences with this status: upcoming, due, running, succeeded, failed, skipped, missed, paused, ' +
      'cancelled.',
  }),
  timezone: occurrenceQuery.timezone.meta({
    description: `IANA zone of each occurrence's local_at, and of dates in from/to. ${TIMEZONE_DESCRIPTION}`,
    examples: ['Europe/Berlin'],
  }),
  limit: z.number().int().min(1).max(1000).default(200).meta({
    description: 'Most occurrences to return, earliest first (1 to 1000); `total` counts them all.',
  }),
});

const ListOccurrencesResult = OccurrencesResponse.extend({
  total: z
    .number()
    .meta({ description: 'Occurrences in the window; more than `count` when `limit` cut the list.' }),
});

/**
 * `list_occurrences`, the ledger as a tool: offered only where the API has a ledger, so the catalog never lists a
 * tool that cannot answer.
 */
export function listOccurrencesTool(ledger: LedgerService): PulseTool {
  return defineTool({
    name: 'list_occurrences',
    title: 'List occurrences',
    description:
      'The calendar of every task: each time a task is or was due in a window (default: a week back to a month ' +
      'ahead), earliest first, with its status and the reason for it: upcoming; succeeded or failed (with the ' +
      'run, its error and result summary); skipped (the run still going is in blocked_by), missed, paused or ' +
      'cancelled when nothing ran. Use it for "what runs this week?" or "why did my task not run on Monday?". ' +
      'Returns {from, to, timezone, count, total, occurrences, truncated}.',
    input: ListOccurrencesInput,
    output: ListOccurrencesResult,
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (_tasks, { limit, ...query }) => {
      const answer = await ledger.occurrences(query);
      const occurrences = answer.occurrences.slice(0, limit);
      return { ...answer, occurrences, count: occurrences.length, total: answer.count };
    },
  });
}
