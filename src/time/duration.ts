/**
 * Durations written as a number and a unit (`90s`, `5m`, `2 hours`), shared by delays, `in N units` and
 * `every N units`.
 */

export const UNIT_MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 365 * 86_400_000,
} as const;

export type DurationUnit = keyof typeof UNIT_MS;

const UNIT_ALIASES: Record<string, DurationUnit> = {
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

/** The unit a word names (`min`, `hours`, `w`); undefined for anything else. */
export function unitWord(word: string): DurationUnit | undefined {
  return Object.hasOwn(UNIT_ALIASES, word) ? UNIT_ALIASES[word] : undefined;
}

/**
 * Upper bound for a delay, a repeat interval or a due time: far enough for any calendar, near enough to catch
 * typos, and far inside what a `Date` can hold (±8.64e15 ms), so nothing past it ever becomes an Invalid Date.
 */
export const MAX_AHEAD_MS = 10 * 366 * UNIT_MS.d;

/** `MAX_AHEAD_MS` in words, for the messages that name the supported range. */
export const MAX_AHEAD_WORDS = '10 years (3660 days)';

/** True when `ms` is a finite length of at most `MAX_AHEAD_MS`; false for huge counts and for Infinity. */
export function isWithinMaxAhead(ms: number): boolean {
  return Number.isFinite(ms) && ms <= MAX_AHEAD_MS;
}

const DELAY = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/;

/** Parses a delay such as `90s`, `5m`, `2 hours`; undefined when `text` is not a delay. */
export function parseDelay(text: string): number | undefined {
  const match = DELAY.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const unit = unitWord(match[2]!);
  if (!unit) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}
