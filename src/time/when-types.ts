/**
 * What `parseWhen` produces. Plain data with no Temporal import, shaped so that a recurrence maps 1:1 onto a
 * Temporal `ScheduleSpec` entry: `calendar` → `calendars[i]`, `interval` → `intervals[i]` (`every`, `offset`),
 * `cron` → `cronExpressions[i]`, and `timezone` → `ScheduleSpec.timezone`.
 */

export const MONTH_NAMES = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;
export type MonthName = (typeof MONTH_NAMES)[number];

/** Index 0 is Sunday, as in `Date#getDay`, cron and Temporal. */
export const DAY_NAMES = [
  'SUNDAY',
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
] as const;
export type DayName = (typeof DAY_NAMES)[number];

/** Temporal's `LooseRange` minus the bare value: `{start}`, `{start, end}` or `{start, end, step}`. */
export type FieldRange<T> = { start: T; end?: T } | { start: T; end: T; step: number };

/** One field of a calendar entry, with exactly the value shapes Temporal's `CalendarSpec` accepts. */
export type CalendarField<T> = T | FieldRange<T> | (T | FieldRange<T>)[] | '*';

/**
 * Wall-clock fields that must all match, in the recurrence's time zone. Mirrors Temporal's `CalendarSpec`
 * (without `year` and `comment`), so it can be passed through as one `calendars` entry. Pulse always writes all
 * six fields, so nothing depends on Temporal's defaults (0 for second/minute/hour, `*` for the rest).
 */
export interface CalendarFields {
  second: CalendarField<number>;
  minute: CalendarField<number>;
  hour: CalendarField<number>;
  dayOfMonth: CalendarField<number>;
  month: CalendarField<MonthName>;
  dayOfWeek: CalendarField<DayName>;
}

/** Fires at calendar times: `{type: 'calendar', ...fields}`. */
export type CalendarRecurrence = { readonly type: 'calendar' } & CalendarFields;

/** Fires at `epoch + offsetMs + n * everyMs`, Temporal's `IntervalSpec` (both whole seconds). */
export interface IntervalRecurrence {
  readonly type: 'interval';
  readonly everyMs: number;
  readonly offsetMs: number;
}

/** A validated 5-field cron expression (minute hour day-of-month month day-of-week). */
export interface CronRecurrence {
  readonly type: 'cron';
  readonly expression: string;
}

export type RecurrenceSpec = CalendarRecurrence | IntervalRecurrence | CronRecurrence;

/** A task that runs once, at `at`. */
export interface OnceWhen {
  readonly kind: 'once';
  readonly at: Date;
}

/** A task that runs on a recurrence, evaluated in `timezone`. */
export interface RecurringWhen {
  readonly kind: 'recurring';
  readonly spec: RecurrenceSpec;
  readonly timezone: string;
  /**
   * The first instant it fires, named like `OnceWhen.at` so "when is it first due" reads the same for both. In
   * the past only when an explicit first run (`{"type": "recurring", "time": ...}`) was.
   */
  readonly at: Date;
  /** How many runs in total, counting the first; null runs until the task is cancelled. */
  readonly times: number | null;
}

export type ParsedWhen = OnceWhen | RecurringWhen;

export interface WhenContext {
  readonly now: Date;
  /** IANA zone for wall-clock times without an offset. */
  readonly timezone: string;
}

/** `repeat` as the contract sends it, every field possibly null. */
export interface RepeatInput {
  readonly interval?: string | null;
  /** Instead of `interval`: a cron expression, as the original's tool model allows. */
  readonly cron?: string | null;
  readonly times?: number | null;
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
