/**
 * Calendar-date arithmetic with no time zone attached: a date as printed on a wall calendar, done by
 * `Temporal.PlainDate` (temporal-polyfill).
 */
import { Temporal } from 'temporal-polyfill';

export interface CivilDate {
  readonly year: number;
  /** 1 = January. */
  readonly month: number;
  readonly day: number;
}

/** The date `days` after `date` (negative goes back). */
export function addDays(date: CivilDate, days: number): CivilDate {
  const { year, month, day } = Temporal.PlainDate.from(date).add({ days });
  return { year, month, day };
}

/** The day of the week of `date`, 0 = Sunday. */
export function weekdayOf(date: CivilDate): number {
  return Temporal.PlainDate.from(date).dayOfWeek % 7;
}

/** Position in an ISO week, which starts on Monday: Monday = 0 … Sunday = 6. */
export function isoWeekdayIndex(weekday: number): number {
  return (weekday + 6) % 7;
}

/** 28–31: the length of that month in that year. */
export function daysInMonth(year: number, month: number): number {
  return Temporal.PlainYearMonth.from({ year, month }).daysInMonth;
}

/** True when `day` exists in that month of that year (so Feb 29 only in leap years). */
export function isRealDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * Milliseconds of a wall-clock reading as if it were UTC: orders wall times and measures their distance. Plain
 * arithmetic on purpose: the recurrence search calls it for every candidate time.
 */
export function naiveMs(date: CivilDate, hour = 0, minute = 0, second = 0): number {
  return Date.UTC(date.year, date.month - 1, date.day, hour, minute, second);
}

/** The date as ISO `2026-11-24`, for messages. */
export function formatDate(date: CivilDate): string {
  return Temporal.PlainDate.from(date).toString();
}
