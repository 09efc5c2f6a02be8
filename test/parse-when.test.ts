import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ParsedWhen,
  type WhenContext,
  type WhenObject,
  WhenParseError,
  parseDelay,
  parseWhen,
} from '../src/time/parse-when.js';
import { instantOf, offsetAt } from '../src/time/time-zone.js';

// Tuesday. Local clocks: UTC 10:00, Berlin 11:00 (CET), New York 05:00 (EST), Kolkata 15:30 (IST).
const now = new Date('2026-11-24T10:00:00.000Z');
const utc: WhenContext = { now, timezone: 'UTC' };
const zone = (timezone: string, at = now): WhenContext => ({ now: at, timezone });

function onceAt(parsed: ParsedWhen): string {
  if (parsed.kind !== 'once') throw new Error(`expected a one-time result, got ${JSON.stringify(parsed)}`);
  return parsed.at.toISOString();
}

const at = (when: Parameters<typeof parseWhen>[0], ctx = utc) => onceAt(parseWhen(when, ctx));

function errorOf(run: () => unknown): WhenParseError {
  try {
    run();
  } catch (err) {
    if (err instanceof WhenParseError) return err;
    throw err;
  }
  throw new Error('expected a WhenParseError, but it parsed');
}

describe('parseWhen, machine forms', () => {
  it.each([
    ['now', '2026-11-24T10:00:00.000Z'],
    ['NOW', '2026-11-24T10:00:00.000Z'],
    ['90s', '2026-11-24T10:01:30.000Z'],
    ['5m', '2026-11-24T10:05:00.000Z'],
    ['2h', '2026-11-24T12:00:00.000Z'],
    ['1d', '2026-11-25T10:00:00.000Z'],
    ['1w', '2026-12-01T10:00:00.000Z'],
    ['1.5h', '2026-11-24T11:30:00.000Z'],
    ['in 5 minutes', '2026-11-24T10:05:00.000Z'],
    ['in 3 minute', '2026-11-24T10:03:00.000Z'],
    ['in 30 seconds', '2026-11-24T10:00:30.000Z'],
    ['in 2 hours', '2026-11-24T12:00:00.000Z'],
    ['in 3 days', '2026-11-27T10:00:00.000Z'],
    ['in 2 weeks', '2026-12-08T10:00:00.000Z'],
    ['in an hour', '2026-11-24T11:00:00.000Z'],
    ['in a minute', '2026-11-24T10:01:00.000Z'],
    ['in five minutes', '2026-11-24T10:05:00.000Z'],
    ['in 10mins', '2026-11-24T10:10:00.000Z'],
    ['  In   10   Mins ', '2026-11-24T10:10:00.000Z'],
    ['10 minutes from now', '2026-11-24T10:10:00.000Z'],
    ['2026-12-01T09:00:00Z', '2026-12-01T09:00:00.000Z'],
    ['2026-12-01T09:00:00.250Z', '2026-12-01T09:00:00.250Z'],
    ['2026-12-01T09:00:00+01:00', '2026-12-01T08:00:00.000Z'],
    ['2026-12-01T09:00:00-0530', '2026-12-01T14:30:00.000Z'],
    ['2026-12-01 09:00', '2026-12-01T09:00:00.000Z'],
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
  ])('%s', (input, expected) => {
    expect(at(input)).toBe(expected);
  });

  it('reads a time without offset in the task time zone, across DST', () => {
    expect(at('2026-07-01T09:00:00', zone('Europe/Berlin'))).toBe('2026-07-01T07:00:00.000Z');
    expect(at('2026-12-01T09:00:00', zone('Europe/Berlin'))).toBe('2026-12-01T08:00:00.000Z');
    expect(at('2026-03-29T02:30:00', zone('Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    expect(at('2026-10-25T02:30:00', zone('Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(at('2026-11-01T01:30:00', zone('America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
  });

  it('parses delays', () => {
    expect(parseDelay('500ms')).toBe(500);
    expect(parseDelay('2 hours')).toBe(7_200_000);
    expect(parseDelay('soon')).toBeUndefined();
  });
});

describe('parseWhen, one-time natural language', () => {
  // [input, time zone, clock, expected instant]
  const monday = new Date('2026-11-23T07:00:00Z');
  const sunday = new Date('2026-11-29T10:00:00Z');
  const afterChristmas = new Date('2026-12-26T10:00:00Z');
  const berlinSpring = new Date('2026-03-28T12:00:00Z'); // Saturday 13:00 CET; clocks go forward tonight
  const berlinFall = new Date('2026-10-24T12:00:00Z'); // Saturday 14:00 CEST; clocks go back tonight
  const newYorkSpring = new Date('2026-03-07T17:00:00Z'); // Saturday 12:00 EST; clocks go forward tonight

  it.each<[string, string, Date, string]>([
    // UTC, Tuesday 10:00
    ['tomorrow at 2pm', 'UTC', now, '2026-11-25T14:00:00.000Z'],
    ['tomorrow at 14:30', 'UTC', now, '2026-11-25T14:30:00.000Z'],
    ['today at 7:45pm', 'UTC', now, '2026-11-24T19:45:00.000Z'],
    ['noon', 'UTC', now, '2026-11-24T12:00:00.000Z'],
    ['midnight', 'UTC', now, '2026-11-25T00:00:00.000Z'],
    ['9am', 'UTC', now, '2026-11-25T09:00:00.000Z'],
    ['11am', 'UTC', now, '2026-11-24T11:00:00.000Z'],
    ['at 3:30pm', 'UTC', now, '2026-11-24T15:30:00.000Z'],
    ['12am', 'UTC', now, '2026-11-25T00:00:00.000Z'],
    ['12pm', 'UTC', now, '2026-11-24T12:00:00.000Z'],
    ['monday at 9am', 'UTC', now, '2026-11-30T09:00:00.000Z'],
    ['on monday at 9am', 'UTC', now, '2026-11-30T09:00:00.000Z'],
    ['next monday at 9am', 'UTC', now, '2026-11-30T09:00:00.000Z'],
    ['friday at 5pm', 'UTC', now, '2026-11-27T17:00:00.000Z'],
    ['next friday at 5pm', 'UTC', now, '2026-12-04T17:00:00.000Z'],
    ['this friday at 9am', 'UTC', now, '2026-11-27T09:00:00.000Z'],
    ['tuesday at 11am', 'UTC', now, '2026-11-24T11:00:00.000Z'],
    ['tuesday at 9am', 'UTC', now, '2026-12-01T09:00:00.000Z'],
    ['next tuesday at 9am', 'UTC', now, '2026-12-01T09:00:00.000Z'],
    ['wed 8:30am', 'UTC', now, '2026-11-25T08:30:00.000Z'],
    ['sunday', 'UTC', now, '2026-11-29T09:00:00.000Z'],
    ['next sunday', 'UTC', now, '2026-12-06T09:00:00.000Z'],
    ['monday', 'UTC', now, '2026-11-30T09:00:00.000Z'],
    ['tomorrow', 'UTC', now, '2026-11-25T09:00:00.000Z'],
    ['tomorrow at noon', 'UTC', now, '2026-11-25T12:00:00.000Z'],
    ['2pm tomorrow', 'UTC', now, '2026-11-25T14:00:00.000Z'],
    ['Tomorrow at 2 PM', 'UTC', now, '2026-11-25T14:00:00.000Z'],
    ['tomorrow at 9 a.m.', 'UTC', now, '2026-11-25T09:00:00.000Z'],
    ['tomorrow at 9:15:30', 'UTC', now, '2026-11-25T09:15:30.000Z'],
    ['tonight at 8pm', 'UTC', now, '2026-11-24T20:00:00.000Z'],
    ['dec 25 10am', 'UTC', now, '2026-12-25T10:00:00.000Z'],
    ['december 25 at 10:00', 'UTC', now, '2026-12-25T10:00:00.000Z'],
    ['25 dec 10am', 'UTC', now, '2026-12-25T10:00:00.000Z'],
    ['dec 25th at 10am', 'UTC', now, '2026-12-25T10:00:00.000Z'],
    ['10am on dec 25', 'UTC', now, '2026-12-25T10:00:00.000Z'],
    ['jan 1 at noon', 'UTC', now, '2027-01-01T12:00:00.000Z'],
    ['nov 24 at 11am', 'UTC', now, '2026-11-24T11:00:00.000Z'],
    ['nov 24 at 9am', 'UTC', now, '2027-11-24T09:00:00.000Z'],
    ['december 25, 2027 at 10am', 'UTC', now, '2027-12-25T10:00:00.000Z'],
    ['the 1st of march 2027 at 8:15am', 'UTC', now, '2027-03-01T08:15:00.000Z'],
    ['feb 29 9am', 'UTC', now, '2028-02-29T09:00:00.000Z'],
    ['2026-12-01 at 9am', 'UTC', now, '2026-12-01T09:00:00.000Z'],
    // Europe/Berlin, Tuesday 11:00 CET
    ['tomorrow at 2pm', 'Europe/Berlin', now, '2026-11-25T13:00:00.000Z'],
    ['today at 7:45pm', 'Europe/Berlin', now, '2026-11-24T18:45:00.000Z'],
    ['noon', 'Europe/Berlin', now, '2026-11-24T11:00:00.000Z'],
    ['midnight', 'Europe/Berlin', now, '2026-11-24T23:00:00.000Z'],
    ['9am', 'Europe/Berlin', now, '2026-11-25T08:00:00.000Z'],
    ['monday at 9am', 'Europe/Berlin', now, '2026-11-30T08:00:00.000Z'],
    ['next monday at 9am', 'Europe/Berlin', now, '2026-11-30T08:00:00.000Z'],
    ['dec 25 10am', 'Europe/Berlin', now, '2026-12-25T09:00:00.000Z'],
    ['tomorrow', 'Europe/Berlin', now, '2026-11-25T08:00:00.000Z'],
    ['jul 1 9am', 'Europe/Berlin', now, '2027-07-01T07:00:00.000Z'],
    // America/New_York, Tuesday 05:00 EST
    ['9am', 'America/New_York', now, '2026-11-24T14:00:00.000Z'],
    ['today at 7:45pm', 'America/New_York', now, '2026-11-25T00:45:00.000Z'],
    ['tomorrow at 14:30', 'America/New_York', now, '2026-11-25T19:30:00.000Z'],
    ['monday at 9am', 'America/New_York', now, '2026-11-30T14:00:00.000Z'],
    ['next monday at 9am', 'America/New_York', now, '2026-11-30T14:00:00.000Z'],
    ['midnight', 'America/New_York', now, '2026-11-25T05:00:00.000Z'],
    ['noon', 'America/New_York', now, '2026-11-24T17:00:00.000Z'],
    ['tuesday at 6am', 'America/New_York', now, '2026-11-24T11:00:00.000Z'],
    ['dec 25 10am', 'America/New_York', now, '2026-12-25T15:00:00.000Z'],
    // Asia/Kolkata, Tuesday 15:30 IST
    ['9am', 'Asia/Kolkata', now, '2026-11-25T03:30:00.000Z'],
    ['today at 7:45pm', 'Asia/Kolkata', now, '2026-11-24T14:15:00.000Z'],
    ['tomorrow at 2pm', 'Asia/Kolkata', now, '2026-11-25T08:30:00.000Z'],
    ['noon', 'Asia/Kolkata', now, '2026-11-25T06:30:00.000Z'],
    ['monday at 9am', 'Asia/Kolkata', now, '2026-11-30T03:30:00.000Z'],
    ['dec 25 10am', 'Asia/Kolkata', now, '2026-12-25T04:30:00.000Z'],
    ['tonight at 11pm', 'Asia/Kolkata', now, '2026-11-24T17:30:00.000Z'],
    // Weekday rules seen from a Monday and from a Sunday
    ['monday at 9am', 'UTC', monday, '2026-11-23T09:00:00.000Z'],
    ['this monday at 9am', 'UTC', monday, '2026-11-23T09:00:00.000Z'],
    ['next monday at 9am', 'UTC', monday, '2026-11-30T09:00:00.000Z'],
    ['monday at 9am', 'UTC', sunday, '2026-11-30T09:00:00.000Z'],
    ['next monday at 9am', 'UTC', sunday, '2026-11-30T09:00:00.000Z'],
    ['next sunday at 9am', 'UTC', sunday, '2026-12-06T09:00:00.000Z'],
    ['dec 25 10am', 'UTC', afterChristmas, '2027-12-25T10:00:00.000Z'],
    // DST-change days: a skipped wall time moves forward by the gap, a repeated one takes its first instant
    ['tomorrow at 2:30am', 'Europe/Berlin', berlinSpring, '2026-03-29T01:30:00.000Z'],
    ['tomorrow at 1:30am', 'Europe/Berlin', berlinSpring, '2026-03-29T00:30:00.000Z'],
    ['tomorrow at 9am', 'Europe/Berlin', berlinSpring, '2026-03-29T07:00:00.000Z'],
    ['sunday at noon', 'Europe/Berlin', berlinSpring, '2026-03-29T10:00:00.000Z'],
    ['monday at 9am', 'Europe/Berlin', berlinSpring, '2026-03-30T07:00:00.000Z'],
    ['in 1 day', 'Europe/Berlin', berlinSpring, '2026-03-29T12:00:00.000Z'],
    ['tomorrow at 2:30am', 'Europe/Berlin', berlinFall, '2026-10-25T00:30:00.000Z'],
    ['tomorrow at 9am', 'Europe/Berlin', berlinFall, '2026-10-25T08:00:00.000Z'],
    ['tomorrow at 1am', 'America/New_York', newYorkSpring, '2026-03-08T06:00:00.000Z'],
    ['tomorrow at 2:30am', 'America/New_York', newYorkSpring, '2026-03-08T07:30:00.000Z'],
    ['tomorrow at 9am', 'America/New_York', newYorkSpring, '2026-03-08T13:00:00.000Z'],
  ])('%s (%s, clock %s)', (input, timezone, clock, expected) => {
    expect(at(input, zone(timezone, clock))).toBe(expected);
  });
});

describe('parseWhen, object forms', () => {
  it('accepts the one-time object forms', () => {
    expect(at({ type: 'once', time: '2026-12-01T09:00:00Z' })).toBe('2026-12-01T09:00:00.000Z');
    expect(at({ type: 'once', delay: '90s' })).toBe('2026-11-24T10:01:30.000Z');
    expect(at({ type: 'once', natural: 'in 5 minutes' })).toBe('2026-11-24T10:05:00.000Z');
    expect(at({ type: 'once', time: 'in 2 hours', timezone: null })).toBe('2026-11-24T12:00:00.000Z');
    expect(at({ type: 'once', time: '2026-12-01T09:00:00', timezone: 'Asia/Tokyo' })).toBe(
      '2026-12-01T00:00:00.000Z',
    );
  });

  it('falls back to natural language for `time`, as the Python SDK sends it', () => {
    expect(at({ type: 'once', time: 'monday at 9am' })).toBe('2026-11-30T09:00:00.000Z');
    expect(at({ type: 'once', time: '9am', timezone: 'Europe/Berlin' })).toBe('2026-11-25T08:00:00.000Z');
    expect(at({ type: 'once', natural: 'dec 25 10am', repeat: null })).toBe('2026-12-25T10:00:00.000Z');
  });

  it('rejects malformed object forms', () => {
    expect(() => parseWhen({ type: 'once' }, utc)).toThrow(/exactly one of/);
    expect(() => parseWhen({ type: 'once', time: 'now', delay: '5m' }, utc)).toThrow(/only one of/);
    expect(() => parseWhen({ type: 'once', delay: 'soon' }, utc)).toThrow(/number and a unit/);
    expect(() => parseWhen({ type: 'once', time: 'now', timezone: 'Nowhere/City' }, utc)).toThrow(/IANA/);
    expect(() => parseWhen({ type: 'someday' }, utc)).toThrow(/not one of "once", "recurring" or "cron"/);
    expect(() => parseWhen({ type: 'once', time: 'now', repeat: { interval: '2m' } }, utc)).toThrow(
      /"repeat" belongs to/,
    );
  });
});

describe('parseWhen, rejections', () => {
  const evening: WhenContext = { now: new Date('2026-11-24T21:00:00Z'), timezone: 'UTC' };

  it.each<[string, RegExp, WhenContext?]>([
    ['', /empty/],
    ['whenever', /not a time/],
    ['in 5 parsecs', /not a time/],
    ['-5m', /not a time/],
    ['2026-13-01T00:00:00Z', /month 13/],
    ['2026-02-29T00:00:00Z', /day 29/],
    ['2026-12-01T25:00:00Z', /not a valid time/],
    ['2026-12-01T09:00:00+19:00', /offset/],
    ['in 11 years', /10 years/],
    ['dec 25 2040 10am', /10 years/],
    ['today at 7:45pm', /2026-11-24 19:45 has already passed \(it is 2026-11-24 21:00 in UTC\)/, evening],
    [
      'today at 7:45pm',
      /leave out "today"/,
      { now: new Date('2026-11-24T20:00:00Z'), timezone: 'Europe/Berlin' },
    ],
    ['tonight at 8pm', /already passed/, evening],
    ['this monday at 9am', /already passed.*"next \.\.\."/],
    ['dec 25 2025 10am', /already passed.*leave out the year/],
    ['feb 30 9am', /February has no day 30/],
    ['apr 31', /April has no day 31/],
    ['feb 29 2027 at 9am', /February 29 does not exist in 2027/],
    ['at 25:00', /"25:00" is not a time of day: the hour runs 0-23/],
    ['tomorrow at 13pm', /"13pm" is not a time of day: with am\/pm the hour runs 1-12/],
    ['tomorrow at 0am', /with am\/pm the hour runs 1-12/],
    ['tomorrow at 12:60', /minutes and seconds run 0-59/],
    ['tomorrow at 9', /could be 9am or 9pm/],
    ['tomorrow at 24', /"24" alone is not a time/],
    ['tomorrow at', /"at" must be followed by a time/],
    ['at whenever', /"at" must be followed by a time/],
    ['on 9am', /"on" must be followed by a day/],
    ['today', /"today" needs a time/],
    ['tonight', /"tonight" needs a time/],
    ['tonight at 9am', /09:00 is not tonight/],
    ['friday at midnight', /"midnight" next to a day is ambiguous/],
    ['12/25 at 9am', /month\/day or day\/month/],
    ['tomorrow monday', /names two days/],
    ['at 9am 10am', /names two times/],
    ['next week', /"next week" is not a day/],
    ['dec', /needs a day of the month/],
    ['tomorrow at 2pm please', /"please" is not a word Pulse understands/],
  ])('rejects %j, naming the input and giving examples', (input, reason, ctx = utc) => {
    const error = errorOf(() => parseWhen(input, ctx));
    expect(error.message).toContain(JSON.stringify(input));
    expect(error.message).toMatch(reason);
    expect(error.message).toMatch(/Examples that work: now, .*tomorrow at 2pm, .*daily at 9am, /);
  });
});

describe('parseWhen, out of range (issue 12)', () => {
  // Each of these once summed to an Invalid Date (`RangeError: Invalid time value`, a 500) instead of a reason.
  it.each<[string | WhenObject]>([
    ['in 300000 years'],
    ['99999999999w'],
    ['in 99999999999 weeks'],
    ['99999999999 weeks from now'],
    ['in 9007199254740993 ms'],
    [`in ${'9'.repeat(190)} seconds`],
    [{ type: 'once', delay: '99999999999w' }],
    [{ type: 'once', natural: 'in 300000 years' }],
    [{ type: 'recurring', delay: '99999999999w', repeat: { interval: '1m' } }],
    [{ type: 'recurring', time: 'in 300000 years', repeat: { interval: '1m' } }],
  ])('refuses %j, naming the supported range', (when) => {
    const error = errorOf(() => parseWhen(when, utc));
    expect(error.message).toMatch(/more than 10 years ahead; Pulse schedules up to 10 years \(3660 days\)/);
  });

  it('still accepts the far end of the range', () => {
    expect(at('in 3660 days')).toBe('2036-12-01T10:00:00.000Z');
    expect(() => parseWhen('in 3661 days', utc)).toThrow(/more than 10 years ahead/);
  });

  it('throws nothing but WhenParseError, and only valid dates come out, for any magnitude', () => {
    const magnitude = fc.oneof(
      fc.constantFrom('0', '1e308', '9007199254740993', '99999999999', '300000', '0.000001', '9'.repeat(150)),
      fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
      fc.double({ min: 0, noNaN: true }).map((n) => n.toFixed(3)),
    );
    const unit = fc.constantFrom(
      'ms',
      's',
      'm',
      'h',
      'd',
      'w',
      'y',
      ' seconds',
      ' hours',
      ' weeks',
      ' years',
    );
    const delay = fc.tuple(magnitude, unit).map(([n, u]) => n + u);
    const when = fc.oneof(
      delay,
      delay.map((d) => `in ${d}`),
      delay.map((d) => `${d} from now`),
      delay.map((d) => ({ type: 'once', delay: d })),
      fc
        .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }))
        .map(([y, m]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-01T00:00:00Z`),
      fc.integer({ min: 0, max: 9999 }).map((y) => `dec 25 ${String(y).padStart(4, '0')} 10am`),
    );
    fc.assert(
      fc.property(when, (input) => {
        try {
          const parsed = parseWhen(input, utc);
          expect(Number.isNaN(parsed.at.getTime()), JSON.stringify(input)).toBe(false);
        } catch (err) {
          if (!(err instanceof WhenParseError)) throw err;
        }
      }),
      { numRuns: 2000, seed: 20261124 },
    );
  });
});

describe('time zones', () => {
  it('knows offsets on both sides of a DST change', () => {
    expect(offsetAt(new Date('2026-03-29T00:59:59Z'), 'Europe/Berlin')).toBe(3_600_000);
    expect(offsetAt(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe(7_200_000);
  });

  it('maps wall time to instants, moving a time in the spring gap forward', () => {
    const wall = { year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0 };
    expect(instantOf(wall, 'America/New_York').toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(instantOf({ ...wall, hour: 9 }, 'America/New_York').toISOString()).toBe(
      '2026-03-08T13:30:00.000Z',
    );
  });
});
