/**
 * The `pulse` command line on top of `PulseClient`: argument parsing, one handler per command, and the mapping
 * from errors to exit codes. `runCli` takes its environment and output streams as arguments, so it reads no
 * global state; `cli.ts` is the executable that hands it the process's.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatNext, formatPreview, formatResult, formatTask, formatTaskList, table } from './cli-format.js';
import { PulseApiError, PulseConnectionError, PulseNotFoundError } from './errors.js';
import { PulseClient, type FetchLike, type ScheduleOptions } from './pulse-client.js';
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
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Bad arguments: exit 2 with a pointer to the command's help. */
class UsageError extends Error {}

interface Context {
  readonly values: Values;
  /** Positionals after the command words. */
  readonly args: readonly string[];
  readonly json: boolean;
  readonly client: () => PulseClient;
  /** Prints `value` as JSON with `--json`, otherwise the human text. */
  readonly emit: (value: unknown, human: () => string) => void;
}

interface Command {
  /** The command words, e.g. `schedule agent`. */
  readonly name: string;
  readonly args: string;
  readonly summary: string;
  readonly options: Options;
  /** Lines of option help, already aligned. */
  readonly optionHelp: readonly (readonly [string, string])[];
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly run: (ctx: Context) => Promise<number | void>;
}

const GLOBAL_OPTIONS: Options = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const GLOBAL_HELP: readonly (readonly [string, string])[] = [
  ['--url URL', `Pulse API (env PULSE_URL, default ${DEFAULT_URL})`],
  ['--api-key KEY', 'API key (env PULSE_API_KEY)'],
  ['--json', 'Print JSON on stdout, for scripts'],
  ['-h, --help', 'Show help'],
];

const EXIT_HELP =
  'Exit codes: 0 ok, 1 unexpected error, 2 usage error, 3 not found, 4 request rejected by the API (4xx),\n' +
  '            5 cannot connect (or the service cannot reach Temporal).';

const SCHEDULE_OPTIONS: Options = {
  when: { type: 'string' },
  repeat: { type: 'string' },
  times: { type: 'string' },
  callback: { type: 'string' },
  timezone: { type: 'string' },
  metadata: { type: 'string' },
  'idempotency-key': { type: 'string' },
};

const SCHEDULE_HELP: readonly (readonly [string, string])[] = [
  ['--when WHEN', 'Required: "in 5 minutes", "tomorrow at 9am", "every weekday at 9am", cron, ISO, "now"'],
  ['--repeat INTERVAL', 'Repeat every INTERVAL, e.g. 5m, 2h, 1d'],
  ['--times N', 'With --repeat: total runs, the first included (default: forever)'],
  ['--callback URL', 'POST each run result to URL'],
  ['--timezone TZ', 'IANA time zone for the time, e.g. Europe/Berlin'],
  ['--metadata JSON', 'Your own metadata object'],
  ['--idempotency-key KEY', 'Scheduling again with the same key returns the same task'],
];

// ---- argument helpers ----

const str = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

const strs = (values: Values, name: string): string[] => {
  const value = values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
};

function positiveInt(values: Values, name: string, max: number): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}, not '${raw}'.`);
  }
  return n;
}

function jsonObject(values: Values, name: string): Record<string, unknown> | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UsageError(`--${name} must be a JSON object, e.g. '{"team":"growth"}'; got '${raw}'.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--${name} must be a JSON object, not ${JSON.stringify(parsed)}.`);
  }
  return parsed as Record<string, unknown>;
}

/** `k=v`: a value that is a JSON literal (`3`, `true`, `null`, `{"a":1}`, `"007"`) is parsed, any other is text. */
function keyValues(values: Values, name: string, separators: RegExp): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of strs(values, name)) {
    const match = separators.exec(item);
    const key = match ? item.slice(0, match.index).trim() : '';
    if (!match || !key) throw new UsageError(`--${name} takes key=value, not '${item}'.`);
    const raw = item.slice(match.index + 1);
    out[key] = name === 'header' ? raw.trim() : parseLiteral(raw);
  }
  return out;
}

function parseLiteral(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function scheduleOptions(values: Values): ScheduleOptions {
  const when = str(values, 'when');
  if (!when?.trim()) throw new UsageError('--when is required, e.g. --when "in 5 minutes".');
  const interval = str(values, 'repeat');
  const times = positiveInt(values, 'times', 1_000_000);
  if (times !== undefined && interval === undefined) {
    throw new UsageError('--times needs --repeat, e.g. --repeat 2m --times 5.');
  }
  const repeat: Repeat | undefined =
    interval !== undefined ? { interval, ...(times !== undefined ? { times } : {}) } : undefined;
  const metadata = jsonObject(values, 'metadata');
  const callbackUrl = str(values, 'callback');
  const timezone = str(values, 'timezone');
  const idempotencyKey = str(values, 'idempotency-key');
  return {
    when,
    ...(repeat ? { repeat } : {}),
    ...(metadata ? { metadata } : {}),
    ...(callbackUrl ? { callbackUrl } : {}),
    ...(timezone ? { timezone } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
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

const TASK_STATUSES: readonly TaskStatus[] = [
  'active',
  'processing',
  'paused',
  'completed',
  'failed',
  'cancelled',
];

// ---- commands ----

const taskAction = (
  name: 'cancel' | 'pause' | 'resume' | 'trigger',
  summary: string,
  done: (id: string, value: unknown) => string,
): Command => ({
  name,
  args: '<task_id>',
  summary,
  options: {},
  optionHelp: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const id = ctx.args[0]!;
    const client = ctx.client();
    const value = await client[name](id);
    ctx.emit(value, () => done(id, value));
  },
});

const COMMANDS: readonly Command[] = [
  {
    name: 'schedule agent',
    args: '<agent_id> <entrypoint>',
    summary: 'Schedule an agent run (run_agent)',
    options: {
      ...SCHEDULE_OPTIONS,
      param: { type: 'string', multiple: true },
      params: { type: 'string' },
      executor: { type: 'string' },
      user: { type: 'string' },
      'persistent-memory': { type: 'boolean' },
    },
    optionHelp: [
      ['--param KEY=VALUE', 'An agent parameter; repeatable. JSON literals (3, true, "007") are parsed'],
      ['--params JSON', 'All parameters as one JSON object (--param entries override)'],
      ['--executor NAME', 'serverless, local, or a custom executor (default: chosen by the server)'],
      ['--user ID', 'user_id passed to the agent'],
      ['--persistent-memory', 'Ask the agent to keep memory between runs'],
      ...SCHEDULE_HELP,
    ],
    minArgs: 2,
    maxArgs: 2,
    async run(ctx) {
      const params = { ...jsonObject(ctx.values, 'params'), ...keyValues(ctx.values, 'param', /=/) };
      const executorType = str(ctx.values, 'executor');
      const userId = str(ctx.values, 'user');
      const options = scheduleOptions(ctx.values);
      const response = await ctx.client().scheduleAgent({
        ...options,
        agentId: ctx.args[0]!,
        entrypointTag: ctx.args[1]!,
        params,
        ...(executorType ? { executorType } : {}),
        ...(userId ? { userId } : {}),
        ...(ctx.values['persistent-memory'] ? { persistentMemory: true } : {}),
      });
      scheduled(ctx, response);
    },
  },
  {
    name: 'schedule http',
    args: '<url>',
    summary: 'Schedule a call to a URL (http_request)',
    options: {
      ...SCHEDULE_OPTIONS,
      method: { type: 'string' },
      body: { type: 'string' },
      header: { type: 'string', multiple: true },
      timeout: { type: 'string' },
    },
    optionHelp: [
      ['--method METHOD', 'GET, POST (default), PUT, PATCH, DELETE, HEAD, OPTIONS'],
      ['--body BODY', 'Request body: JSON (sent as JSON) or any other text (sent as is)'],
      ['--header "NAME: VALUE"', 'A request header; repeatable'],
      ['--timeout SECONDS', 'Timeout of the call (default 30)'],
      ...SCHEDULE_HELP,
    ],
    minArgs: 1,
    maxArgs: 1,
    async run(ctx) {
      const rawBody = str(ctx.values, 'body');
      let body: unknown = rawBody;
      if (rawBody !== undefined) {
        try {
          body = JSON.parse(rawBody);
        } catch {
          if (/^\s*[[{]/.test(rawBody))
            throw new UsageError(`--body looks like JSON but does not parse: '${rawBody}'.`);
        }
      }
      const headers = keyValues(ctx.values, 'header', /[:=]/) as Record<string, string>;
      const method = str(ctx.values, 'method');
      const timeout = positiveInt(ctx.values, 'timeout', 3600);
      const response = await ctx.client().scheduleHttp({
        ...scheduleOptions(ctx.values),
        url: ctx.args[0]!,
        ...(method ? { method: method.toUpperCase() } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
        ...(timeout !== undefined ? { timeout } : {}),
      });
      scheduled(ctx, response);
    },
  },
  {
    name: 'list',
    args: '',
    summary: 'List tasks, newest first',
    options: {
      status: { type: 'string' },
      type: { type: 'string' },
      agent: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      all: { type: 'boolean' },
    },
    optionHelp: [
      ['--status STATUS', TASK_STATUSES.join(', ')],
      ['--type TYPE', 'Schedule type, e.g. run_agent, http_request'],
      ['--agent AGENT_ID', 'Only runs of this agent'],
      ['--limit N', 'Tasks per page, 1..1000 (default 100)'],
      ['--cursor CURSOR', 'The next page, as printed after the previous one'],
      ['--all', 'Every page'],
    ],
    minArgs: 0,
    maxArgs: 0,
    async run(ctx) {
      const status = str(ctx.values, 'status');
      if (status !== undefined && !TASK_STATUSES.includes(status as TaskStatus)) {
        throw new UsageError(`--status must be one of ${TASK_STATUSES.join(', ')}; got '${status}'.`);
      }
      const limit = positiveInt(ctx.values, 'limit', 1000);
      const filters = {
        ...(status ? { status: status as TaskStatus } : {}),
        ...(str(ctx.values, 'type') ? { scheduleType: str(ctx.values, 'type') } : {}),
        ...(str(ctx.values, 'agent') ? { agentId: str(ctx.values, 'agent') } : {}),
        ...(limit ? { limit } : {}),
      };
      const client = ctx.client();
      if (ctx.values.all) {
        const tasks: Task[] = [];
        for await (const task of client.iterate(filters)) tasks.push(task);
        ctx.emit({ tasks, count: tasks.length, next_cursor: null }, () => formatTaskList(tasks));
        return;
      }
      const cursor = str(ctx.values, 'cursor');
      const page = await client.list({ ...filters, ...(cursor ? { cursor } : {}) });
      ctx.emit(page, () =>
        page.next_cursor
          ? `${formatTaskList(page.tasks)}\n\nMore: pulse list --cursor ${page.next_cursor} (same filters), or --all`
          : formatTaskList(page.tasks),
      );
    },
  },
  {
    name: 'get',
    args: '<task_id>',
    summary: 'Show a task and its runs',
    options: {},
    optionHelp: [],
    minArgs: 1,
    maxArgs: 1,
    async run(ctx) {
      const task = await ctx.client().get(ctx.args[0]!);
      ctx.emit(task, () => formatTask(task));
    },
  },
  taskAction('cancel', 'Cancel a task (and a run in progress)', (id) => `Cancelled ${id}.`),
  taskAction('pause', 'Pause a task', (id, task) => `Paused ${id} (status ${(task as Task).status}).`),
  taskAction(
    'resume',
    'Resume a paused task',
    (id, task) =>
      `Resumed ${id} (status ${(task as Task).status}, next run ${formatNext((task as Task).next_execution_iso)}).`,
  ),
  taskAction(
    'trigger',
    'Run a task once, now, outside its schedule',
    (id) => `Triggered ${id}: it runs now.`,
  ),
  {
    name: 'preview',
    args: '"<when>"',
    summary: 'Next fire times of a time expression (nothing is scheduled) or, with --task, of a task',
    options: { timezone: { type: 'string' }, count: { type: 'string' }, task: { type: 'string' } },
    optionHelp: [
      ['--timezone TZ', 'IANA time zone, e.g. Europe/Berlin (default: the server default, UTC)'],
      ['--count N', 'How many fire times, 1..100 (default 5)'],
      ['--task TASK_ID', 'Preview a scheduled task instead of a time expression'],
    ],
    minArgs: 0,
    maxArgs: 1,
    async run(ctx) {
      const count = positiveInt(ctx.values, 'count', 100);
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
    },
  },
  {
    name: 'result',
    args: '<task_id>',
    summary: "A run's outcome: the latest, or --execution; --wait until it finishes",
    options: { execution: { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' } },
    optionHelp: [
      ['--execution ID', 'This run instead of the latest'],
      ['--wait', 'Poll until the run is no longer pending'],
      ['--timeout SECONDS', 'With --wait: give up after this long (default 60)'],
    ],
    minArgs: 1,
    maxArgs: 1,
    async run(ctx) {
      const id = ctx.args[0]!;
      const executionId = str(ctx.values, 'execution');
      const timeout = positiveInt(ctx.values, 'timeout', 86_400);
      const client = ctx.client();
      const result = ctx.values.wait
        ? await client.waitForResult(id, {
            ...(executionId ? { executionId } : {}),
            ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
          })
        : await client.result(id, executionId);
      ctx.emit(result, () => formatResult(result));
    },
  },
  {
    name: 'history',
    args: '<task_id>',
    summary: 'Runs of a task, newest first',
    options: { limit: { type: 'string' } },
    optionHelp: [['--limit N', 'At most N runs (default 100)']],
    minArgs: 1,
    maxArgs: 1,
    async run(ctx) {
      const limit = positiveInt(ctx.values, 'limit', 1000);
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
    },
  },
  {
    name: 'executors',
    args: '',
    summary: 'Executors the service has, and which are available',
    options: {},
    optionHelp: [],
    minArgs: 0,
    maxArgs: 0,
    async run(ctx) {
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
    },
  },
  {
    name: 'health',
    args: '',
    summary: 'Service health: API, Temporal, worker (exit 1 when degraded)',
    options: {},
    optionHelp: [],
    minArgs: 0,
    maxArgs: 0,
    async run(ctx) {
      const health = await ctx.client().health();
      ctx.emit(health, () =>
        [
          `status:   ${health.status}`,
          `temporal: ${health.temporal.reachable ? 'reachable' : `not reachable${health.temporal.error ? ` (${health.temporal.error})` : ''}`}, namespace ${health.temporal.namespace}`,
          `worker:   ${health.worker.polling ? `polling (${health.worker.pollers} poller(s))` : 'no worker polling'}, task queue ${health.worker.task_queue}`,
        ].join('\n'),
      );
      return health.status === 'ok' ? ExitCode.Ok : ExitCode.Unexpected;
    },
  },
];

// ---- help ----

function optionLines(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args}`.length));
  return [
    'pulse: schedule and inspect tasks on a Pulse service.',
    '',
    'Usage: pulse <command> [arguments] [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.trimEnd().padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    optionLines(GLOBAL_HELP),
    '',
    'Examples:',
    '  pulse preview "every weekday at 9am" --timezone Europe/Berlin',
    '  pulse schedule http https://example.com/hook --when "in 5 minutes" --body \'{"hello":"world"}\'',
    '  pulse schedule agent my-agent main --param topic=tides --when "daily at 9am" --callback https://example.com/cb',
    '  pulse list --status active --json',
    '',
    "Run 'pulse <command> --help' for a command's options.",
    EXIT_HELP,
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [
    `${command.summary}.`,
    '',
    `Usage: pulse ${command.name}${command.args ? ` ${command.args}` : ''} [options]`,
    '',
    ...(command.optionHelp.length > 0 ? ['Options:', optionLines(command.optionHelp), ''] : []),
    'Global options:',
    optionLines(GLOBAL_HELP),
    '',
    EXIT_HELP,
  ].join('\n');
}

function scheduleHelp(): string {
  const schedules = COMMANDS.filter((c) => c.name.startsWith('schedule '));
  const width = Math.max(...schedules.map((c) => `${c.name} ${c.args}`.length));
  return [
    'Schedule a task.',
    '',
    'Usage:',
    ...schedules.map(
      (c) => `  pulse ${`${c.name} ${c.args}`.padEnd(width)} --when WHEN [options]  ${c.summary}`,
    ),
    '',
    "Run 'pulse schedule agent --help' or 'pulse schedule http --help' for the options.",
  ].join('\n');
}

// ---- dispatch ----

const ALL_OPTIONS: Options = Object.assign({}, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options));

/** Runs one CLI invocation; resolves to its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

  // A lenient first pass only finds the command words; the strict pass below knows the command's options.
  const loose = parseArgs({ args: [...argv], options: ALL_OPTIONS, strict: false, allowPositionals: true });
  const words = loose.positionals;
  const wantsHelp = loose.values.help === true || words[0] === 'help';
  const commandWords = words[0] === 'help' ? words.slice(1) : words;
  const jsonMode = loose.values.json === true;

  if (commandWords.length === 0) {
    if (wantsHelp) {
      out(mainHelp());
      return ExitCode.Ok;
    }
    err(`${mainHelp()}\n\npulse: no command given.`);
    return ExitCode.Usage;
  }

  const head = commandWords[0]!;
  const command =
    head === 'schedule'
      ? COMMANDS.find((c) => c.name === `schedule ${commandWords[1] ?? ''}`)
      : COMMANDS.find((c) => c.name === head);
  if (!command) {
    if (head === 'schedule') {
      if (wantsHelp) {
        out(scheduleHelp());
        return ExitCode.Ok;
      }
      const which = commandWords[1] === undefined ? 'needs agent or http' : `has no '${commandWords[1]}'`;
      err(`${scheduleHelp()}\n\npulse: schedule ${which}.`);
      return ExitCode.Usage;
    }
    err(`pulse: unknown command '${head}'. Run 'pulse --help' for the commands.`);
    return ExitCode.Usage;
  }
  if (wantsHelp) {
    out(commandHelp(command));
    return ExitCode.Ok;
  }

  const usage = (message: string) => {
    err(`pulse ${command.name}: ${message}\nRun 'pulse ${command.name} --help' for usage.`);
    return ExitCode.Usage;
  };

  let values: Values;
  let args: string[];
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    });
    values = parsed.values as Values;
    args = parsed.positionals.slice(command.name.split(' ').length);
  } catch (error) {
    // Node's message goes on to explain `--` for positionals that start with a dash; the first sentence is enough.
    const message = error instanceof Error ? error.message : String(error);
    return usage(message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
  if (args.length < command.minArgs || args.length > command.maxArgs) {
    const expected = command.args || 'no arguments';
    return usage(
      `expected ${expected}, got ${args.length === 0 ? 'none' : args.map((a) => `'${a}'`).join(' ')}.`,
    );
  }

  const baseUrl = str(values, 'url') ?? (io.env.PULSE_URL || DEFAULT_URL);
  const apiKey = str(values, 'api-key') ?? (io.env.PULSE_API_KEY || undefined);
  let client: PulseClient | undefined;
  const ctx: Context = {
    values,
    args,
    json: jsonMode,
    client: () => {
      if (!client) {
        try {
          client = new PulseClient({
            baseUrl,
            ...(apiKey ? { apiKey } : {}),
            ...(io.fetch ? { fetch: io.fetch } : {}),
          });
        } catch (error) {
          throw new UsageError(error instanceof Error ? error.message : String(error));
        }
      }
      return client;
    },
    emit: (value, human) => out(jsonMode ? JSON.stringify(value, null, 2) : human()),
  };

  try {
    return (await command.run(ctx)) ?? ExitCode.Ok;
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    return reportError(error, jsonMode, err);
  }
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
    if (!jsonMode) err('Check --url or PULSE_URL, and that the Pulse API is running.');
    return ExitCode.Unreachable;
  }
  err(jsonMode ? JSON.stringify({ error: { code: 'UNEXPECTED', detail: message } }) : `error: ${message}`);
  return ExitCode.Unexpected;
}
