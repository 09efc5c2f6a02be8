/**
 * `pulse schedule agent|http`: the options every schedule shares (`--when`, `--repeat`, `--callback`…) and the
 * two commands that turn them into a task.
 */
import type { Command } from 'commander';
import { formatNext } from '../cli-format.js';
import type { ScheduleOptions } from '../pulse-client.js';
import type { Adaptive, Budget, Repeat, ScheduleResponse } from '../types.js';
import { UsageError, num, str, subcommand, type Action, type Context, type Values } from './command.js';
import { jsonObject, jsonOrText, keyValue, requestBody, wholeNumber } from './option-values.js';

function scheduleOptions(values: Values): ScheduleOptions {
  const when = str(values, 'when');
  if (!when?.trim()) throw new UsageError('--when is required, e.g. --when "in 5 minutes".');
  const interval = str(values, 'repeat');
  const times = num(values, 'times');
  const bounds = str(values, 'adaptive');
  if (times !== undefined && interval === undefined && bounds === undefined) {
    throw new UsageError('--times needs --repeat (or --adaptive), e.g. --repeat 2m --times 5.');
  }
  const repeat: Repeat | undefined =
    interval !== undefined ? { interval, ...(times !== undefined ? { times } : {}) } : undefined;
  let adaptive: Adaptive | undefined;
  if (bounds !== undefined) {
    const [min, max, extra] = bounds.split('..');
    if (!min || !max || extra !== undefined) {
      throw new UsageError('--adaptive takes MIN..MAX, the bounds of the next run, e.g. --adaptive 1m..1d.');
    }
    adaptive = { min_interval: min, max_interval: max, ...(times !== undefined ? { times } : {}) };
  }
  const metadata = values.metadata as Record<string, unknown> | undefined;
  const callbackUrl = str(values, 'callback');
  const timezone = str(values, 'timezone');
  const idempotencyKey = str(values, 'idempotencyKey');
  const context = values.context as string | true | undefined;
  const runContext = context === undefined ? undefined : context === true ? true : { kwarg: context };
  const mode = str(values, 'deliver');
  const failureUrl = str(values, 'failureUrl');
  const alertAfter = num(values, 'alertAfter');
  const delivery =
    mode !== undefined || failureUrl !== undefined || alertAfter !== undefined
      ? {
          ...(mode !== undefined ? { mode: mode as 'always' | 'on_change' | 'on_failure' } : {}),
          ...(failureUrl !== undefined ? { failure_url: failureUrl } : {}),
          ...(alertAfter !== undefined ? { alert_after: alertAfter } : {}),
        }
      : undefined;
  const period = str(values, 'budgetPeriod');
  const tokens = num(values, 'budgetTokens');
  const costText = str(values, 'budgetCost');
  const cost = costText === undefined ? undefined : Number(costText);
  if (cost !== undefined && !(cost > 0))
    throw new UsageError('--budget-cost takes a positive number, e.g. 5.');
  if ((tokens !== undefined || cost !== undefined) !== (period !== undefined)) {
    throw new UsageError(
      'A budget needs --budget-period (day or month) and --budget-tokens and/or --budget-cost.',
    );
  }
  const budget: Budget | undefined =
    period !== undefined
      ? {
          period: period as Budget['period'],
          ...(tokens !== undefined ? { tokens } : {}),
          ...(cost !== undefined ? { cost } : {}),
        }
      : undefined;
  return {
    when,
    ...(repeat ? { repeat } : {}),
    ...(metadata ? { metadata } : {}),
    ...(callbackUrl ? { callbackUrl } : {}),
    ...(timezone ? { timezone } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
    ...(runContext !== undefined ? { runContext } : {}),
    ...(delivery ? { delivery } : {}),
    ...(adaptive ? { adaptive } : {}),
    ...(budget ? { budget } : {}),
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
      '--adaptive <MIN..MAX>',
      'The agent picks each next run (next_run_in / next_run_at in its result), MIN to MAX after a run, e.g. 1m..1d',
    )
    .option(
      '--times <N>',
      'With --repeat or --adaptive: total runs, the first included (default: forever)',
      wholeNumber(1_000_000),
    )
    .option('--callback <URL>', 'POST each run result to URL')
    .option('--timezone <TZ>', 'IANA time zone for the time, e.g. Europe/Berlin')
    .option('--metadata <JSON>', 'Your own metadata object', jsonObject)
    .option(
      '--context [KWARG]',
      "Give each run its context: an agent's keyword argument KWARG (default pulse_context), x-pulse-* headers of a call",
    )
    .option('--deliver <MODE>', 'Which runs are delivered: always (default), on_change, on_failure')
    .option('--failure-url <URL>', "Failed runs' callbacks, alerts and recovery notices go to URL")
    .option(
      '--alert-after <N>',
      'Alert after N failed runs in a row (and say when it recovers)',
      wholeNumber(50),
    )
    .option(
      '--budget-period <PERIOD>',
      'A budget per day or month (with --budget-tokens and/or --budget-cost)',
    )
    .option('--budget-tokens <N>', 'Most tokens per budget period', wholeNumber(1e12))
    .option('--budget-cost <AMOUNT>', 'Most cost per budget period, in the unit the agent reports')
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

/** `pulse schedule` and its two subcommands, `agent` and `http`. */
export function addScheduleCommands(program: Command, action: Action): void {
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
      keyValue(/[:=]/, (raw) => raw.trim(), 'NAME:VALUE'),
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
