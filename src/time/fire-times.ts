/**
 * When a parsed `when` fires. Calendar and cron recurrences are matched against the wall clock of their time
 * zone the way Temporal's scheduler matches them, so a preview shows what the server will do across DST: a wall
 * time skipped by a spring-forward gap does not fire that day, and one that occurs twice in a fall-back fold
 * fires twice. (One-time phrases differ on purpose: there a gap time moves forward, see `instantOf`.)
 */
import { Temporal } from 'temporal-polyfill';
import { naiveMs } from './civil-date.js';
import { type CronFields, parseCron } from './cron.js';
import { offsetAt, possibleInstantsOf, wallTimeOf } from './time-zone.js';
import {
  type CalendarField,
  type CalendarFields,
  DAY_NAMES,
  MONTH_NAMES,
  type ParsedWhen,
  type RecurrenceSpec,
  type RecurringWhen,
} from './when-types.js';

interface Matcher {
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
}

const DAY_MS = 86_400_000;
/** Feb 29 comes round at least once in 8 years; nothing Pulse accepts fires less often. */
const SEARCH_DAYS = 9 * 366;
/** Wider than any UTC offset (−12h … +14h): a wall time this far past an instant cannot be before it. */
const MAX_OFFSET_MS = 15 * 3_600_000;

function fieldValues<T extends string | number>(
  field: CalendarField<T>,
  min: number,
  max: number,
  toNumber: (v: T) => number,
): number[] {
  if (field === '*') return range(min, max, 1);
  const items = Array.isArray(field) ? field : [field];
  const values = items.flatMap((item) => {
    if (typeof item !== 'object') return [toNumber(item)];
    const start = toNumber(item.start);
    const end = item.end === undefined ? start : Math.max(start, toNumber(item.end));
    const step = 'step' in item && item.step >= 1 ? item.step : 1;
    return range(start, end, step);
  });
  return [...new Set(values)].sort((a, b) => a - b);
}

function range(start: number, end: number, step: number): number[] {
  const values: number[] = [];
  for (let v = start; v <= end; v += step) values.push(v);
  return values;
}

function calendarMatcher(fields: CalendarFields): Matcher {
  const same = (v: number) => v;
  return {
    seconds: fieldValues(fields.second, 0, 59, same),
    minutes: fieldValues(fields.minute, 0, 59, same),
    hours: fieldValues(fields.hour, 0, 23, same),
    daysOfMonth: new Set(fieldValues(fields.dayOfMonth, 1, 31, same)),
    months: new Set(fieldValues(fields.month, 1, 12, (m) => MONTH_NAMES.indexOf(m) + 1)),
    daysOfWeek: new Set(fieldValues(fields.dayOfWeek, 0, 6, (d) => DAY_NAMES.indexOf(d))),
  };
}

function cronMatcher(fields: CronFields): Matcher {
  const sorted = (set: ReadonlySet<number>) => [...set].sort((a, b) => a - b);
  return {
    seconds: [0],
    minutes: sorted(fields.minute),
    hours: sorted(fields.hour),
    daysOfMonth: fields.dayOfMonth,
    months: fields.month,
    daysOfWeek: fields.dayOfWeek,
  };
}

function matcherOf(spec: Exclude<RecurrenceSpec, { type: 'interval' }>): Matcher {
  return spec.type === 'cron' ? cronMatcher(parseCron(spec.expression).fields) : calendarMatcher(spec);
}

function dayMatches(matcher: Matcher, date: Temporal.PlainDate): boolean {
  return (
    matcher.months.has(date.month) &&
    matcher.daysOfMonth.has(date.day) &&
    matcher.daysOfWeek.has(date.dayOfWeek % 7)
  );
}

/** The earliest instant after `afterMs` on `date` whose wall clock matches, if one is earlier than `best`. */
function earliestOnDay(
  matcher: Matcher,
  date: Temporal.PlainDate,
  timezone: string,
  afterMs: number,
  best: number | undefined,
): number | undefined {
  // The offsets in force around the day (two when a DST change falls on it) bound where each of its wall times
  // can be, so most are passed over by arithmetic without asking the time zone.
  const midnight = naiveMs(date);
  const offsets = [midnight - DAY_MS, midnight + 2 * DAY_MS].map((t) => offsetAt(new Date(t), timezone));
  const minOffset = Math.min(...offsets);
  const maxOffset = Math.max(...offsets);
  for (const hour of matcher.hours) {
    for (const minute of matcher.minutes) {
      for (const second of matcher.seconds) {
        const naive = naiveMs(date, hour, minute, second);
        // Wall times come in ascending order, so none after this one can beat `best` either.
        if (best !== undefined && naive - maxOffset >= best) return best;
        if (naive - minOffset <= afterMs) continue;
        // Away from a DST change the offset settles it; on one, a wall time has no instant in a gap, two in a fold.
        const instants =
          minOffset === maxOffset
            ? [naive - minOffset]
            : possibleInstantsOf(date.toPlainDateTime({ hour, minute, second }), timezone);
        for (const instant of instants) {
          if (instant > afterMs && (best === undefined || instant < best)) best = instant;
        }
      }
    }
  }
  return best;
}

function nextCalendarFire(matcher: Matcher, timezone: string, after: Date): Date | undefined {
  const afterMs = after.getTime();
  // Start a day early: in a fold, later instants can read an earlier wall-clock date.
  let date = Temporal.PlainDate.from(wallTimeOf(after, timezone)).subtract({ days: 1 });
  const end = date.add({ days: SEARCH_DAYS });
  let best: number | undefined;
  while (Temporal.PlainDate.compare(date, end) < 0) {
    if (best !== undefined && naiveMs(date) - MAX_OFFSET_MS > best) break;
    // A month that never matches is passed over whole: yearly schedules would otherwise walk every day.
    if (!matcher.months.has(date.month)) {
      date = date.with({ day: 1 }).add({ months: 1 });
      continue;
    }
    if (dayMatches(matcher, date)) best = earliestOnDay(matcher, date, timezone, afterMs, best);
    date = date.add({ days: 1 });
  }
  return best === undefined ? undefined : new Date(best);
}

/** The first instant strictly after `after` at which `spec` fires in `timezone`; undefined if none within 9 years. */
export function nextFireAfter(spec: RecurrenceSpec, timezone: string, after: Date): Date | undefined {
  if (spec.type === 'interval') {
    const n = Math.floor((after.getTime() - spec.offsetMs) / spec.everyMs) + 1;
    return new Date(spec.offsetMs + n * spec.everyMs);
  }
  return nextCalendarFire(matcherOf(spec), timezone, after);
}

/**
 * The first run at or after `now` and how many runs came before it, which still count toward `times`. Intervals
 * are counted arithmetically; calendars with a limit are walked from their first run.
 */
function firstRunFrom(parsed: RecurringWhen, now: Date): { run: number; at: Date | undefined } {
  if (parsed.at >= now) return { run: 0, at: parsed.at };
  const { spec } = parsed;
  if (spec.type === 'interval') {
    const run = Math.ceil((now.getTime() - parsed.at.getTime()) / spec.everyMs);
    return { run, at: new Date(parsed.at.getTime() + run * spec.everyMs) };
  }
  if (parsed.times === null) {
    return { run: 0, at: nextFireAfter(spec, parsed.timezone, new Date(now.getTime() - 1)) };
  }
  let run = 0;
  let at: Date | undefined = parsed.at;
  while (at && at < now && run < parsed.times) {
    run += 1;
    at = nextFireAfter(spec, parsed.timezone, at);
  }
  return { run, at };
}

/**
 * The next `count` instants `parsed` fires at, from `ctx.now` on: a one-time `when` fires once (a past time is
 * due now), a recurring one from its first run `at`, stopping after `times` runs.
 */
export function previewFireTimes(parsed: ParsedWhen, count: number, ctx: { readonly now: Date }): Date[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a whole number >= 0, not ${count}`);
  }
  if (count === 0) return [];
  if (parsed.kind === 'once') return [new Date(Math.max(parsed.at.getTime(), ctx.now.getTime()))];
  const limit = parsed.times ?? Number.POSITIVE_INFINITY;
  const fires: Date[] = [];
  const { run: firstRun, at: first } = firstRunFrom(parsed, ctx.now);
  let next: Date | undefined = first;
  for (let run = firstRun; next && run < limit && fires.length < count; run++) {
    fires.push(next);
    next = nextFireAfter(parsed.spec, parsed.timezone, next);
  }
  return fires;
}
