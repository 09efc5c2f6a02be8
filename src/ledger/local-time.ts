/** An instant as local ISO-8601 with its offset (`2026-03-29T03:00:00+02:00`): the ledger's `local_at`. */

const formatters = new Map<string, Intl.DateTimeFormat>();
/**
 * Offsets (seconds east of UTC) by zone and quarter hour of UTC, the quarters in which today's zones change offset;
 * a quarter in which the offset changes (old local mean times do, at any second) is not cached: NaN.
 */
const offsets = new Map<string, Map<number, number>>();
const QUARTER_HOUR_MS = 15 * 60_000;
const MAX_CACHED_QUARTERS = 100_000;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // One formatter per zone: building one costs far more than formatting with it.
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function formattedOffset(ms: number, timeZone: string): number {
  const name = formatterFor(timeZone)
    .formatToParts(ms)
    .find((part) => part.type === 'timeZoneName')?.value;
  const match = /^GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(name ?? '');
  if (!match) return 0;
  return (
    (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0))
  );
}

/** The zone's offset at the instant, in seconds: formatted once per quarter hour, since answers hold thousands. */
function offsetSeconds(ms: number, timeZone: string): number {
  let byQuarter = offsets.get(timeZone);
  if (!byQuarter || byQuarter.size > MAX_CACHED_QUARTERS) {
    byQuarter = new Map();
    offsets.set(timeZone, byQuarter);
  }
  const quarter = Math.floor(ms / QUARTER_HOUR_MS);
  let offset = byQuarter.get(quarter);
  if (offset === undefined) {
    const first = formattedOffset(quarter * QUARTER_HOUR_MS, timeZone);
    const last = formattedOffset((quarter + 1) * QUARTER_HOUR_MS - 1, timeZone);
    offset = first === last ? first : NaN;
    byQuarter.set(quarter, offset);
  }
  return Number.isNaN(offset) ? formattedOffset(ms, timeZone) : offset;
}

const two = (n: number) => String(n).padStart(2, '0');

export function localIso(ms: number, timeZone: string): string {
  const offset = offsetSeconds(ms, timeZone);
  const local = new Date(Math.floor(ms / 1000) * 1000 + offset * 1000).toISOString().slice(0, 19);
  const abs = Math.abs(offset);
  const seconds = abs % 60 ? `:${two(abs % 60)}` : '';
  return `${local}${offset < 0 ? '-' : '+'}${two(Math.floor(abs / 3600))}:${two(Math.floor(abs / 60) % 60)}${seconds}`;
}
