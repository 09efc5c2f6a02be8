/**
 * `pulse calendar`: the occurrence ledger as an agenda, over a day, a week or a month in a time zone.
 */
import { Option, type Command } from 'commander';
import { OCCURRENCE_STATUSES } from '../../ledger/occurrences.js';
import { dayHeading, formatAgenda } from '../cli-format.js';
import type { OccurrencesOptions } from '../pulse-client.js';
import { UsageError, str, subcommand, type Action, type Values } from './command.js';

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

/** `pulse calendar`, the agenda of occurrences. */
export function addCalendarCommand(program: Command, action: Action): void {
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
