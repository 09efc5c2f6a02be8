/**
 * Wall-clock ↔ instant conversion for IANA time zones, on top of `Intl` (no tz database of our own).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when `name` is an IANA time zone this runtime knows (case-sensitive, like Temporal's). */
export function isValidTimeZone(name: string): boolean {
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  /** 0 = Sunday. */
  readonly weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The wall-clock reading of `instant` in `timeZone`. */
export function wallTimeOf(instant: Date, timeZone: string): WallTime {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    millisecond: instant.getUTCMilliseconds(),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
  };
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds (positive east of Greenwich). */
export function offsetAt(instant: Date, timeZone: string): number {
  const w = wallTimeOf(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
  return asUtc - instant.getTime();
}

/**
 * The instant at which clocks in `timeZone` read the given wall time. A wall time skipped by a DST gap moves
 * forward by the gap (02:30 on a spring-forward day is 03:30); an ambiguous one takes the earlier instant.
 */
export function instantOf(
  wall: Omit<WallTime, 'weekday' | 'millisecond'> & { millisecond?: number },
  timeZone: string,
): Date {
  const naive = Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour,
    wall.minute,
    wall.second,
    wall.millisecond ?? 0,
  );
  // Two candidate offsets: the zone's offset a day before and a day after cover both sides of any transition.
  const offsets = new Set([
    offsetAt(new Date(naive - 86_400_000), timeZone),
    offsetAt(new Date(naive + 86_400_000), timeZone),
  ]);
  const matches = [...offsets]
    .map((offset) => naive - offset)
    .filter((t) => offsetAt(new Date(t), timeZone) === naive - t)
    .sort((a, b) => a - b);
  if (matches.length > 0) return new Date(matches[0]!);
  // In a gap: use the offset in force before it, which lands after the gap by the gap's length.
  return new Date(naive - offsetAt(new Date(naive - 86_400_000), timeZone));
}
