import { describe, expect, it } from 'vitest';
import { localIso } from '../src/ledger/local-time.js';

/** The local time as Intl formats it for that one instant: what `localIso`'s cached offsets must agree with. */
function formatted(ms: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  });
  for (const part of format.formatToParts(ms)) parts[part.type] = part.value;
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName!.slice(3);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

describe('localIso', () => {
  it('names DST changes at the instant they happen', () => {
    expect(localIso(Date.parse('2026-03-29T00:59:59Z'), 'Europe/Berlin')).toBe('2026-03-29T01:59:59+01:00');
    expect(localIso(Date.parse('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29T03:00:00+02:00');
    expect(localIso(Date.parse('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00+02:00');
    expect(localIso(Date.parse('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00+01:00');
    expect(localIso(Date.parse('2026-04-05T15:00:00Z'), 'Australia/Lord_Howe')).toBe(
      '2026-04-06T01:30:00+10:30',
    );
  });

  it('agrees with Intl for every zone kind, old local mean times with seconds included', () => {
    const zones = [
      'Europe/Berlin',
      'America/St_Johns',
      'Asia/Kathmandu',
      'Pacific/Chatham',
      'Australia/Lord_Howe',
      'UTC',
    ];
    let checked = 0;
    for (const timeZone of zones) {
      for (let ms = Date.UTC(1890, 0, 1); ms < Date.UTC(2030, 0, 1); ms += 39_973 * 60_000 + 7_001) {
        expect(localIso(ms, timeZone), `${timeZone} ${new Date(ms).toISOString()}`).toBe(
          formatted(ms, timeZone),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });
});
