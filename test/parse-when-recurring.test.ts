import type { CalendarSpec, IntervalSpec } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import {
  type CalendarRecurrence,
  type ParsedWhen,
  type RecurrenceSpec,
  type RecurringWhen,
  type WhenContext,
  WhenParseError,
  nextFireAfter,
  parseRepeat,
  parseWhen,
  previewFireTimes,
} from '../src/time/parse-when.js';

// Tuesday. Local clocks: UTC 10:00, Berlin 11:00 (CET), New York 05:00 (EST), Kolkata 15:30 (IST).
const now = new Date('2026-11-24T10:00:00.000Z');
const utc: WhenContext = { now, timezone: 'UTC' };
const zone = (timezone: string, at = now): WhenContext => ({ now: at, timezone });

function recurringOf(parsed: ParsedWhen): RecurringWhen {
  if (parsed.kind !== 'recurring') throw new Error(`expected a recurrence, got ${JSON.stringify(parsed)}`);
  return parsed;
}

/** A calendar entry with every field written out, defaulting to 00:00:00 on every day. */
function cal(fields: Partial<Omit<CalendarRecurrence, 'type'>> = {}): CalendarRecurrence {
  return {
    type: 'calendar',
    second: 0,
    minute: 0,
    hour: 0,
    dayOfMonth: '*',
    month: '*',
    dayOfWeek: '*',
    ...fields,
  };
}

const every = (everyMs: number, offsetMs = 0): RecurrenceSpec => ({ type: 'interval', everyMs, offsetMs });
const cron = (expression: string): RecurrenceSpec => ({ type: 'cron', expression });
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEKDAYS = { start: 'MONDAY', end: 'FRIDAY' } as const;

const iso = (dates: readonly Date[]) => dates.map((d) => d.toISOString());

function errorOf(run: () => unknown): WhenParseError {
  try {
    run();
  } catch (err) {
    if (err instanceof WhenParseError) return err;
    throw err;
  }
  throw new Error('expected a WhenParseError, but it parsed');
}

describe('recurring phrases and cron strings', () => {
  it.each<[string, string, RecurrenceSpec, string]>([
    // Intervals count from the first run, one interval after scheduling.
    ['every 30 seconds', 'UTC', every(30_000), '2026-11-24T10:00:30.000Z'],
    ['every 30s', 'UTC', every(30_000), '2026-11-24T10:00:30.000Z'],
    ['every 7 seconds', 'UTC', every(7000, 1000), '2026-11-24T10:00:07.000Z'],
    ['every 5 minutes', 'UTC', every(5 * MIN), '2026-11-24T10:05:00.000Z'],
    ['every five minutes', 'UTC', every(5 * MIN), '2026-11-24T10:05:00.000Z'],
    ['every 5m', 'UTC', every(5 * MIN), '2026-11-24T10:05:00.000Z'],
    ['every 90 minutes', 'UTC', every(90 * MIN, 60 * MIN), '2026-11-24T11:30:00.000Z'],
    ['every 2 hours', 'UTC', every(2 * HOUR), '2026-11-24T12:00:00.000Z'],
    ['every 1 hour', 'UTC', every(HOUR), '2026-11-24T11:00:00.000Z'],
    ['every 3 days', 'UTC', every(3 * DAY, 10 * HOUR), '2026-11-27T10:00:00.000Z'],
    ['every 2 weeks', 'UTC', every(14 * DAY, 130 * HOUR), '2026-12-08T10:00:00.000Z'],
    ['every 2 hours', 'Asia/Kolkata', every(2 * HOUR), '2026-11-24T12:00:00.000Z'],
    // Cadences without a number follow the wall clock.
    ['every second', 'UTC', cal({ second: '*', minute: '*', hour: '*' }), '2026-11-24T10:00:01.000Z'],
    ['every minute', 'UTC', cal({ minute: '*', hour: '*' }), '2026-11-24T10:01:00.000Z'],
    ['hourly', 'UTC', cal({ hour: '*' }), '2026-11-24T11:00:00.000Z'],
    ['every hour', 'UTC', cal({ hour: '*' }), '2026-11-24T11:00:00.000Z'],
    ['@hourly', 'UTC', cal({ hour: '*' }), '2026-11-24T11:00:00.000Z'],
    ['hourly', 'Asia/Kolkata', cal({ hour: '*' }), '2026-11-24T10:30:00.000Z'],
    ['daily', 'UTC', cal(), '2026-11-25T00:00:00.000Z'],
    ['every day', 'UTC', cal(), '2026-11-25T00:00:00.000Z'],
    ['@daily', 'UTC', cal(), '2026-11-25T00:00:00.000Z'],
    ['daily at 9am', 'UTC', cal({ hour: 9 }), '2026-11-25T09:00:00.000Z'],
    ['Daily At 9 AM', 'UTC', cal({ hour: 9 }), '2026-11-25T09:00:00.000Z'],
    ['every day at 18:00', 'UTC', cal({ hour: 18 }), '2026-11-24T18:00:00.000Z'],
    ['every day at noon', 'UTC', cal({ hour: 12 }), '2026-11-24T12:00:00.000Z'],
    ['daily at midnight', 'UTC', cal(), '2026-11-25T00:00:00.000Z'],
    ['every day at 8:30am', 'UTC', cal({ minute: 30, hour: 8 }), '2026-11-25T08:30:00.000Z'],
    ['daily at 9am and 5pm', 'UTC', cal({ hour: [9, 17] }), '2026-11-24T17:00:00.000Z'],
    ['daily at 9am', 'Europe/Berlin', cal({ hour: 9 }), '2026-11-25T08:00:00.000Z'],
    ['daily at 9am', 'America/New_York', cal({ hour: 9 }), '2026-11-24T14:00:00.000Z'],
    ['daily at 9am', 'Asia/Kolkata', cal({ hour: 9 }), '2026-11-25T03:30:00.000Z'],
    ['every weekday at 2pm', 'UTC', cal({ hour: 14, dayOfWeek: WEEKDAYS }), '2026-11-24T14:00:00.000Z'],
    [
      'every weekday at 2pm',
      'Europe/Berlin',
      cal({ hour: 14, dayOfWeek: WEEKDAYS }),
      '2026-11-24T13:00:00.000Z',
    ],
    ['weekdays at 9am', 'UTC', cal({ hour: 9, dayOfWeek: WEEKDAYS }), '2026-11-25T09:00:00.000Z'],
    [
      'every weekend at 10am',
      'UTC',
      cal({ hour: 10, dayOfWeek: ['SATURDAY', 'SUNDAY'] }),
      '2026-11-28T10:00:00.000Z',
    ],
    [
      'weekends at 10am',
      'UTC',
      cal({ hour: 10, dayOfWeek: ['SATURDAY', 'SUNDAY'] }),
      '2026-11-28T10:00:00.000Z',
    ],
    ['every monday at 9am', 'UTC', cal({ hour: 9, dayOfWeek: 'MONDAY' }), '2026-11-30T09:00:00.000Z'],
    [
      'every monday at 9am',
      'America/New_York',
      cal({ hour: 9, dayOfWeek: 'MONDAY' }),
      '2026-11-30T14:00:00.000Z',
    ],
    ['mondays at 9am', 'UTC', cal({ hour: 9, dayOfWeek: 'MONDAY' }), '2026-11-30T09:00:00.000Z'],
    ['every tuesday at 11am', 'UTC', cal({ hour: 11, dayOfWeek: 'TUESDAY' }), '2026-11-24T11:00:00.000Z'],
    [
      'every monday and friday at 9am',
      'UTC',
      cal({ hour: 9, dayOfWeek: ['MONDAY', 'FRIDAY'] }),
      '2026-11-27T09:00:00.000Z',
    ],
    [
      'every mon, wed and fri at 7:15am',
      'UTC',
      cal({ minute: 15, hour: 7, dayOfWeek: ['MONDAY', 'WEDNESDAY', 'FRIDAY'] }),
      '2026-11-25T07:15:00.000Z',
    ],
    ['every sunday', 'UTC', cal({ dayOfWeek: 'SUNDAY' }), '2026-11-29T00:00:00.000Z'],
    ['weekly', 'UTC', cal({ dayOfWeek: 'SUNDAY' }), '2026-11-29T00:00:00.000Z'],
    ['every week', 'UTC', cal({ dayOfWeek: 'SUNDAY' }), '2026-11-29T00:00:00.000Z'],
    ['weekly', 'America/New_York', cal({ dayOfWeek: 'SUNDAY' }), '2026-11-29T05:00:00.000Z'],
    ['weekly on monday at 9am', 'UTC', cal({ hour: 9, dayOfWeek: 'MONDAY' }), '2026-11-30T09:00:00.000Z'],
    [
      'weekly on tue and thu at 8:30am',
      'UTC',
      cal({ minute: 30, hour: 8, dayOfWeek: ['TUESDAY', 'THURSDAY'] }),
      '2026-11-26T08:30:00.000Z',
    ],
    ['monthly', 'UTC', cal({ dayOfMonth: 1 }), '2026-12-01T00:00:00.000Z'],
    ['monthly on the 15th at 9am', 'UTC', cal({ hour: 9, dayOfMonth: 15 }), '2026-12-15T09:00:00.000Z'],
    ['every month on the 1st at noon', 'UTC', cal({ hour: 12, dayOfMonth: 1 }), '2026-12-01T12:00:00.000Z'],
    ['yearly', 'UTC', cal({ dayOfMonth: 1, month: 'JANUARY' }), '2027-01-01T00:00:00.000Z'],
    ['annually', 'Europe/Berlin', cal({ dayOfMonth: 1, month: 'JANUARY' }), '2026-12-31T23:00:00.000Z'],
    // Cron strings stay cron strings (Temporal reads them itself), evaluated in the task time zone.
    ['0 9 * * 1-5', 'UTC', cron('0 9 * * 1-5'), '2026-11-25T09:00:00.000Z'],
    ['0 9 * * 1-5', 'Europe/Berlin', cron('0 9 * * 1-5'), '2026-11-25T08:00:00.000Z'],
    ['0   9  * *   1-5', 'UTC', cron('0 9 * * 1-5'), '2026-11-25T09:00:00.000Z'],
    ['*/15 * * * *', 'UTC', cron('*/15 * * * *'), '2026-11-24T10:15:00.000Z'],
    ['5,35 * * * *', 'UTC', cron('5,35 * * * *'), '2026-11-24T10:05:00.000Z'],
    ['0 9-17/2 * * *', 'UTC', cron('0 9-17/2 * * *'), '2026-11-24T11:00:00.000Z'],
    ['0 0 1 * *', 'UTC', cron('0 0 1 * *'), '2026-12-01T00:00:00.000Z'],
    ['30 8 * * MON-FRI', 'UTC', cron('30 8 * * MON-FRI'), '2026-11-25T08:30:00.000Z'],
    ['0 12 * JAN,JUL *', 'UTC', cron('0 12 * JAN,JUL *'), '2027-01-01T12:00:00.000Z'],
    ['0 9 * * 7', 'UTC', cron('0 9 * * 7'), '2026-11-29T09:00:00.000Z'],
    ['0 0 29 2 *', 'UTC', cron('0 0 29 2 *'), '2028-02-29T00:00:00.000Z'],
  ])('%s (%s)', (input, timezone, spec, first) => {
    const parsed = recurringOf(parseWhen(input, zone(timezone)));
    expect(parsed).toEqual({ kind: 'recurring', spec, timezone, at: new Date(first), times: null });
  });

  it('reads object forms, including a recurring phrase sent as a "once" natural time', () => {
    expect(parseWhen({ type: 'once', natural: 'daily at 9am' }, utc)).toEqual(parseWhen('daily at 9am', utc));
    expect(recurringOf(parseWhen({ type: 'once', time: 'every weekday at 2pm' }, utc)).spec).toEqual(
      cal({ hour: 14, dayOfWeek: WEEKDAYS }),
    );
    expect(parseWhen({ type: 'cron', cron: '0 9 * * MON-FRI', timezone: 'America/New_York' }, utc)).toEqual({
      kind: 'recurring',
      spec: cron('0 9 * * MON-FRI'),
      timezone: 'America/New_York',
      at: new Date('2026-11-24T14:00:00.000Z'),
      times: null,
    });
    expect(recurringOf(parseWhen({ type: 'cron', cron: '@weekly' }, utc)).spec).toEqual(
      cal({ dayOfWeek: 'SUNDAY' }),
    );
    expect(recurringOf(parseWhen({ type: 'recurring', natural: 'every monday at 9am' }, utc)).spec).toEqual(
      cal({ hour: 9, dayOfWeek: 'MONDAY' }),
    );
  });

  it('reads {"type": "recurring"} with a first run and a repeat', () => {
    expect(
      parseWhen(
        { type: 'recurring', time: '2026-12-01T09:00:00Z', repeat: { interval: '2m', times: 3 } },
        utc,
      ),
    ).toEqual({
      kind: 'recurring',
      spec: every(2 * MIN),
      timezone: 'UTC',
      at: new Date('2026-12-01T09:00:00.000Z'),
      times: 3,
    });
    expect(
      parseWhen({ type: 'recurring', delay: '1h', repeat: { interval: '30m', times: null } }, utc),
    ).toEqual({
      kind: 'recurring',
      spec: every(30 * MIN),
      timezone: 'UTC',
      at: new Date('2026-11-24T11:00:00.000Z'),
      times: null,
    });
    // Without a first run, an interval starts now.
    expect(
      recurringOf(parseWhen({ type: 'recurring', repeat: { interval: 'every 5 minutes' } }, utc)).at,
    ).toEqual(now);
    // A calendar interval runs at its own times, from the first run on.
    expect(
      parseWhen(
        { type: 'recurring', time: 'tomorrow', repeat: { interval: 'daily at 9am', times: 2 } },
        zone('Europe/Berlin'),
      ),
    ).toEqual({
      kind: 'recurring',
      spec: cal({ hour: 9 }),
      timezone: 'Europe/Berlin',
      at: new Date('2026-11-25T08:00:00.000Z'),
      times: 2,
    });
  });
});

describe('parseRepeat', () => {
  it('turns {interval, times} into an interval that starts with a run', () => {
    expect(parseRepeat({ interval: '2m', times: 5 }, utc)).toEqual({
      kind: 'recurring',
      spec: every(2 * MIN),
      timezone: 'UTC',
      at: now,
      times: 5,
    });
    const start = new Date('2026-11-24T10:00:30.000Z');
    expect(parseRepeat({ interval: '2 minutes', times: null }, utc, start)).toEqual({
      kind: 'recurring',
      spec: every(2 * MIN, 30_000),
      timezone: 'UTC',
      at: start,
      times: null,
    });
    expect(parseRepeat({ interval: '90s' }, utc).spec).toEqual(every(90_000));
  });

  it('accepts a recurring phrase or cron as the interval', () => {
    expect(parseRepeat({ interval: 'hourly', times: 3 }, utc)).toEqual({
      kind: 'recurring',
      spec: cal({ hour: '*' }),
      timezone: 'UTC',
      at: new Date('2026-11-24T11:00:00.000Z'),
      times: 3,
    });
    expect(parseRepeat({ interval: '0 9 * * 1-5' }, utc).spec).toEqual(cron('0 9 * * 1-5'));
  });

  it.each<[unknown, string, RegExp]>([
    [{ interval: '0m', times: 5 }, '0m', /"0m" never repeats/],
    [{ interval: '500ms' }, '500ms', /shorter than 1 second/],
    [{ interval: '1y' }, '1y', /years differ in length/],
    [{ interval: 'soon' }, 'soon', /a repeat interval is a delay/],
    [{ interval: 'tomorrow at 9am' }, 'tomorrow at 9am', /a repeat interval is a delay/],
    [{ interval: '2m', times: 0 }, '{"interval":"2m","times":0}', /"times" is the total number of runs/],
    [{ interval: '2m', times: 1.5 }, '{"interval":"2m","times":1.5}', /whole number of at least 1/],
    [{ times: 3 }, '{"times":3}', /"repeat.interval" is required/],
    [['2m'], '["2m"]', /"repeat" is an object/],
    // Issue 12: these were refused as "not a whole number of seconds", since a float of 6e22 ms has no exact ms.
    [
      { interval: '99999999999 weeks' },
      '99999999999 weeks',
      /longer than 10 years \(3660 days\), the longest/,
    ],
    [{ interval: '99999999999w' }, '99999999999w', /longer than 10 years \(3660 days\), the longest/],
    [{ interval: `${'9'.repeat(45)}s` }, `${'9'.repeat(45)}s`, /longer than 10 years \(3660 days\)/],
    [{ interval: '3661d' }, '3661d', /longer than 10 years \(3660 days\)/],
  ])('rejects %j', (repeat, named, reason) => {
    const error = errorOf(() => parseRepeat(repeat, utc));
    expect(error.message).toContain(JSON.stringify(named));
    expect(error.message).toMatch(reason);
  });
});

describe('recurring rejections', () => {
  it.each<[string, RegExp]>([
    ['every 0 minutes', /"every 0 minutes" never repeats/],
    ['every 500ms', /shorter than 1 second/],
    ['every 1.5 seconds', /not a whole number of seconds/],
    ['every 2 months', /months differ in length/],
    ['every 99999999999 weeks', /"every 99999999999 weeks" is longer than 10 years \(3660 days\)/],
    [`every ${'9'.repeat(30)} seconds`, /is longer than 10 years \(3660 days\)/],
    ['every 2 years', /years differ in length/],
    ['every 2 parsecs', /"parsecs" is not a unit/],
    ['every other day', /"every other \.\.\." is not supported/],
    ['every blue moon', /"every blue" is not a repetition/],
    ['every', /needs what to repeat/],
    ['every 5 minutes at 9am', /an interval cannot be combined with "at 9am"/],
    ['every hour at 15', /"every hour" takes no "at 15"/],
    ['hourly at 9am', /"hourly" takes no "at 9am"/],
    ['every day at 9am and 5:30pm', /09:00 and 17:30 differ in their minutes/],
    ['daily at 25:00', /"25:00" is not a time of day/],
    ['every monday at 13pm', /with am\/pm the hour runs 1-12/],
    ['every day at', /"at" must be followed by a time/],
    ['monthly on the 31st', /the 31st does not exist in every month/],
    ['weekly on', /"weekly on" must be followed by days/],
    ['daily on monday', /"on monday" does not fit/],
    ['0 25 * * *', /its hour field "25" is out of range: 25 is not within 0-23/],
    ['60 9 * * *', /its minute field "60" is out of range/],
    ['0 9 32 * *', /its day-of-month field "32" is out of range/],
    ['0 9 * 13 *', /its month field "13" is out of range/],
    ['* * * * 8', /its day-of-week field "8" is out of range: 8 is not within 0-7/],
    [
      '0 9 * * MON-XYZ',
      /its day-of-week field "MON-XYZ" is not valid: "XYZ" is not a number or a name such as MON/,
    ],
    ['0 9 * FOO *', /its month field "FOO" is not valid/],
    ['*/0 * * * *', /its minute field "\*\/0" has step "0"/],
    ['*/90 * * * *', /its minute field "\*\/90" has step 90, larger than/],
    ['0 9 * * 5-1', /its day-of-week field "5-1" has the range "5-1" running backwards/],
    ['0 9 1,,2 * *', /its day-of-month field "1,,2" has an empty list item/],
    ['0 9 ? * 1', /"\?", which plain cron does not have/],
    ['0 9 * * 1#2', /which Temporal schedules do not support/],
    ['0 9 1 * 1', /restricts both day-of-month \("1"\) and day-of-week \("1"\)/],
    ['0 0 31 2 *', /its day-of-month field "31" never occurs in the months "2"/],
    ['0 0 9 * * 1-5', /has 5 fields .* this one has 6/],
  ])('rejects %j, naming the input', (input, reason) => {
    const error = errorOf(() => parseWhen(input, utc));
    expect(error.message).toContain(JSON.stringify(input));
    expect(error.message).toMatch(reason);
    expect(error.message).toMatch(/Examples that work: .*every 30 seconds, /);
  });

  it('refuses a repeat interval out of range through every form that carries one (issue 12)', () => {
    const outOfRange = /99999999999 weeks" is longer than 10 years \(3660 days\)/;
    const interval = { interval: '99999999999 weeks' };
    expect(() => parseWhen({ type: 'recurring', repeat: interval }, utc)).toThrow(outOfRange);
    expect(() => parseWhen({ type: 'recurring', delay: '5m', repeat: interval }, utc)).toThrow(outOfRange);
    expect(() => parseWhen({ type: 'recurring', natural: 'every 99999999999 weeks' }, utc)).toThrow(
      outOfRange,
    );
    expect(recurringOf(parseWhen({ type: 'recurring', repeat: { interval: '3660d' } }, utc)).spec).toEqual(
      every(3660 * DAY, now.getTime() % (3660 * DAY)),
    );
  });

  it('rejects malformed recurring object forms', () => {
    expect(() => parseWhen({ type: 'cron' }, utc)).toThrow(/a "cron" time needs "cron"/);
    expect(() => parseWhen({ type: 'cron', cron: 'daily at 9am' }, utc)).toThrow(/has 5 fields/);
    expect(() => parseWhen({ type: 'cron', cron: '0 9 * * *', repeat: { interval: '2m' } }, utc)).toThrow(
      /"repeat" belongs to/,
    );
    expect(() => parseWhen({ type: 'recurring', time: '2026-12-01T09:00:00Z' }, utc)).toThrow(
      /needs "repeat"/,
    );
    expect(() => parseWhen({ type: 'recurring', natural: 'tomorrow at 9am' }, utc)).toThrow(/needs "repeat"/);
    expect(() =>
      parseWhen({ type: 'recurring', time: 'daily at 9am', repeat: { interval: '2m' } }, utc),
    ).toThrow(/repeats by itself/);
    expect(() =>
      parseWhen({ type: 'recurring', time: 'now', delay: '5m', repeat: { interval: '2m' } }, utc),
    ).toThrow(/only one of "time", "delay"/);
    expect(() => parseWhen({ type: 'recurring', delay: 'soon', repeat: { interval: '2m' } }, utc)).toThrow(
      /number and a unit/,
    );
  });
});

describe('previewFireTimes', () => {
  const preview = (when: Parameters<typeof parseWhen>[0], count: number, ctx: WhenContext) =>
    iso(previewFireTimes(parseWhen(when, ctx), count, ctx));

  it('follows Berlin wall time across the October DST change (UTC+2 → UTC+1)', () => {
    expect(preview('daily at 9am', 4, zone('Europe/Berlin', new Date('2026-10-22T12:00:00Z')))).toEqual([
      '2026-10-23T07:00:00.000Z',
      '2026-10-24T07:00:00.000Z',
      '2026-10-25T08:00:00.000Z',
      '2026-10-26T08:00:00.000Z',
    ]);
  });

  it('follows Berlin wall time across the March DST change (UTC+1 → UTC+2)', () => {
    expect(preview('daily at 9am', 3, zone('Europe/Berlin', new Date('2026-03-27T12:00:00Z')))).toEqual([
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
  });

  it('skips a wall time the spring gap removes and fires twice in the fall fold, as Temporal does', () => {
    expect(preview('daily at 2:30am', 3, zone('Europe/Berlin', new Date('2026-03-27T00:00:00Z')))).toEqual([
      '2026-03-27T01:30:00.000Z',
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    expect(preview('30 2 * * *', 4, zone('Europe/Berlin', new Date('2026-10-23T12:00:00Z')))).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('evaluates cron and hourly specs in New York across its March change', () => {
    expect(preview('0 9 * * *', 3, zone('America/New_York', new Date('2026-03-06T20:00:00Z')))).toEqual([
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
      '2026-03-09T13:00:00.000Z',
    ]);
    expect(preview('hourly', 3, zone('America/New_York', new Date('2026-03-08T05:30:00Z')))).toEqual([
      '2026-03-08T06:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T08:00:00.000Z',
    ]);
  });

  it('lists weekday schedules in order', () => {
    expect(preview('every monday and friday at 9am', 4, zone('Asia/Kolkata'))).toEqual([
      '2026-11-27T03:30:00.000Z',
      '2026-11-30T03:30:00.000Z',
      '2026-12-04T03:30:00.000Z',
      '2026-12-07T03:30:00.000Z',
    ]);
  });

  it('steps intervals from the first run and stops after `times`', () => {
    expect(preview('every 90 minutes', 3, utc)).toEqual([
      '2026-11-24T11:30:00.000Z',
      '2026-11-24T13:00:00.000Z',
      '2026-11-24T14:30:00.000Z',
    ]);
    const limited = { type: 'recurring', time: '2026-11-24T09:00:00Z', repeat: { interval: '2m', times: 3 } };
    expect(preview(limited, 10, utc)).toEqual([]);
    const parsed = parseWhen(limited, utc);
    expect(iso(previewFireTimes(parsed, 10, { now: new Date('2026-11-24T08:00:00Z') }))).toEqual([
      '2026-11-24T09:00:00.000Z',
      '2026-11-24T09:02:00.000Z',
      '2026-11-24T09:04:00.000Z',
    ]);
    // Runs before `now` count toward `times`.
    expect(iso(previewFireTimes(parsed, 10, { now: new Date('2026-11-24T09:03:00Z') }))).toEqual([
      '2026-11-24T09:04:00.000Z',
    ]);
  });

  it('counts past calendar runs toward `times`', () => {
    const parsed = parseWhen(
      { type: 'recurring', time: '2026-11-20T00:00:00Z', repeat: { interval: 'daily at 9am', times: 5 } },
      utc,
    );
    expect(iso(previewFireTimes(parsed, 10, { now: new Date('2026-11-22T12:00:00Z') }))).toEqual([
      '2026-11-23T09:00:00.000Z',
      '2026-11-24T09:00:00.000Z',
    ]);
  });

  it('previews an unlimited recurrence from now when its first run has passed', () => {
    const parsed = parseWhen('daily at 9am', utc);
    expect(iso(previewFireTimes(parsed, 2, { now: new Date('2026-12-01T12:00:00Z') }))).toEqual([
      '2026-12-02T09:00:00.000Z',
      '2026-12-03T09:00:00.000Z',
    ]);
  });

  it('previews a one-time when as one run, a past one as due now', () => {
    expect(preview('tomorrow at 2pm', 5, utc)).toEqual(['2026-11-25T14:00:00.000Z']);
    expect(preview('2020-01-01T00:00:00Z', 5, utc)).toEqual(['2026-11-24T10:00:00.000Z']);
    expect(preview('tomorrow at 2pm', 0, utc)).toEqual([]);
    expect(() => previewFireTimes(parseWhen('now', utc), -1, utc)).toThrow(RangeError);
  });

  it('finds the next fire strictly after an instant', () => {
    expect(nextFireAfter(every(5 * MIN), 'UTC', new Date('2026-11-24T10:05:00Z'))?.toISOString()).toBe(
      '2026-11-24T10:10:00.000Z',
    );
    expect(nextFireAfter(cal({ hour: 9 }), 'UTC', new Date('2026-11-24T09:00:00Z'))?.toISOString()).toBe(
      '2026-11-25T09:00:00.000Z',
    );
  });
});

describe('shape of the specs', () => {
  it('passes straight into Temporal ScheduleSpec entries', () => {
    const calendar = recurringOf(parseWhen('every monday and friday at 9am', utc)).spec;
    const interval = recurringOf(parseWhen('every 5 minutes', utc)).spec;
    if (calendar.type !== 'calendar' || interval.type !== 'interval')
      throw new Error('unexpected spec types');
    // Compile-time checks: these assignments only type-check if the shapes match the SDK's.
    const { type: _calendarType, ...calendarFields } = calendar;
    const temporalCalendar: CalendarSpec = calendarFields;
    const temporalInterval: IntervalSpec = { every: interval.everyMs, offset: interval.offsetMs };
    expect(temporalCalendar.dayOfWeek).toEqual(['MONDAY', 'FRIDAY']);
    expect(temporalInterval).toEqual({ every: 300_000, offset: 0 });
  });
});
