/**
 * The commands that act on tasks: `list`, `get`, and `cancel|pause|resume|trigger <task_id>`.
 */
import { Option, type Command } from 'commander';
import { formatNext, formatTask, formatTaskList } from '../cli-format.js';
import type { Task, TaskStatus } from '../types.js';
import { num, str, subcommand, type Action } from './command.js';
import { jsonObject, jsonOrText, keyValue, wholeNumber } from './option-values.js';

const TASK_STATUSES: readonly TaskStatus[] = [
  'active',
  'processing',
  'paused',
  'completed',
  'failed',
  'cancelled',
];

function taskAction(
  parent: Command,
  action: Action,
  name: 'cancel' | 'pause' | 'resume',
  summary: string,
  done: (id: string, value: unknown) => string,
): void {
  subcommand(parent, name, '<task_id>', summary).action(
    action(async (ctx) => {
      const id = ctx.args[0]!;
      const value = await ctx.client()[name](id);
      ctx.emit(value, () => done(id, value));
    }),
  );
}

/** `list`, `get`, `cancel`, `pause`, `resume` and `trigger`. */
export function addTaskCommands(program: Command, action: Action): void {
  subcommand(program, 'list', '', 'List tasks, newest first')
    .addOption(new Option('--status <STATUS>', 'Only tasks with this status').choices(TASK_STATUSES))
    .option('--type <TYPE>', 'Schedule type, e.g. run_agent, http_request')
    .option('--agent <AGENT_ID>', 'Only runs of this agent')
    .option('--limit <N>', 'Tasks per page, 1..1000 (default 100)', wholeNumber(1000))
    .option('--cursor <CURSOR>', 'The next page, as printed after the previous one')
    .option('--all', 'Every page')
    .action(
      action(async (ctx) => {
        const [status, scheduleType, agentId, cursor] = ['status', 'type', 'agent', 'cursor'].map((name) =>
          str(ctx.values, name),
        );
        const limit = num(ctx.values, 'limit');
        const filters = {
          ...(status ? { status: status as TaskStatus } : {}),
          ...(scheduleType ? { scheduleType } : {}),
          ...(agentId ? { agentId } : {}),
          ...(limit ? { limit } : {}),
        };
        const client = ctx.client();
        if (ctx.values.all) {
          const tasks: Task[] = [];
          for await (const task of client.iterate(filters)) tasks.push(task);
          ctx.emit({ tasks, count: tasks.length, next_cursor: null }, () => formatTaskList(tasks));
          return;
        }
        const page = await client.list({ ...filters, ...(cursor ? { cursor } : {}) });
        ctx.emit(page, () =>
          page.next_cursor
            ? `${formatTaskList(page.tasks)}\n\nMore: pulse list --cursor ${page.next_cursor} (same filters), or --all`
            : formatTaskList(page.tasks),
        );
      }),
    );

  subcommand(program, 'get', '<task_id>', 'Show a task and its runs').action(
    action(async (ctx) => {
      const task = await ctx.client().get(ctx.args[0]!);
      ctx.emit(task, () => formatTask(task));
    }),
  );
  taskAction(program, action, 'cancel', 'Cancel a task (and a run in progress)', (id) => `Cancelled ${id}.`);
  taskAction(
    program,
    action,
    'pause',
    'Pause a task',
    (id, task) => `Paused ${id} (status ${(task as Task).status}).`,
  );
  taskAction(
    program,
    action,
    'resume',
    'Resume a paused task',
    (id, task) =>
      `Resumed ${id} (status ${(task as Task).status}, next run ${formatNext((task as Task).next_execution_iso)}).`,
  );
  subcommand(program, 'trigger', '<task_id>', 'Run a task once, now, outside its schedule')
    .option(
      '--param <KEY=VALUE>',
      "Agent tasks: this run's parameter instead of the task's; repeatable. JSON literals are parsed",
      keyValue(/=/, jsonOrText),
    )
    .option('--params <JSON>', "Agent tasks: this run's parameters as one JSON object", jsonObject)
    .option('--payload <JSON>', "This run's payload instead of the task's", jsonObject)
    .action(
      action(async (ctx) => {
        const id = ctx.args[0]!;
        const params = ctx.values.params || ctx.values.param;
        const payload = ctx.values.payload as Record<string, unknown> | undefined;
        const input = {
          ...(payload ? { payload } : {}),
          ...(params
            ? { params: { ...(ctx.values.params as object), ...(ctx.values.param as object) } }
            : {}),
        };
        const value = await ctx.client().trigger(id, Object.keys(input).length > 0 ? input : undefined);
        ctx.emit(value, () =>
          Object.keys(input).length > 0
            ? `Triggered ${id} with input: it runs now.`
            : `Triggered ${id}: it runs now.`,
        );
      }),
    );
}
