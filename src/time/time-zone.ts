/**
 * Wall-clock ↔ instant conversion for IANA time zones: `Temporal.ZonedDateTime` from temporal-polyfill (which
 * reads the runtime's `Intl` tz data), so DST gaps and folds follow the Temporal proposal's rules.
 */
import { Temporal } from 'temporal-polyfill';

/** True when `name` is an IANA time zone this runtime knows (a UTC offset such as `+05:00` is not one). */
export function isValidTimeZone(name: string): boolean {
  if (/^[+-]/.test(name)) return false;
  try {
    Temporal.Now.instant().toZonedDateTimeISO(name);
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

/** A wall-clock reading as `instantOf` and `possibleInstantsOf` take it. */
export type WallTimeInput = Omit<WallTime, 'weekday' | 'millisecond'> & { millisecond?: number };

function zoned(instant: Date, timeZone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(timeZone);
}

/** The wall-clock reading of `instant` in `timeZone`. */
export function wallTimeOf(instant: Date, timeZone: string): WallTime {
  const { year, month, day, hour, minute, second, millisecond, dayOfWeek } = zoned(instant, timeZone);
  return { year, month, day, hour, minute, second, millisecond, weekday: dayOfWeek % 7 };
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds (positive east of Greenwich). */
export function offsetAt(instant: Date, timeZone: string): number {
  return zoned(instant, timeZone).offsetNanoseconds / 1_000_000;
}

/**
 * The instant at which clocks in `timeZone` read the given wall time. A wall time skipped by a DST gap moves
 * forward by the gap (02:30 on a spring-forward day is 03:30); an ambiguous one takes the earlier instant:
 * Temporal's `disambiguation: 'compatible'`.
 */
export function instantOf(wall: WallTimeInput, timeZone: string): Date {
  const at = Temporal.PlainDateTime.from(wall).toZonedDateTime(timeZone, { disambiguation: 'compatible' });
  return new Date(at.epochMilliseconds);
}

/**
 * Every instant at which clocks in `timeZone` read the given wall time, in order: none when a DST gap skips it,
 * two when a fold repeats it, as Temporal's scheduler matches calendar specs.
 */
export function possibleInstantsOf(wall: WallTimeInput | Temporal.PlainDateTime, timeZone: string): number[] {
  const plain = Temporal.PlainDateTime.from(wall);
  const instants = (['earlier', 'later'] as const)
    .map((disambiguation) => plain.toZonedDateTime(timeZone, { disambiguation }))
    // In a gap both choices land on other wall times; only readings that round-trip exist.
    .filter((at) => at.toPlainDateTime().equals(plain))
    .map((at) => at.epochMilliseconds);
  return [...new Set(instants)];
}
