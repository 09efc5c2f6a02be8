/**
 * The vocabulary shared by the one-time and the recurring phrase parsers: tokens, times of day, weekday and
 * month names, small number words.
 */
import { reject } from './when-error.js';

/** Lower-cases, joins `9 am` / `9 a.m.` into `9am`, and makes commas tokens of their own. */
export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/(^|[^a-z])([ap])\.m\.?/g, '$1$2m')
    .replace(/(\d)\s+([ap]m)\b/g, '$1$2')
    .replace(/,/g, ' , ')
    .trim()
    .split(/\s+/)
    .filter((token) => token !== '');
}

/** What a reader found at a token position, and the position after it. */
export interface Read<T> {
  readonly value: T;
  readonly next: number;
}

export interface TimeOfDay {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Written as the word "midnight", which is ambiguous next to a day ("friday at midnight"). */
  readonly midnight?: boolean;
}

const CLOCK = /^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?(am|pm)?$/;

/** True when `token` has the shape of a time of day, valid or not. */
export function looksLikeTime(token: string): boolean {
  return token === 'noon' || token === 'midday' || token === 'midnight' || CLOCK.test(token);
}

/**
 * Reads `9am`, `9:30pm`, `14:30`, `14:30:15`, `noon`, `midnight`. `H:MM` without am/pm is a 24-hour clock. A bare
 * number (`at 9`) is rejected rather than guessed, since people mean both 09:00 and 21:00 by it.
 */
export function parseTimeToken(token: string, input: string): TimeOfDay | undefined {
  if (token === 'noon' || token === 'midday') return { hour: 12, minute: 0, second: 0 };
  if (token === 'midnight') return { hour: 0, minute: 0, second: 0, midnight: true };
  const match = CLOCK.exec(token);
  if (!match) return undefined;
  const [, h, mi, s, meridiem] = match;
  const hour = Number(h);
  const minute = Number(mi ?? '0');
  const second = Number(s ?? '0');
  if (mi === undefined && meridiem === undefined) {
    return reject(
      input,
      hour <= 12
        ? `"${token}" alone could be ${hour}am or ${hour}pm; write ${hour}am, ${hour}pm or ${String(hour).padStart(2, '0')}:00`
        : `"${token}" alone is not a time; write ${hour <= 23 ? `${hour}:00` : 'a time such as 14:00'}`,
    );
  }
  if (minute > 59 || second > 59) {
    return reject(input, `"${token}" is not a time of day: minutes and seconds run 0-59`);
  }
  if (meridiem) {
    if (hour < 1 || hour > 12) {
      return reject(input, `"${token}" is not a time of day: with am/pm the hour runs 1-12`);
    }
    return { hour: (hour % 12) + (meridiem === 'pm' ? 12 : 0), minute, second };
  }
  if (hour > 23) return reject(input, `"${token}" is not a time of day: the hour runs 0-23`);
  return { hour, minute, second };
}

/** `9:05am` style, for messages. */
export function formatTimeOfDay(time: TimeOfDay): string {
  const hh = String(time.hour).padStart(2, '0');
  const mm = String(time.minute).padStart(2, '0');
  return time.second === 0 ? `${hh}:${mm}` : `${hh}:${mm}:${String(time.second).padStart(2, '0')}`;
}

const WEEKDAY_WORDS: Record<string, number> = {
  sunday: 0,
  sun: 0,
  monday: 1,
  mon: 1,
  tuesday: 2,
  tue: 2,
  tues: 2,
  wednesday: 3,
  wed: 3,
  thursday: 4,
  thu: 4,
  thur: 4,
  thurs: 4,
  friday: 5,
  fri: 5,
  saturday: 6,
  sat: 6,
};

/** 0 = Sunday for a weekday name or abbreviation; undefined otherwise. */
export function weekdayWord(token: string): number | undefined {
  return Object.hasOwn(WEEKDAY_WORDS, token) ? WEEKDAY_WORDS[token] : undefined;
}

/** The weekday of a plural like `mondays` (full names only, so `sats` stays unknown). */
export function pluralWeekdayWord(token: string): number | undefined {
  if (!token.endsWith('s')) return undefined;
  const singular = token.slice(0, -1);
  return singular.endsWith('day') ? weekdayWord(singular) : undefined;
}

const MONTH_WORDS: Record<string, number> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};

/** 1 = January for a month name or abbreviation (`dec.` too); undefined otherwise. */
export function monthWord(token: string): number | undefined {
  const word = token.endsWith('.') ? token.slice(0, -1) : token;
  return Object.hasOwn(MONTH_WORDS, word) ? MONTH_WORDS[word] : undefined;
}

/** `25`, `25th`, `1st`: a day of the month; undefined when the token is not shaped like one. */
export function dayOfMonthWord(token: string): number | undefined {
  const match = /^(\d{1,2})(st|nd|rd|th)?$/.exec(token);
  return match ? Number(match[1]) : undefined;
}

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
};

/** A count written as digits (`5`, `1.5`) or a small word (`five`, `an`); undefined otherwise. */
export function countWord(token: string): number | undefined {
  if (/^\d+(?:\.\d+)?$/.test(token)) return Number(token);
  return Object.hasOwn(NUMBER_WORDS, token) ? NUMBER_WORDS[token] : undefined;
}

/** Ordinal for messages: 1st, 2nd, 3rd, 4th, 11th, 22nd. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
