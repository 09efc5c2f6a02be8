/**
 * Turns a task's `when` (a string or one of the contract's object forms) into the instant it is due. Pure: the
 * clock and the time zone are passed in, so every case is testable with a fixed "now".
 */
import { instantOf, isValidTimeZone } from './time-zone.js';

export interface WhenContext {
  readonly now: Date;
  /** IANA zone for wall-clock times without an offset. */
  readonly timezone: string;
}

/** The object forms of `when` (CONTRACT.md "Time"). */
export interface WhenObject {
  readonly type: string;
  readonly time?: string | null;
  readonly delay?: string | null;
  readonly natural?: string | null;
  readonly cron?: string | null;
  readonly timezone?: string | null;
  readonly repeat?: unknown;
}

export type ParsedWhen = { readonly kind: 'once'; readonly at: Date };

export const WHEN_EXAMPLES = [
  'now',
  '2026-12-01T09:00:00Z',
  '2026-12-01 09:00 (in the task timezone)',
  '90s',
  '5m',
  '2h',
  '1d',
  'in 30 seconds',
  'in 5 minutes',
  'in 2 hours',
  'in 3 days',
  '{"type": "once", "delay": "5m"}',
];

/** `when` could not be understood; `detail` names the input and lists forms that work. */
export class WhenParseError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(
      `Cannot understand when=${JSON.stringify(input)}: ${reason}. Examples that work: ${WHEN_EXAMPLES.join(', ')}.`,
    );
    this.name = 'WhenParseError';
  }
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 365 * 86_400_000,
};

const UNIT_ALIASES: Record<string, keyof typeof UNIT_MS> = {
  ms: 'ms',
  millisecond: 'ms',
  milliseconds: 'ms',
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  m: 'm',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
  w: 'w',
  wk: 'w',
  wks: 'w',
  week: 'w',
  weeks: 'w',
  y: 'y',
  yr: 'y',
  yrs: 'y',
  year: 'y',
  years: 'y',
};

/** Upper bound for a delay or a due time: far enough for any calendar, near enough to catch typos. */
const MAX_AHEAD_MS = 10 * 366 * UNIT_MS.d!;

const DELAY = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/;

/** Parses a delay such as `90s`, `5m`, `2 hours`; undefined when `text` is not a delay. */
export function parseDelay(text: string): number | undefined {
  const match = DELAY.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const unit = UNIT_ALIASES[match[2]!];
  if (!unit) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[unit]!);
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

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
  if (wall.month < 1 || wall.month > 12) throw new WhenParseError(input, `month ${mo} does not exist`);
  if (wall.day < 1 || wall.day > daysInMonth(wall.year, wall.month)) {
    throw new WhenParseError(input, `day ${d} does not exist in ${y}-${mo}`);
  }
  if (wall.hour > 23 || wall.minute > 59 || wall.second > 59) {
    throw new WhenParseError(input, `time ${h}:${mi}:${s} is not a valid time of day`);
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
  if (offsetMinutes > 18 * 60) throw new WhenParseError(input, `offset ${zone} is out of range`);
  return new Date(utc - sign * offsetMinutes * 60_000);
}

const RELATIVE = /^in\s+(\d+(?:\.\d+)?|an?|one)\s*([a-z]+)$|^(\d+(?:\.\d+)?)\s*([a-z]+)\s+from\s+now$/;

function parseRelative(text: string): number | undefined {
  const match = RELATIVE.exec(text);
  if (!match) return undefined;
  const amountText = match[1] ?? match[3]!;
  const amount = /^(an?|one)$/.test(amountText) ? 1 : Number(amountText);
  const unit = UNIT_ALIASES[match[2] ?? match[4]!];
  if (!unit) return undefined;
  return Math.round(amount * UNIT_MS[unit]!);
}

function checkAhead(input: string, ms: number): number {
  if (ms > MAX_AHEAD_MS) throw new WhenParseError(input, 'that is more than 10 years ahead');
  return ms;
}

function atDelay(input: string, delayMs: number, now: Date): ParsedWhen {
  return { kind: 'once', at: new Date(now.getTime() + checkAhead(input, delayMs)) };
}

/** Parses a one-time `when` string: `now`, ISO-8601, a delay, or `in N units`. */
function parseOnceString(input: string, ctx: WhenContext): ParsedWhen {
  const text = input.trim().toLowerCase().replace(/\s+/g, ' ');
  if (text === '') throw new WhenParseError(input, 'it is empty');
  if (text === 'now' || text === 'immediately' || text === 'asap') return { kind: 'once', at: ctx.now };
  const iso = parseIsoInstant(input.trim(), ctx.timezone, input);
  if (iso) {
    checkAhead(input, iso.getTime() - ctx.now.getTime());
    return { kind: 'once', at: iso };
  }
  const delay = parseDelay(text) ?? parseRelative(text);
  if (delay !== undefined) return atDelay(input, delay, ctx.now);
  throw new WhenParseError(input, 'it is not a time, a delay or a phrase Pulse knows');
}

/** Parses `when` in any accepted form. Throws `WhenParseError` with a precise reason otherwise. */
export function parseWhen(when: string | WhenObject, ctx: WhenContext): ParsedWhen {
  if (typeof when === 'string') return parseOnceString(when, ctx);
  const timezone = when.timezone ?? ctx.timezone;
  if (!isValidTimeZone(timezone)) {
    throw new WhenParseError(JSON.stringify(when), `'${timezone}' is not an IANA time zone`);
  }
  const zoned: WhenContext = { now: ctx.now, timezone };
  if (when.type !== 'once') {
    throw new WhenParseError(
      JSON.stringify(when),
      `type '${when.type}' is not supported yet; use {"type": "once", ...} with "time", "delay" or "natural"`,
    );
  }
  const given = (['time', 'delay', 'natural'] as const).filter((k) => when[k] != null);
  if (given.length !== 1) {
    throw new WhenParseError(
      JSON.stringify(when),
      given.length === 0
        ? 'a "once" time needs exactly one of "time", "delay" or "natural"'
        : `give only one of ${given.map((k) => `"${k}"`).join(', ')}`,
    );
  }
  if (when.delay != null) {
    const delay = parseDelay(when.delay);
    if (delay === undefined)
      throw new WhenParseError(when.delay, 'a delay is a number and a unit (s, m, h, d, w)');
    return atDelay(when.delay, delay, ctx.now);
  }
  // The Python SDK sends anything its own date parser accepted as `time`, so `time` gets the full parser.
  return parseOnceString((when.time ?? when.natural)!, zoned);
}
