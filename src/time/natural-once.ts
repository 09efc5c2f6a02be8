/**
 * One-time phrases in everyday English: a day (`today`, `tomorrow`, `tonight`, `monday`, `next monday`,
 * `this friday`, `dec 25`, `25 december 2027`, `2026-12-01`) and/or a time of day (`2pm`, `14:30`, `noon`), in
 * either order, with optional `at` / `on`. Wall-clock times are read in the task's time zone relative to `now`.
 *
 * Rules for the cases people write loosely (each tested):
 * - A time without a day is its next occurrence: today if still ahead, else tomorrow.
 * - A day without a time is 09:00 that day: a named day most likely means the start of a working day, while
 *   midnight would fire while everyone sleeps and "24 hours from now" would depend on when the request arrived.
 *   `today` and `tonight` need a time, since their 09:00 may be long gone.
 * - A bare weekday is its next occurrence: today if it is that weekday and the time is still ahead.
 * - `next <weekday>` is that weekday in the following ISO week (weeks start on Monday), so on Tuesday
 *   `next friday` is 10 days away while `friday` is 3; `this <weekday>` is that day in the current week.
 * - A month and day without a year is the next one, so `dec 25` after Christmas means next year's.
 * - Anything that lands in the past (`today at 7:45pm` at 9pm, `this monday` on Tuesday, a dated phrase with a
 *   past year) is rejected rather than moved: the writer may have meant another day, and guessing which is not
 *   ours to do.
 * - `<day> at midnight` is rejected (the start or the end of that day?); `midnight` alone is the next 00:00.
 * - A wall time skipped by a DST change moves forward by the gap, like ISO times (see `instantOf`).
 */
import { type CivilDate, addDays, formatDate, isRealDate, isoWeekdayIndex, weekdayOf } from './civil-date.js';
import {
  type Read,
  type TimeOfDay,
  dayOfMonthWord,
  formatTimeOfDay,
  looksLikeTime,
  monthWord,
  parseTimeToken,
  weekdayWord,
} from './phrase-words.js';
import { instantOf, wallTimeOf } from './time-zone.js';
import { MONTH_NAMES, type WhenContext } from './when-types.js';
import { reject } from './when-error.js';

type DayRef =
  | { readonly kind: 'today' | 'tomorrow' | 'tonight' }
  | { readonly kind: 'weekday'; readonly weekday: number; readonly which: 'bare' | 'next' | 'this' }
  | { readonly kind: 'date'; readonly month: number; readonly day: number; readonly year?: number };

const DEFAULT_TIME: TimeOfDay = { hour: 9, minute: 0, second: 0 };
/** `tonight` covers the evening; earlier times are more likely a slip than a plan. */
const TONIGHT_FROM_HOUR = 17;
/** Feb 29 comes round at least once in 8 years. */
const YEARS_TO_SEARCH = 9;

function readYear(tokens: readonly string[], i: number): Read<number | undefined> {
  const at = tokens[i] === ',' ? i + 1 : i;
  const token = tokens[at];
  return token !== undefined && /^\d{4}$/.test(token)
    ? { value: Number(token), next: at + 1 }
    : { value: undefined, next: i };
}

/** `dec 25`, `december 25th, 2027`, `25 dec`, `25th of december`, `the 25th of december`, `2026-12-01`. */
function readDate(tokens: readonly string[], i: number, input: string): Read<DayRef> | undefined {
  const token = tokens[i]!;
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(token);
  if (iso) {
    return {
      value: { kind: 'date', year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) },
      next: i + 1,
    };
  }
  const month = monthWord(token);
  if (month !== undefined) {
    const day = tokens[i + 1] === undefined ? undefined : dayOfMonthWord(tokens[i + 1]!);
    if (day === undefined) return reject(input, `"${token}" needs a day of the month, as in "dec 25"`);
    const year = readYear(tokens, i + 2);
    return { value: { kind: 'date', month, day, year: year.value }, next: year.next };
  }
  const start = token === 'the' ? i + 1 : i;
  const day = tokens[start] === undefined ? undefined : dayOfMonthWord(tokens[start]!);
  if (day === undefined) return undefined;
  const monthAt = tokens[start + 1] === 'of' ? start + 2 : start + 1;
  const monthOfDay = tokens[monthAt] === undefined ? undefined : monthWord(tokens[monthAt]!);
  if (monthOfDay === undefined) return undefined;
  const year = readYear(tokens, monthAt + 1);
  return { value: { kind: 'date', month: monthOfDay, day, year: year.value }, next: year.next };
}

/** Reads the day words at `tokens[i]`, or undefined when they are not a day. */
function readDay(tokens: readonly string[], i: number, input: string): Read<DayRef> | undefined {
  const token = tokens[i]!;
  if (/^\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?$/.test(token)) {
    return reject(input, `"${token}" could be month/day or day/month; write "dec 25" or 2026-12-25`);
  }
  if (token === 'today' || token === 'tomorrow' || token === 'tonight') {
    return { value: { kind: token }, next: i + 1 };
  }
  if (token === 'next' || token === 'this') {
    const following = tokens[i + 1] ?? '';
    const weekday = weekdayWord(following);
    if (weekday === undefined) {
      const words = `${token} ${following}`.trim();
      return reject(input, `"${words}" is not a day Pulse knows; write "${token} monday" or a date`);
    }
    return { value: { kind: 'weekday', weekday, which: token }, next: i + 2 };
  }
  const weekday = weekdayWord(token);
  if (weekday !== undefined) return { value: { kind: 'weekday', weekday, which: 'bare' }, next: i + 1 };
  return readDate(tokens, i, input);
}

interface OncePhrase {
  readonly day?: DayRef;
  readonly time?: TimeOfDay;
}

/** Splits tokens into one day and one time; undefined when the first word is not part of a time at all. */
function readPhrase(tokens: readonly string[], input: string): OncePhrase | undefined {
  let day: DayRef | undefined;
  let time: TimeOfDay | undefined;
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if (token === ',') {
      i += 1;
      continue;
    }
    const following = tokens[i + 1];
    if (token === 'at' && (following === undefined || !looksLikeTime(following))) {
      return reject(input, '"at" must be followed by a time of day, as in "at 9am" or "at 14:30"');
    }
    if (token === 'on' && (following === undefined || !readDay(tokens, i + 1, input))) {
      return reject(input, '"on" must be followed by a day, as in "on monday" or "on dec 25"');
    }
    if (token === 'at' || token === 'on') {
      i += 1;
      continue;
    }
    const readDayHere = readDay(tokens, i, input);
    if (readDayHere) {
      if (day) return reject(input, 'it names two days');
      day = readDayHere.value;
      i = readDayHere.next;
      continue;
    }
    if (looksLikeTime(token)) {
      if (time) return reject(input, 'it names two times of day');
      time = parseTimeToken(token, input);
      i += 1;
      continue;
    }
    if (!day && !time) return undefined;
    return reject(input, `"${token}" is not a word Pulse understands in a time`);
  }
  return day || time ? { day, time } : undefined;
}

function at(date: CivilDate, time: TimeOfDay, timezone: string): Date {
  return instantOf({ ...date, hour: time.hour, minute: time.minute, second: time.second }, timezone);
}

function rejectPast(input: string, instant: Date, ctx: WhenContext, hint: string): never {
  const then = wallTimeOf(instant, ctx.timezone);
  const now = wallTimeOf(ctx.now, ctx.timezone);
  return reject(
    input,
    `${formatDate(then)} ${formatTimeOfDay(then)} has already passed (it is ${formatDate(now)} ` +
      `${formatTimeOfDay(now)} in ${ctx.timezone}); ${hint}`,
  );
}

function monthName(month: number): string {
  const name = MONTH_NAMES[month - 1]!;
  return name[0] + name.slice(1).toLowerCase();
}

function resolveDate(
  day: Extract<DayRef, { kind: 'date' }>,
  time: TimeOfDay,
  today: CivilDate,
  ctx: WhenContext,
  input: string,
): Date {
  // 2000 is a leap year, so this only rules out days that never exist (Feb 30, Apr 31).
  if (!isRealDate(2000, day.month, day.day)) {
    return reject(input, `${monthName(day.month)} has no day ${day.day}`);
  }
  if (day.year !== undefined) {
    if (!isRealDate(day.year, day.month, day.day)) {
      return reject(input, `${monthName(day.month)} ${day.day} does not exist in ${day.year}`);
    }
    const instant = at({ year: day.year, month: day.month, day: day.day }, time, ctx.timezone);
    if (instant < ctx.now) return rejectPast(input, instant, ctx, 'leave out the year to get the next one');
    return instant;
  }
  for (let year = today.year; year <= today.year + YEARS_TO_SEARCH; year++) {
    if (!isRealDate(year, day.month, day.day)) continue;
    const instant = at({ year, month: day.month, day: day.day }, time, ctx.timezone);
    if (instant >= ctx.now) return instant;
  }
  return reject(input, `no ${monthName(day.month)} ${day.day} follows`);
}

function resolveWeekday(
  day: Extract<DayRef, { kind: 'weekday' }>,
  time: TimeOfDay,
  today: CivilDate,
  ctx: WhenContext,
  input: string,
): Date {
  const todayIndex = isoWeekdayIndex(weekdayOf(today));
  const targetIndex = isoWeekdayIndex(day.weekday);
  if (day.which === 'next') return at(addDays(today, 7 - todayIndex + targetIndex), time, ctx.timezone);
  if (day.which === 'this') {
    const instant = at(addDays(today, targetIndex - todayIndex), time, ctx.timezone);
    if (instant < ctx.now) return rejectPast(input, instant, ctx, 'say "next ..." for the one next week');
    return instant;
  }
  const ahead = (day.weekday - weekdayOf(today) + 7) % 7;
  const instant = at(addDays(today, ahead), time, ctx.timezone);
  return instant < ctx.now ? at(addDays(today, ahead + 7), time, ctx.timezone) : instant;
}

function resolve(phrase: OncePhrase, ctx: WhenContext, input: string): Date {
  const today: CivilDate = wallTimeOf(ctx.now, ctx.timezone);
  const { day } = phrase;
  if (!day) {
    const time = phrase.time!;
    const instant = at(today, time, ctx.timezone);
    return instant < ctx.now ? at(addDays(today, 1), time, ctx.timezone) : instant;
  }
  if (phrase.time?.midnight) {
    return reject(
      input,
      '"midnight" next to a day is ambiguous (its start or its end?); write 00:00 or 23:59',
    );
  }
  if (!phrase.time && (day.kind === 'today' || day.kind === 'tonight')) {
    return reject(input, `"${day.kind}" needs a time, as in "${day.kind} at 8pm"`);
  }
  const time = phrase.time ?? DEFAULT_TIME;
  switch (day.kind) {
    case 'tomorrow':
      return at(addDays(today, 1), time, ctx.timezone);
    case 'today':
    case 'tonight': {
      if (day.kind === 'tonight' && time.hour < TONIGHT_FROM_HOUR) {
        return reject(input, `${formatTimeOfDay(time)} is not tonight; tonight runs from 17:00 to 23:59`);
      }
      const instant = at(today, time, ctx.timezone);
      if (instant < ctx.now) {
        return rejectPast(
          input,
          instant,
          ctx,
          `leave out "${day.kind}" to get the next one, or say "tomorrow"`,
        );
      }
      return instant;
    }
    case 'weekday':
      return resolveWeekday(day, time, today, ctx, input);
    case 'date':
      return resolveDate(day, time, today, ctx, input);
  }
}

/**
 * The instant a one-time phrase names, or undefined when `tokens` are not a phrase of this kind at all (so the
 * caller can try other forms). Throws `WhenParseError` when it is one but cannot be honoured.
 */
export function parseOncePhrase(
  tokens: readonly string[],
  input: string,
  ctx: WhenContext,
): Date | undefined {
  const phrase = readPhrase(tokens, input);
  return phrase ? resolve(phrase, ctx, input) : undefined;
}
