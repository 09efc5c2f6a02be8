import { describe, expect, it } from 'vitest';
import { WhenParseError, parseDelay, parseWhen } from '../src/time/parse-when.js';
import { instantOf, offsetAt } from '../src/time/time-zone.js';

const now = new Date('2026-11-24T10:00:00.000Z');
const utc = { now, timezone: 'UTC' };
const at = (when: Parameters<typeof parseWhen>[0], ctx = utc) => parseWhen(when, ctx).at.toISOString();

describe('parseWhen, one-time forms', () => {
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
    expect(at('2026-07-01T09:00:00', { now, timezone: 'Europe/Berlin' })).toBe('2026-07-01T07:00:00.000Z');
    expect(at('2026-12-01T09:00:00', { now, timezone: 'Europe/Berlin' })).toBe('2026-12-01T08:00:00.000Z');
    expect(at('2026-03-29T02:30:00', { now, timezone: 'Europe/Berlin' })).toBe('2026-03-29T01:30:00.000Z');
    expect(at('2026-10-25T02:30:00', { now, timezone: 'Europe/Berlin' })).toBe('2026-10-25T00:30:00.000Z');
    expect(at('2026-11-01T01:30:00', { now, timezone: 'America/New_York' })).toBe('2026-11-01T05:30:00.000Z');
  });

  it('accepts the object forms', () => {
    expect(at({ type: 'once', time: '2026-12-01T09:00:00Z' })).toBe('2026-12-01T09:00:00.000Z');
    expect(at({ type: 'once', delay: '90s' })).toBe('2026-11-24T10:01:30.000Z');
    expect(at({ type: 'once', natural: 'in 5 minutes' })).toBe('2026-11-24T10:05:00.000Z');
    expect(at({ type: 'once', time: 'in 2 hours', timezone: null })).toBe('2026-11-24T12:00:00.000Z');
    expect(at({ type: 'once', time: '2026-12-01T09:00:00', timezone: 'Asia/Tokyo' })).toBe(
      '2026-12-01T00:00:00.000Z',
    );
  });

  it.each([
    ['', /empty/],
    ['whenever', /not a time/],
    ['in 5 parsecs', /not a time/],
    ['2026-13-01T00:00:00Z', /month 13/],
    ['2026-02-29T00:00:00Z', /day 29/],
    ['2026-12-01T25:00:00Z', /not a valid time/],
    ['2026-12-01T09:00:00+19:00', /offset/],
    ['in 11 years', /10 years/],
    ['-5m', /not a time/],
  ])('rejects %j, naming the input and giving examples', (input, reason) => {
    const error = (() => {
      try {
        parseWhen(input, utc);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(WhenParseError);
    const message = (error as Error).message;
    expect(message).toContain(JSON.stringify(input));
    expect(message).toMatch(reason);
    expect(message).toMatch(/Examples that work: now, /);
  });

  it('rejects malformed object forms', () => {
    expect(() => parseWhen({ type: 'once' }, utc)).toThrow(/exactly one of/);
    expect(() => parseWhen({ type: 'once', time: 'now', delay: '5m' }, utc)).toThrow(/only one of/);
    expect(() => parseWhen({ type: 'once', delay: 'soon' }, utc)).toThrow(/number and a unit/);
    expect(() => parseWhen({ type: 'once', time: 'now', timezone: 'Nowhere/City' }, utc)).toThrow(/IANA/);
  });

  it('parses delays', () => {
    expect(parseDelay('500ms')).toBe(500);
    expect(parseDelay('2 hours')).toBe(7_200_000);
    expect(parseDelay('soon')).toBeUndefined();
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
