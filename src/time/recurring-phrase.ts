/**
 * Recurring phrases → a recurrence spec.
 *
 * - `every N units` (`every 30 seconds`, `every 5m`, `every 2 hours`, `every 3 days`) is an interval: it fires
 *   every N units counted from its first run, which is N units after it is scheduled. The length is fixed, so
 *   `every 1 day` keeps its UTC time and its wall time moves by an hour across DST; `daily at ...` does not.
 * - A cadence without a number is aligned to the wall clock in the task's time zone, like cron's shorthands:
 *   `every second`, `every minute` (at :00), `hourly` / `every hour` (at minute 0), `daily` / `every day`,
 *   `weekly` / `every week` (Sundays, as cron's `@weekly`), `monthly` / `every month` (the 1st), `yearly` /
 *   `annually` / `every year` (January 1st). Without `at ...` the day-based ones fire at 00:00.
 * - Days of the week: `every weekday` (Mon–Fri), `every weekend` (Sat+Sun), `every monday`, `every monday and
 *   friday`, `every mon, wed and fri`, `mondays`, `weekdays`, `weekly on tuesday`.
 * - Times: `at 9am`, `at 18:00`, `at noon`, `at midnight`, and several that share their minute
 *   (`at 9am and 5pm`), since one calendar entry is the product of its hours and minutes.
 * - `monthly on the 15th`: days 1–28 only, because a 29th–31st silently skips the months without one.
 */
import {
  type DurationUnit,
  MAX_AHEAD_WORDS,
  UNIT_MS,
  isWithinMaxAhead,
  parseDelay,
  unitWord,
} from './duration.js';
import {
  type Read,
  type TimeOfDay,
  countWord,
  dayOfMonthWord,
  formatTimeOfDay,
  looksLikeTime,
  ordinal,
  parseTimeToken,
  pluralWeekdayWord,
  weekdayWord,
} from './phrase-words.js';
import { type CalendarField, type CalendarRecurrence, DAY_NAMES, type DayName } from './when-types.js';
import { reject } from './when-error.js';

/** A recurrence before its first run is known: an interval's offset comes from that first run. */
export type PhraseSpec = CalendarRecurrence | { readonly type: 'interval'; readonly everyMs: number };

type Cadence = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

const CADENCE_WORDS: Record<string, Cadence> = {
  hourly: 'hour',
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
  yearly: 'year',
  annually: 'year',
};

const CADENCE_UNITS: Record<string, Cadence> = {
  second: 'second',
  sec: 'second',
  minute: 'minute',
  min: 'minute',
  hour: 'hour',
  hr: 'hour',
  day: 'day',
  week: 'week',
  month: 'month',
  year: 'year',
};

const WEEKDAYS = [1, 2, 3, 4, 5];
const WEEKEND = [6, 0];

/**
 * The days one token names. `plural` forms (`weekdays`, `mondays`) stand on their own; the singular ones
 * (`weekday`, `monday`) only after `every` or `on`.
 */
function daysOfToken(token: string | undefined, form: 'plural' | 'any'): readonly number[] | undefined {
  if (token === undefined) return undefined;
  if (token === 'weekdays') return WEEKDAYS;
  if (token === 'weekends') return WEEKEND;
  const plural = pluralWeekdayWord(token);
  if (plural !== undefined) return [plural];
  if (form === 'plural') return undefined;
  if (token === 'weekday') return WEEKDAYS;
  if (token === 'weekend') return WEEKEND;
  const single = weekdayWord(token);
  return single === undefined ? undefined : [single];
}

/** The index after a run of list separators (`,` / `and`) starting at `i`; `i` itself when there is none. */
function skipSeparators(tokens: readonly string[], i: number): number {
  let next = i;
  while (tokens[next] === ',' || tokens[next] === 'and') next += 1;
  return next;
}

/** A list of days joined by commas and `and`: `monday and friday`, `mon, wed and fri`, `weekends`. */
function readDays(tokens: readonly string[], i: number, form: 'plural' | 'any'): Read<number[]> | undefined {
  const days: number[] = [];
  let next = i;
  for (;;) {
    const found = daysOfToken(tokens[next], form);
    if (!found) break;
    days.push(...found);
    next += 1;
    const following = skipSeparators(tokens, next);
    if (following === next || !daysOfToken(tokens[following], form)) break;
    next = following;
  }
  return days.length > 0 ? { value: days, next } : undefined;
}

/** `9am`, `9am and 5pm`, `9am, 1pm and 5pm` after `at`. */
function readTimes(tokens: readonly string[], i: number, input: string): Read<TimeOfDay[]> {
  const times: TimeOfDay[] = [];
  let next = i;
  for (;;) {
    const token = tokens[next];
    if (token === undefined || !looksLikeTime(token)) {
      return reject(input, '"at" must be followed by a time of day, as in "at 9am" or "at 18:00"');
    }
    times.push(parseTimeToken(token, input)!);
    next += 1;
    const following = skipSeparators(tokens, next);
    if (following === next || !looksLikeTime(tokens[following] ?? '')) break;
    next = following;
  }
  return { value: times, next };
}

/** `the 15th` / `15` after `monthly on`. */
function readMonthDay(tokens: readonly string[], i: number, input: string): Read<number> {
  const at = tokens[i] === 'the' ? i + 1 : i;
  const day = tokens[at] === undefined ? undefined : dayOfMonthWord(tokens[at]!);
  if (day === undefined) {
    return reject(input, '"on" must be followed by a day of the month, as in "on the 15th"');
  }
  if (day < 1) return reject(input, 'there is no day 0 in a month');
  if (day > 28) {
    return reject(
      input,
      `the ${ordinal(day)} does not exist in every month, so it would skip months silently; ` +
        'pick a day from 1 to 28 or write a cron expression',
    );
  }
  return { value: day, next: at + 1 };
}

function dayOfWeekField(days: readonly number[]): CalendarField<DayName> {
  // Monday first: the order people read a week in; Temporal does not care.
  const unique = [...new Set(days)].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
  if (unique.join() === WEEKDAYS.join()) return { start: 'MONDAY', end: 'FRIDAY' };
  const names = unique.map((d) => DAY_NAMES[d]!);
  return names.length === 1 ? names[0]! : names;
}

function timeFields(
  times: readonly TimeOfDay[],
  input: string,
): Pick<CalendarRecurrence, 'second' | 'minute' | 'hour'> {
  const [first] = times;
  if (!first) return { second: 0, minute: 0, hour: 0 };
  const odd = times.find((t) => t.minute !== first.minute || t.second !== first.second);
  if (odd) {
    return reject(
      input,
      `${formatTimeOfDay(first)} and ${formatTimeOfDay(odd)} differ in their minutes, which one schedule entry ` +
        'cannot express; use times on the same minute (9am and 5pm) or two tasks',
    );
  }
  const hours = [...new Set(times.map((t) => t.hour))].sort((a, b) => a - b);
  return { second: first.second, minute: first.minute, hour: hours.length === 1 ? hours[0]! : hours };
}

function calendar(fields: Omit<CalendarRecurrence, 'type'>): CalendarRecurrence {
  return { type: 'calendar', ...fields };
}

/** An interval of `everyMs`, checked against what a schedule can run; `words` is how the input wrote it. */
function intervalOf(everyMs: number, words: string, input: string): PhraseSpec {
  if (everyMs <= 0) return reject(input, `"${words}" never repeats; the interval must be at least 1 second`);
  // Before the whole-second test: a float this large (6.048e22 ms) has no exact millisecond count to test.
  if (!isWithinMaxAhead(everyMs)) {
    return reject(
      input,
      `"${words}" is longer than ${MAX_AHEAD_WORDS}, the longest interval Pulse schedules`,
    );
  }
  if (everyMs < 1000) {
    return reject(input, `"${words}" is shorter than 1 second, the finest step a schedule takes`);
  }
  if (everyMs % 1000 !== 0) {
    return reject(input, `"${words}" is not a whole number of seconds, the finest step a schedule takes`);
  }
  return { type: 'interval', everyMs };
}

function intervalSpec(count: number, unit: DurationUnit, words: string, input: string): PhraseSpec {
  if (unit === 'y') {
    return reject(
      input,
      `years differ in length, so "${words}" is not a fixed interval; say "yearly" or use a cron expression`,
    );
  }
  return intervalOf(Math.round(count * UNIT_MS[unit]), words, input);
}

/** A delay used as an interval (`2m`, `2 hours`), checked like `every 2m`; undefined when it is no delay. */
export function intervalFromDelay(text: string, input: string): PhraseSpec | undefined {
  const everyMs = parseDelay(text);
  if (everyMs === undefined) return undefined;
  const words = text.trim();
  const unit = unitWord(words.toLowerCase().replace(/^[\d.]+\s*/, ''));
  return unit === 'y' ? intervalSpec(1, 'y', words, input) : intervalOf(everyMs, words, input);
}

/** `every 5 minutes`, `every 5m`, `every five minutes` after `every` at `tokens[i]`; undefined if not a count. */
function readInterval(tokens: readonly string[], i: number, input: string): Read<PhraseSpec> | undefined {
  const token = tokens[i]!;
  const compact = /^\d/.test(token) ? intervalFromDelay(token, input) : undefined;
  if (compact) return { value: compact, next: i + 1 };
  const count = countWord(token);
  const unitToken = tokens[i + 1];
  if (count === undefined || unitToken === undefined || token === 'a' || token === 'an') return undefined;
  const words = `every ${token} ${unitToken}`;
  if (/^months?$/.test(unitToken)) {
    return reject(
      input,
      `months differ in length, so "${words}" is not a fixed interval; say "monthly" or use a cron expression`,
    );
  }
  const unit = unitWord(unitToken);
  if (!unit) return reject(input, `"${unitToken}" is not a unit; use seconds, minutes, hours, days or weeks`);
  return { value: intervalSpec(count, unit, words, input), next: i + 2 };
}

interface Head {
  readonly cadence?: Cadence;
  readonly days?: number[];
  readonly interval?: PhraseSpec;
  readonly next: number;
}

function readHead(tokens: readonly string[], input: string): Head | undefined {
  const first = tokens[0]!;
  if (Object.hasOwn(CADENCE_WORDS, first)) return { cadence: CADENCE_WORDS[first], next: 1 };
  if (first !== 'every' && first !== 'each') {
    const days = readDays(tokens, 0, 'plural');
    return days ? { days: days.value, next: days.next } : undefined;
  }
  const second = tokens[1];
  if (second === undefined) return reject(input, `"${first}" needs what to repeat, as in "every 5 minutes"`);
  const interval = readInterval(tokens, 1, input);
  if (interval) return { interval: interval.value, next: interval.next };
  if (Object.hasOwn(CADENCE_UNITS, second)) return { cadence: CADENCE_UNITS[second], next: 2 };
  const days = readDays(tokens, 1, 'any');
  if (days) return { days: days.value, next: days.next };
  if (second === 'other') {
    return reject(input, '"every other ..." is not supported; say "every 2 days" or use a cron expression');
  }
  return reject(input, `"${first} ${second}" is not a repetition Pulse knows`);
}

interface Tail {
  times?: TimeOfDay[];
  days?: number[];
  dayOfMonth?: number;
}

function readTail(tokens: readonly string[], i: number, cadence: Cadence | undefined, input: string): Tail {
  const tail: Tail = {};
  let next = i;
  while (next < tokens.length) {
    const token = tokens[next]!;
    if (token === ',') {
      next += 1;
    } else if (token === 'at' && !tail.times) {
      const times = readTimes(tokens, next + 1, input);
      tail.times = times.value;
      next = times.next;
    } else if (token === 'on' && cadence === 'week' && !tail.days) {
      const days = readDays(tokens, next + 1, 'any');
      if (!days) return reject(input, '"weekly on" must be followed by days, as in "weekly on monday"');
      tail.days = days.value;
      next = days.next;
    } else if (token === 'on' && cadence === 'month' && tail.dayOfMonth === undefined) {
      const day = readMonthDay(tokens, next + 1, input);
      tail.dayOfMonth = day.value;
      next = day.next;
    } else {
      return reject(input, `"${tokens.slice(next).join(' ')}" does not fit this repeating phrase`);
    }
  }
  return tail;
}

function clockCadence(cadence: 'second' | 'minute' | 'hour'): CalendarRecurrence {
  const every = { dayOfMonth: '*', month: '*', dayOfWeek: '*' } as const;
  if (cadence === 'second') return calendar({ second: '*', minute: '*', hour: '*', ...every });
  if (cadence === 'minute') return calendar({ second: 0, minute: '*', hour: '*', ...every });
  return calendar({ second: 0, minute: 0, hour: '*', ...every });
}

function dayCalendar(head: Head, tail: Tail, input: string): CalendarRecurrence {
  const time = timeFields(tail.times ?? [], input);
  const days = head.days ?? tail.days ?? (head.cadence === 'week' ? [0] : undefined);
  return calendar({
    ...time,
    dayOfMonth: head.cadence === 'month' ? (tail.dayOfMonth ?? 1) : head.cadence === 'year' ? 1 : '*',
    month: head.cadence === 'year' ? 'JANUARY' : '*',
    dayOfWeek: days ? dayOfWeekField(days) : '*',
  });
}

/**
 * The recurrence a phrase describes, or undefined when it does not start like a recurring phrase. Throws
 * `WhenParseError` when it does but cannot be honoured exactly.
 */
export function parseRecurringPhrase(tokens: readonly string[], input: string): PhraseSpec | undefined {
  if (tokens.length === 0) return undefined;
  const head = readHead(tokens, input);
  if (!head) return undefined;
  const rest = tokens.slice(head.next).join(' ');
  if (head.interval) {
    if (rest !== '') {
      return reject(
        input,
        `an interval cannot be combined with "${rest}"; use a calendar phrase such as "daily at 9am" or a cron expression`,
      );
    }
    return head.interval;
  }
  const cadence = head.cadence;
  if (cadence === 'second' || cadence === 'minute' || cadence === 'hour') {
    if (rest !== '') {
      return reject(
        input,
        `"${tokens.slice(0, head.next).join(' ')}" takes no "${rest}"; for a fixed minute write a cron expression such as "15 * * * *"`,
      );
    }
    return clockCadence(cadence);
  }
  return dayCalendar(head, readTail(tokens, head.next, cadence, input), input);
}
