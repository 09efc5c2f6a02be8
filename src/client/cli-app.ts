/**
 * The `pulse` command line on top of `PulseClient`: commander parses the arguments, dispatches to one handler per
 * command and writes the help; this file adds Pulse's exit codes and its messages. `runCli` takes its environment
 * and output streams as arguments, so it reads no global state; `cli.ts` is the executable that hands it the
 * process's.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  dayHeading,
  formatAgenda,
  formatNext,
  formatPreview,
  formatResult,
  formatTask,
  formatTaskList,
  table,
} from './cli-format.js';
import { staleMessage, type Discovery } from './discovery.js';
import { PulseApiError, PulseConnectionError, PulseNotFoundError } from './errors.js';
import {
  PulseClient,
  type FetchLike,
  type OccurrencesOptions,
  type ScheduleOptions,
} from './pulse-client.js';
import type { Repeat, ScheduleResponse, Task, TaskStatus } from './types.js';

/** What each exit code means; scripts can rely on these. */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  Usage: 2,
  NotFound: 3,
  Rejected: 4,
  Unreachable: 5,
} as const;

export const DEFAULT_URL = 'http://localhost:8000';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly fetch?: FetchLike;
  /**
   * The running `npm start` service (`.pulse-data/service.json`), asked only when neither `--url` nor `PULSE_URL`
   * names a server. Absent: no discovery, `DEFAULT_URL`.
   */
  readonly discover?: () => Discovery;
}

/** Bad arguments that only a handler can see (a missing --when): exit 2, like commander's own usage errors. */
class UsageError extends Error {}

/** Option values as commander hands them (camelCase names), the global ones included. */
type Values = Record<string, unknown>;

interface Context {
  readonly values: Values;
  /** The command's positional arguments. */
  readonly args: readonly string[];
  readonly client: () => PulseClient;
  /** Prints `value` as JSON with `--json`, otherwise the human text. */
  readonly emit: (value: unknown, human: () => string) => void;
}

type Handler = (ctx: Context) => Promise<number | void>;
type Action = (handler: Handler) => (...params: unknown[]) => Promise<void>;

const EXIT_HELP =
  'Exit codes: 0 ok, 1 unexpected error, 2 usage error, 3 not found, 4 request rejected by the API (4xx),\n' +
  '            5 cannot connect (or the service cannot reach Temporal).';

const EXAMPLES = [
  'Examples:',
  '  pulse preview "every weekday at 9am" --timezone Europe/Berlin',
  '  pulse schedule http https://example.com/hook --when "in 5 minutes" --body \'{"hello":"world"}\'',
  '  pulse schedule agent my-agent main --param topic=tides --when "daily at 9am" --callback https://example.com/cb',
  '  pulse list --status active --json',
  '  pulse calendar --week --timezone Europe/Berlin',
].join('\n');

const TASK_STATUSES: readonly TaskStatus[] = [
  'active',
  'processing',
  'paused',
  'completed',
  'failed',
  'cancelled',
];

// ---- option values: commander calls these parsers, and a thrown InvalidArgumentError names the option ----

const str = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

const num = (values: Values, name: string): number | undefined => {
  const value = values[name];
  return typeof value === 'number' ? value : undefined;
};

function wholeNumber(max: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`It must be a whole number from 1 to ${max}.`);
    }
    return n;
  };
}

function jsonObject(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`It must be a JSON object, e.g. '{"team":"growth"}'.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`It must be a JSON object, not ${JSON.stringify(parsed)}.`);
  }
  return parsed as Record<string, unknown>;
}

/** A repeatable `key=value` option, gathered into one object; `value` is read by `parseValue`. */
function keyValue(separators: RegExp, parseValue: (raw: string) => unknown) {
  return (item: string, previous: Record<string, unknown> = {}): Record<string, unknown> => {
    const match = separators.exec(item);
    const key = match ? item.slice(0, match.index).trim() : '';
    if (!match || !key) throw new InvalidArgumentError('It takes key=value.');
    return { ...previous, [key]: parseValue(item.slice(match.index + 1)) };
  };
}

/** A JSON literal (`3`, `true`, `null`, `{"a":1}`, `"007"`) is parsed, any other value is text. */
function jsonOrText(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function requestBody(raw: string): unknown {
  const body = jsonOrText(raw);
  if (body === raw && /^\s*[[{]/.test(raw))
    throw new InvalidArgumentError('It looks like JSON but does not parse.');
  return body;
}

function scheduleOptions(values: Values): ScheduleOptions {
  const when = str(values, 'when');
  if (!when?.trim()) throw new UsageError('--when is required, e.g. --when "in 5 minutes".');
  const interval = str(values, 'repeat');
  const times = num(values, 'times');
  if (times !== undefined && interval === undefined) {
    throw new UsageError('--times needs --repeat, e.g. --repeat 2m --times 5.');
  }
  const repeat: Repeat | undefined =
    interval !== undefined ? { interval, ...(times !== undefined ? { times } : {}) } : undefined;
  const metadata = values.metadata as Record<string, unknown> | undefined;
  const callbackUrl = str(values, 'callback');
  const timezone = str(values, 'timezone');
  const idempotencyKey = str(values, 'idempotencyKey');
  return {
    when,
    ...(repeat ? { repeat } : {}),
    ...(metadata ? { metadata } : {}),
    ...(callbackUrl ? { callbackUrl } : {}),
    ...(timezone ? { timezone } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}

function withScheduleOptions(command: Command): Command {
  return command
    .option(
      '--when <WHEN>',
      'Required: "in 5 minutes", "tomorrow at 9am", "every weekday at 9am", cron, ISO, "now"',
    )
    .option('--repeat <INTERVAL>', 'Repeat every INTERVAL, e.g. 5m, 2h, 1d')
    .option(
      '--times <N>',
      'With --repeat: total runs, the first included (default: forever)',
      wholeNumber(1_000_000),
    )
    .option('--callback <URL>', 'POST each run result to URL')
    .option('--timezone <TZ>', 'IANA time zone for the time, e.g. Europe/Berlin')
    .option('--metadata <JSON>', 'Your own metadata object', jsonObject)
    .option('--idempotency-key <KEY>', 'Scheduling again with the same key returns the same task');
}

function scheduled(ctx: Context, response: ScheduleResponse): void {
  ctx.emit(response, () =>
    [
      `Scheduled ${response.task_id} (${response.schedule_type})`,
      `  status:   ${response.status}`,
      `  next run: ${formatNext(response.next_execution)}`,
      `  web ui:   ${response.ui_url}`,
    ].join('\n'),
  );
}

// ---- commands ----

/** The words that run `command`, e.g. `pulse schedule agent`. */
function commandPath(command: Command): string {
  return command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name();
}

/** A subcommand whose usage errors read `pulse <command>: <what>` with a pointer to its help. */
function subcommand(parent: Command, name: string, args: string, summary: string): Command {
  const command = parent.command(name).summary(summary).description(`${summary}.`);
  if (args) command.arguments(args);
  const path = commandPath(command);
  return command.usage(`${args} [options]`.trim()).configureOutput({
    outputError: (message, write) => {
      const text = message.trim().replace(/^error: /, '');
      write(`${path}: ${text.charAt(0).toUpperCase()}${text.slice(1)}\nRun '${path} --help' for usage.\n`);
    },
  });
}

function taskAction(
  parent: Command,
  action: Action,
  name: 'cancel' | 'pause' | 'resume' | 'trigger',
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

function addScheduleCommands(program: Command, action: Action): void {
  const schedule = subcommand(program, 'schedule', '', 'Schedule a task: an agent run or a call to a URL');

  const agent = subcommand(schedule, 'agent', '<agent_id> <entrypoint>', 'Schedule an agent run (run_agent)')
    .option(
      '--param <KEY=VALUE>',
      'An agent parameter; repeatable. JSON literals (3, true, "007") are parsed',
      keyValue(/=/, jsonOrText),
    )
    .option('--params <JSON>', 'All parameters as one JSON object (--param entries override)', jsonObject)
    .option('--executor <NAME>', 'serverless, local, or a custom executor (default: chosen by the server)')
    .option('--user <ID>', 'user_id passed to the agent')
    .option('--persistent-memory', 'Ask the agent to keep memory between runs');
  withScheduleOptions(agent).action(
    action(async (ctx) => {
      const executorType = str(ctx.values, 'executor');
      const userId = str(ctx.values, 'user');
      const response = await ctx.client().scheduleAgent({
        ...scheduleOptions(ctx.values),
        agentId: ctx.args[0]!,
        entrypointTag: ctx.args[1]!,
        params: { ...(ctx.values.params as object), ...(ctx.values.param as object) },
        ...(executorType ? { executorType } : {}),
        ...(userId ? { userId } : {}),
        ...(ctx.values.persistentMemory ? { persistentMemory: true } : {}),
      });
      scheduled(ctx, response);
    }),
  );

  const http = subcommand(schedule, 'http', '<url>', 'Schedule a call to a URL (http_request)')
    .option('--method <METHOD>', 'GET, POST (default), PUT, PATCH, DELETE, HEAD, OPTIONS')
    .option('--body <BODY>', 'Request body: JSON (sent as JSON) or any other text (sent as is)', requestBody)
    .option(
      '--header <NAME:VALUE>',
      'A request header; repeatable',
      keyValue(/[:=]/, (raw) => raw.trim()),
    )
    .option('--timeout <SECONDS>', 'Timeout of the call (default 30)', wholeNumber(3600));
  withScheduleOptions(http).action(
    action(async (ctx) => {
      const { body, header } = ctx.values;
      const method = str(ctx.values, 'method');
      const timeout = num(ctx.values, 'timeout');
      const response = await ctx.client().scheduleHttp({
        ...scheduleOptions(ctx.values),
        url: ctx.args[0]!,
        ...(method ? { method: method.toUpperCase() } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(header ? { headers: header as Record<string, string> } : {}),
        ...(timeout !== undefined ? { timeout } : {}),
      });
      scheduled(ctx, response);
    }),
  );
}

function addTaskCommands(program: Command, action: Action): void {
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
  taskAction(
    program,
    action,
    'trigger',
    'Run a task once, now, outside its schedule',
    (id) => `Triggered ${id}: it runs now.`,
  );
}

function addInspectCommands(program: Command, action: Action): void {
  subcommand(
    program,
    'preview',
    '[when]',
    'Next fire times of a time expression (nothing is scheduled) or, with --task, of a task',
  )
    .option('--timezone <TZ>', 'IANA time zone, e.g. Europe/Berlin (default: the server default, UTC)')
    .option('--count <N>', 'How many fire times, 1..100 (default 5)', wholeNumber(100))
    .option('--task <TASK_ID>', 'Preview a scheduled task instead of a time expression')
    .action(
      action(async (ctx) => {
        const count = num(ctx.values, 'count');
        const taskId = str(ctx.values, 'task');
        const when = ctx.args[0];
        if ((taskId === undefined) === (when === undefined)) {
          throw new UsageError(
            'give either a time expression, e.g. pulse preview "every weekday at 9am", or --task.',
          );
        }
        const client = ctx.client();
        if (taskId !== undefined) {
          const preview = await client.previewTask(taskId, count ? { count } : {});
          ctx.emit(preview, () => formatPreview(preview));
          return;
        }
        const timezone = str(ctx.values, 'timezone');
        const preview = await client.previewWhen(when!, {
          ...(timezone ? { timezone } : {}),
          ...(count ? { count } : {}),
        });
        ctx.emit(preview, () => `${formatPreview(preview, when)}\nNothing was scheduled.`);
      }),
    );

  subcommand(
    program,
    'result',
    '<task_id>',
    "A run's outcome: the latest, or --execution; --wait until it finishes",
  )
    .option('--execution <ID>', 'This run instead of the latest')
    .option('--wait', 'Poll until the run is no longer pending')
    .option('--timeout <SECONDS>', 'With --wait: give up after this long (default 60)', wholeNumber(86_400))
    .action(
      action(async (ctx) => {
        const id = ctx.args[0]!;
        const executionId = str(ctx.values, 'execution');
        const timeout = num(ctx.values, 'timeout');
        const client = ctx.client();
        const result = ctx.values.wait
          ? await client.waitForResult(id, {
              ...(executionId ? { executionId } : {}),
              ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
            })
          : await client.result(id, executionId);
        ctx.emit(result, () => formatResult(result));
      }),
    );

  subcommand(program, 'history', '<task_id>', 'Runs of a task, newest first')
    .option('--limit <N>', 'At most N runs (default 100)', wholeNumber(1000))
    .action(
      action(async (ctx) => {
        const limit = num(ctx.values, 'limit');
        const history = await ctx.client().history(ctx.args[0]!, limit ? { limit } : {});
        ctx.emit(history, () =>
          history.history.length === 0
            ? 'No runs yet.'
            : table(
                ['EXECUTION', 'STATUS', 'STARTED', 'MS', 'CALLBACK', 'ERROR'],
                history.history.map((h) => [
                  h.execution_id,
                  h.status,
                  h.executed_at_iso,
                  String(h.execution_time_ms),
                  h.callback_status ?? '-',
                  h.error ?? '',
                ]),
              ),
        );
      }),
    );

  subcommand(program, 'executors', '', 'Executors the service has, and which are available').action(
    action(async (ctx) => {
      const list = await ctx.client().executors();
      ctx.emit(list, () =>
        table(
          ['NAME', 'AVAILABLE', 'DESCRIPTION'],
          list.executors.map((e) => [
            e.name === list.default ? `${e.name} (default)` : e.name,
            e.available ? 'yes' : 'no',
            e.available ? e.description : `${e.description} Unavailable: ${e.reason ?? 'no reason given'}`,
          ]),
        ),
      );
    }),
  );

  subcommand(program, 'health', '', 'Service health: API, Temporal, worker (exit 1 when degraded)').action(
    action(async (ctx) => {
      const health = await ctx.client().health();
      ctx.emit(health, () =>
        [
          `status:   ${health.status}`,
          `temporal: ${health.temporal.reachable ? 'reachable' : `not reachable${health.temporal.error ? ` (${health.temporal.error})` : ''}`}, namespace ${health.temporal.namespace}`,
          `worker:   ${health.worker.polling ? `polling (${health.worker.pollers} poller(s))` : 'no worker polling'}, task queue ${health.worker.task_queue}`,
        ].join('\n'),
      );
      return health.status === 'ok' ? ExitCode.Ok : ExitCode.Unexpected;
    }),
  );
}

const OCCURRENCE_STATUSES: readonly NonNullable<OccurrencesOptions['status']>[] = [
  'upcoming',
  'due',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'missed',
  'paused',
  'cancelled',
];

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` plus `days`, in plain calendar arithmetic (no zone: the server reads dates in `--timezone`). */
function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Today's date in `timeZone`. */
function today(timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(new Date());
  } catch {
    throw new UsageError(`--timezone '${timeZone}' is not an IANA time zone such as Europe/Berlin.`);
  }
}

/**
 * The window of `pulse calendar`, as dates the server reads in the zone (midnight to midnight): today, this week
 * (Monday to Monday) or this month; `--from` a date starts the span there; `--from`/`--to` instants are sent as
 * they are.
 */
function calendarWindow(values: Values, timeZone: string): { from: string; to: string; heading: string } {
  const span = values.day ? 'day' : values.month ? 'month' : 'week';
  const from = str(values, 'from');
  const to = str(values, 'to');
  if (from !== undefined && !DATE.test(from) && to === undefined) {
    throw new UsageError('--from needs --to unless it is a date, e.g. --from 2026-03-01.');
  }
  let start = from;
  if (start === undefined) {
    const now = today(timeZone);
    const weekday = (new Date(`${now}T00:00:00Z`).getUTCDay() + 6) % 7;
    start = span === 'day' ? now : span === 'week' ? addDays(now, -weekday) : `${now.slice(0, 8)}01`;
  }
  let end = to;
  if (end === undefined) {
    if (span === 'month') {
      const d = new Date(`${start}T00:00:00Z`);
      d.setUTCMonth(d.getUTCMonth() + 1);
      end = d.toISOString().slice(0, 10);
    } else {
      end = addDays(start, span === 'day' ? 1 : 7);
    }
  }
  const bothDates = DATE.test(start) && DATE.test(end);
  const heading = !bothDates
    ? `${start} to ${end}`
    : addDays(start, 1) === end
      ? dayHeading(start)
      : `${dayHeading(start)} to ${dayHeading(addDays(end, -1))}`;
  return { from: start, to: end, heading };
}

function addCalendarCommand(program: Command, action: Action): void {
  subcommand(
    program,
    'calendar',
    '',
    'Occurrences of every task as an agenda: what runs, what ran, and why not',
  )
    .addOption(new Option('--day', 'Today (or the day --from names)').conflicts(['week', 'month']))
    .addOption(new Option('--week', 'This week, Monday to Sunday (the default)').conflicts(['month']))
    .option('--month', 'This month')
    .option('--from <WHEN>', 'Start: a date (2026-03-01, midnight in --timezone) or an ISO instant')
    .option('--to <WHEN>', 'End (exclusive): a date or an ISO instant (default: --from plus the span)')
    .option('--timezone <TZ>', "IANA time zone of the agenda (default: this machine's)")
    .option('--task <TASK_ID>', 'Only this task')
    .addOption(
      new Option('--status <STATUS>', 'Only occurrences with this status').choices(OCCURRENCE_STATUSES),
    )
    .option('--type <TYPE>', 'Schedule type, e.g. run_agent, http_request')
    .option('--agent <AGENT_ID>', 'Only runs of this agent')
    .action(
      action(async (ctx) => {
        const timezone = str(ctx.values, 'timezone') ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
        const { from, to, heading } = calendarWindow(ctx.values, timezone);
        const [taskId, status, scheduleType, agentId] = ['task', 'status', 'type', 'agent'].map((name) =>
          str(ctx.values, name),
        );
        const answer = await ctx.client().occurrences({
          from,
          to,
          timezone,
          ...(taskId ? { taskId } : {}),
          ...(status ? { status: status as OccurrencesOptions['status'] } : {}),
          ...(scheduleType ? { scheduleType } : {}),
          ...(agentId ? { agentId } : {}),
        });
        ctx.emit(answer, () => formatAgenda(answer, heading));
      }),
    );
}

/** The whole `pulse` program; `action` turns a handler into the commander action that runs it. */
function createProgram(io: CliIo, action: Action): Command {
  const program = new Command('pulse')
    .usage('<command> [arguments] [options]')
    .description('pulse: schedule and inspect tasks on a Pulse service.')
    .option(
      '--url <URL>',
      `Pulse API (env PULSE_URL; default: the running \`npm start\` from .pulse-data/service.json, else ${DEFAULT_URL})`,
    )
    .option('--api-key <KEY>', 'API key (env PULSE_API_KEY)')
    .option('--json', 'Print JSON on stdout, for scripts')
    .helpOption('-h, --help', 'Show help')
    .helpCommand('help [command]', 'Show help for a command')
    // Settings made before the subcommands are created are inherited by them.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (message, write) =>
        write(`pulse: ${message.trim().replace(/^error: /, '')}. Run 'pulse --help' for the commands.\n`),
    })
    .configureHelp({
      showGlobalOptions: true,
      // `--when WHEN`, not `--when <WHEN>`: the placeholder reads as what to type.
      optionTerm: (option) => option.flags.replace(/[<>]/g, ''),
      subcommandTerm: (command) =>
        [
          commandPath(command),
          ...command.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)),
        ].join(' '),
    })
    .addHelpText('after', `\n${EXAMPLES}`)
    .addHelpText('afterAll', ({ error, command }) => {
      // Commander shows the help on stderr when a command that needs a subcommand got none.
      if (error) {
        const what = command.parent
          ? `${command.name()} needs ${command.commands.map((c) => c.name()).join(' or ')}`
          : 'no command given';
        return `\n${EXIT_HELP}\n\npulse: ${what}.`;
      }
      return `\n${EXIT_HELP}`;
    });
  addScheduleCommands(program, action);
  addTaskCommands(program, action);
  addInspectCommands(program, action);
  addCalendarCommand(program, action);
  return program;
}

/** Runs one CLI invocation; resolves to its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  let exitCode: number = ExitCode.Ok;

  const action: Action =
    (handler) =>
    async (...params) => {
      // Commander passes the positional arguments, the options and last the command itself.
      const command = params.at(-1) as Command;
      const values: Values = command.optsWithGlobals();
      const jsonMode = values.json === true;
      const apiKey = str(values, 'apiKey') ?? (io.env.PULSE_API_KEY || undefined);
      const explicitUrl = str(values, 'url') ?? (io.env.PULSE_URL || undefined);
      const discovered = explicitUrl === undefined ? io.discover?.() : undefined;
      if (discovered?.state === 'stale') {
        // Never fall back to whatever answers on the default port: it may be another Pulse.
        err(
          jsonMode
            ? JSON.stringify({ error: { code: 'STALE_SERVICE_FILE', detail: staleMessage(discovered) } })
            : `error: ${staleMessage(discovered)}`,
        );
        exitCode = ExitCode.Unreachable;
        return;
      }
      const baseUrl =
        explicitUrl ?? (discovered?.state === 'running' ? discovered.info.api_url : DEFAULT_URL);
      const keyHint =
        discovered?.state === 'running' && discovered.info.auth && !apiKey
          ? `The Pulse at ${baseUrl} (from ${discovered.file}) wants an API key: set PULSE_API_KEY or --api-key.`
          : undefined;
      let client: PulseClient | undefined;
      const ctx: Context = {
        values,
        args: command.args,
        client: () => {
          try {
            client ??= new PulseClient({
              baseUrl,
              ...(apiKey ? { apiKey } : {}),
              ...(io.fetch ? { fetch: io.fetch } : {}),
            });
          } catch (error) {
            throw new UsageError(error instanceof Error ? error.message : String(error));
          }
          return client;
        },
        emit: (value, human) => out(jsonMode ? JSON.stringify(value, null, 2) : human()),
      };
      try {
        exitCode = (await handler(ctx)) ?? ExitCode.Ok;
      } catch (error) {
        if (error instanceof UsageError) command.error(error.message, { exitCode: ExitCode.Usage });
        exitCode = reportError(error, jsonMode, err);
        if (keyHint && error instanceof PulseApiError && error.status === 401 && !jsonMode) err(keyHint);
      }
    };

  try {
    await createProgram(io, action).parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // Help asked for exits 0; every other stop of commander's (an unknown option, a missing argument) is usage.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    throw error;
  }
  return exitCode;
}

function reportError(error: unknown, jsonMode: boolean, err: (text: string) => void): number {
  if (error instanceof PulseApiError) {
    if (jsonMode) {
      err(
        JSON.stringify({
          error: { status: error.status, code: error.code, detail: error.detail, errors: error.errors },
        }),
      );
    } else {
      // A field message the detail already quotes is not worth a second line.
      const fieldLines = error.errors
        .filter((e) => !error.detail.includes(e.message))
        .map((e) => `  - ${e.field}: ${e.message}`);
      err([`error: ${error.detail} [${error.code}, HTTP ${error.status}]`, ...fieldLines].join('\n'));
    }
    if (error instanceof PulseNotFoundError) return ExitCode.NotFound;
    if (error.status === 503) return ExitCode.Unreachable;
    return error.status >= 400 && error.status < 500 ? ExitCode.Rejected : ExitCode.Unexpected;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof PulseConnectionError) {
    err(
      jsonMode
        ? JSON.stringify({ error: { code: 'CONNECTION_FAILED', detail: message } })
        : `error: ${message}`,
    );
    if (!jsonMode) err('Check --url or PULSE_URL, and that the Pulse API is running (`npm start`).');
    return ExitCode.Unreachable;
  }
  err(jsonMode ? JSON.stringify({ error: { code: 'UNEXPECTED', detail: message } }) : `error: ${message}`);
  return ExitCode.Unexpected;
}
