/**
 * The commands that read without changing anything: `preview`, `result`, `history`, `executors` and `health`.
 */
import type { Command } from 'commander';
import { formatPreview, formatResult, table } from '../cli-format.js';
import { UsageError, num, str, subcommand, type Action } from './command.js';
import { ExitCode } from './exit-codes.js';
import { wholeNumber } from './option-values.js';

/** `preview`, `result`, `history`, `executors` and `health`. */
export function addInspectCommands(program: Command, action: Action): void {
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
