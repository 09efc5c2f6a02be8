/**
 * Turns a task's `when` (a string or one of the contract's object forms) into when it is due: once at an
 * instant, or on a recurrence. Pure: the clock and the time zone are passed in, so every case is testable with
 * a fixed "now".
 *
 * A string is tried as, in order: `now`, ISO-8601, a delay (`5m`), `in N units` / `N units from now`, a 5-field
 * cron expression or `@daily`-style shorthand, a recurring phrase (`every ...`, `daily ...`, `weekdays ...`),
 * and a one-time phrase (`tomorrow at 2pm`). The first form whose shape fits decides; if it then cannot be
 * honoured exactly the input is rejected with the reason, never reinterpreted as another form.
 */
import { daysInMonth } from './civil-date.js';
import { looksLikeCron, parseCron } from './cron.js';
import { MAX_AHEAD_WORDS, UNIT_MS, isWithinMaxAhead, parseDelay, unitWord } from './duration.js';
import { nextFireAfter } from './fire-times.js';
import { parseOncePhrase } from './natural-once.js';
import { countWord, tokenize } from './phrase-words.js';
import { type PhraseSpec, intervalFromDelay, parseRecurringPhrase } from './recurring-phrase.js';
import { instantOf, isValidTimeZone } from './time-zone.js';
import { reject } from './when-error.js';
import type {
  OnceWhen,
  ParsedWhen,
  RecurrenceSpec,
  RecurringWhen,
  RepeatInput,
  WhenContext,
  WhenObject,
} from './when-types.js';

export { WHEN_EXAMPLES, WhenParseError } from './when-error.js';
export { parseDelay } from './duration.js';
export { previewFireTimes, nextFireAfter } from './fire-times.js';
export type * from './when-types.js';

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Parses ISO-8601; a time without offset is wall-clock time in `timezone`. Undefined when not ISO-shaped. */
export function parseIsoInstant(text: string, timezone: string, input = text): Date | undefined {
  const match = ISO.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = match;
  const wall = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s),
    millisecond: Math.floor(Number(`0.${frac || '0'}`) * 1000),
  };
  if (wall.month < 1 || wall.month > 12) return reject(input, `month ${mo} does not exist`);
  if (wall.day < 1 || wall.day > daysInMonth(wall.year, wall.month)) {
    return reject(input, `day ${d} does not exist in ${y}-${mo}`);
  }
  if (wall.hour > 23 || wall.minute > 59 || wall.second > 59) {
    return reject(input, `time ${h}:${mi}:${s} is not a valid time of day`);
  }
  if (!zone) return instantOf(wall, timezone);
  const utc = Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour,
    wall.minute,
    wall.second,
    wall.millisecond,
  );
  if (zone.toUpperCase() === 'Z') return new Date(utc);
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
  if (offsetMinutes > 18 * 60) return reject(input, `offset ${zone} is out of range`);
  return new Date(utc - sign * offsetMinutes * 60_000);
}

const RELATIVE = /^in\s+(\d+(?:\.\d+)?|[a-z]+)\s*([a-z]+)$|^(\d+(?:\.\d+)?)\s*([a-z]+)\s+from\s+now$/;

/** `in 5 minutes`, `in an hour`, `in two weeks`, `10 minutes from now`, as milliseconds. */
function parseRelative(text: string): number | undefined {
  const match = RELATIVE.exec(text);
  if (!match) return undefined;
  const amount = countWord(match[1] ?? match[3]!);
  const unit = unitWord(match[2] ?? match[4]!);
  if (amount === undefined || !unit) return undefined;
  return Math.round(amount * UNIT_MS[unit]);
}

/**
 * Refuses an instant beyond the supported range. A huge delay (`in 300000 years`, `99999999999w`) sums to an
 * Invalid Date whose NaN passes any `>` test, so the length ahead is checked for being finite too.
 */
function checkAhead(input: string, instant: Date, now: Date): Date {
  if (!isWithinMaxAhead(instant.getTime() - now.getTime())) {
    return reject(
      input,
      `that is more than 10 years ahead; Pulse schedules up to ${MAX_AHEAD_WORDS} from now`,
    );
  }
  return instant;
}

function once(input: string, instant: Date, now: Date): OnceWhen {
  return { kind: 'once', at: checkAhead(input, instant, now) };
}

/** `@daily`-style shorthands, read as the phrase they abbreviate (the same list cron and Temporal accept). */
const CRON_SHORTHANDS: Record<string, string> = {
  '@yearly': 'yearly',
  '@annually': 'yearly',
  '@monthly': 'monthly',
  '@weekly': 'weekly',
  '@daily': 'daily',
  '@midnight': 'daily',
  '@hourly': 'hourly',
};

/** A cron expression, shorthand or recurring phrase as an unanchored spec; undefined when `text` is none. */
function parseRecurrenceText(text: string, input: string): PhraseSpec | RecurrenceSpec | undefined {
  const words = text.trim().split(/\s+/);
  if (looksLikeCron(words)) return { type: 'cron', expression: parseCron(text, input).expression };
  const lower = text.trim().toLowerCase();
  const shorthand = Object.hasOwn(CRON_SHORTHANDS, lower) ? CRON_SHORTHANDS[lower]! : undefined;
  return parseRecurringPhrase(tokenize(shorthand ?? lower), input);
}

/** Whole seconds: Temporal schedules round interval offsets to the second, so previews must too. */
function toWholeSecond(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / 1000) * 1000);
}

/**
 * Fixes a spec to its first run. An interval fires at `start` and every `everyMs` after it (`start` defaults to
 * one interval from now); a calendar or cron fires at its first match at or after `start` (default: after now).
 */
function anchor(
  spec: PhraseSpec | RecurrenceSpec,
  timezone: string,
  ctx: WhenContext,
  input: string,
  start?: Date,
): { spec: RecurrenceSpec; at: Date } {
  if (spec.type === 'interval') {
    const at = toWholeSecond(start ?? new Date(ctx.now.getTime() + spec.everyMs));
    return { spec: { type: 'interval', everyMs: spec.everyMs, offsetMs: at.getTime() % spec.everyMs }, at };
  }
  const after = start ? new Date(start.getTime() - 1) : ctx.now;
  const at = nextFireAfter(spec, timezone, after);
  if (!at) return reject(input, 'it never fires within the next 9 years');
  return { spec, at: checkAhead(input, at, ctx.now) };
}

function recurring(
  spec: PhraseSpec | RecurrenceSpec,
  timezone: string,
  ctx: WhenContext,
  input: string,
  options: { start?: Date; times?: number | null } = {},
): RecurringWhen {
  const anchored = anchor(spec, timezone, ctx, input, options.start);
  return { kind: 'recurring', ...anchored, timezone, times: options.times ?? null };
}

/** Parses a `when` string in any form; see the module comment for the order forms are tried in. */
function parseWhenString(input: string, ctx: WhenContext): ParsedWhen {
  const text = input.trim().toLowerCase().replace(/\s+/g, ' ');
  if (text === '') return reject(input, 'it is empty');
  if (text === 'now' || text === 'immediately' || text === 'asap') return { kind: 'once', at: ctx.now };
  const iso = parseIsoInstant(input.trim(), ctx.timezone, input);
  if (iso) return once(input, iso, ctx.now);
  const delay = parseDelay(text) ?? parseRelative(text);
  if (delay !== undefined) return once(input, new Date(ctx.now.getTime() + delay), ctx.now);
  const spec = parseRecurrenceText(input, input);
  if (spec) return recurring(spec, ctx.timezone, ctx, input);
  const instant = parseOncePhrase(tokenize(text), input, ctx);
  if (instant) return once(input, instant, ctx.now);
  return reject(input, 'it is not a time, a delay or a phrase Pulse knows');
}

/** The start of a `{"type": "recurring"}` object: its `time` or `delay`, if it has one. */
function recurringStart(when: WhenObject, ctx: WhenContext, input: string): Date | undefined {
  if (when.delay != null) {
    const delay = parseDelay(when.delay);
    if (delay === undefined) return reject(when.delay, 'a delay is a number and a unit (s, m, h, d, w)');
    return checkAhead(when.delay, new Date(ctx.now.getTime() + delay), ctx.now);
  }
  if (when.time == null) return undefined;
  const start = parseWhenString(when.time, ctx);
  if (start.kind !== 'once') {
    return reject(
      input,
      `"time" is the first run; "${when.time}" repeats by itself, so put it in "repeat.interval"`,
    );
  }
  return start.at;
}

function parseTimes(times: unknown, input: string): number | null {
  if (times == null) return null;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) {
    return reject(
      input,
      `"times" is the total number of runs, a whole number of at least 1 (or null for no end)`,
    );
  }
  return times;
}

/**
 * Reads `repeat: {interval, times}`: `interval` is a delay (`2m`) or a recurring phrase (`daily at 9am`), `times`
 * the total number of runs, counting the first (null = until cancelled). A delay interval runs at `start`
 * (default: now) and every interval after it; a phrase runs at its own times from `start` on.
 */
export function parseRepeat(repeat: unknown, ctx: WhenContext, start?: Date): RecurringWhen {
  const input = JSON.stringify(repeat) ?? String(repeat);
  if (typeof repeat !== 'object' || repeat === null || Array.isArray(repeat)) {
    return reject(input, '"repeat" is an object such as {"interval": "2m", "times": 5}');
  }
  const { interval, cron, times } = repeat as RepeatInput;
  if (cron != null) {
    // The original's own tool model gives `{"cron": "0 */4 * * *"}` as a repeat: the cron's times from `start` on.
    if (interval != null) return reject(input, 'give "repeat.interval" or "repeat.cron", not both');
    const { spec } = parseCronObject({ type: 'cron', cron }, ctx, input) as RecurringWhen;
    return recurring(spec, ctx.timezone, ctx, cron, { start, times: parseTimes(times, input) });
  }
  if (typeof interval !== 'string' || interval.trim() === '') {
    return reject(
      input,
      '"repeat.interval" is required: a delay such as "2m" or a phrase such as "daily at 9am" (or "repeat.cron")',
    );
  }
  const limit = parseTimes(times, input);
  const spec = intervalFromDelay(interval, interval) ?? parseRecurrenceText(interval, interval);
  if (!spec) {
    return reject(
      interval,
      'a repeat interval is a delay such as "2m" or a recurring phrase such as "daily at 9am"',
    );
  }
  // An interval repeats a run, so it starts with one; a calendar phrase names its own run times.
  const first = spec.type === 'interval' ? (start ?? ctx.now) : start;
  return recurring(spec, ctx.timezone, ctx, interval, { start: first, times: limit });
}

function onlyOne(when: WhenObject, keys: readonly ('time' | 'delay' | 'natural')[], input: string): void {
  const given = keys.filter((k) => when[k] != null);
  if (given.length > 1) reject(input, `give only one of ${given.map((k) => `"${k}"`).join(', ')}`);
}

function parseOnceObject(when: WhenObject, ctx: WhenContext, input: string): ParsedWhen {
  onlyOne(when, ['time', 'delay', 'natural'], input);
  if (when.delay != null) {
    const delay = parseDelay(when.delay);
    if (delay === undefined) return reject(when.delay, 'a delay is a number and a unit (s, m, h, d, w)');
    return once(when.delay, new Date(ctx.now.getTime() + delay), ctx.now);
  }
  const text = when.time ?? when.natural;
  if (text == null) return reject(input, 'a "once" time needs exactly one of "time", "delay" or "natural"');
  // The Python SDK sends anything its own date parser accepted as `time` and the rest as `natural`, so both get
  // the full parser, and a recurring phrase there ("daily at 9am") is a recurring task.
  return parseWhenString(text, ctx);
}

function parseRecurringObject(when: WhenObject, ctx: WhenContext, input: string): ParsedWhen {
  onlyOne(when, ['time', 'delay', 'natural'], input);
  if (when.repeat == null) {
    const spec = when.natural == null ? undefined : parseRecurrenceText(when.natural, when.natural);
    if (spec) return recurring(spec, ctx.timezone, ctx, when.natural!);
    return reject(input, 'a "recurring" time needs "repeat": {"interval": "2m", "times": 5}');
  }
  if (when.natural != null) return reject(input, 'give the first run as "time" or "delay", not "natural"');
  return parseRepeat(when.repeat, ctx, recurringStart(when, ctx, input));
}

function parseCronObject(when: WhenObject, ctx: WhenContext, input: string): ParsedWhen {
  if (when.cron == null || when.cron.trim() === '') {
    return reject(input, 'a "cron" time needs "cron", such as "0 9 * * 1-5"');
  }
  const shorthand = when.cron.trim().toLowerCase();
  const spec = Object.hasOwn(CRON_SHORTHANDS, shorthand)
    ? parseRecurrenceText(shorthand, when.cron)!
    : ({ type: 'cron', expression: parseCron(when.cron).expression } as const);
  return recurring(spec, ctx.timezone, ctx, when.cron);
}

/** Parses `when` in any accepted form. Throws `WhenParseError` with a precise reason otherwise. */
export function parseWhen(when: string | WhenObject, ctx: WhenContext): ParsedWhen {
  if (typeof when === 'string') return parseWhenString(when, ctx);
  const input = JSON.stringify(when);
  const timezone = when.timezone ?? ctx.timezone;
  if (!isValidTimeZone(timezone)) return reject(input, `'${timezone}' is not an IANA time zone`);
  const zoned: WhenContext = { now: ctx.now, timezone };
  if (when.repeat != null && when.type !== 'recurring') {
    return reject(
      input,
      `"repeat" belongs to {"type": "recurring"} or to the task itself, not to type '${when.type}'`,
    );
  }
  switch (when.type) {
    case 'once':
      return parseOnceObject(when, zoned, input);
    case 'recurring':
      return parseRecurringObject(when, zoned, input);
    case 'cron':
      return parseCronObject(when, zoned, input);
    default:
      return reject(input, `type '${when.type}' is not one of "once", "recurring" or "cron"`);
  }
}
