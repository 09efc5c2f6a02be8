/**
 * The month view of a busy window. FullCalendar lays out every event of a day, shown or folded under "+more", so a
 * month of ten thousand tasks would be tens of thousands of events to draw. A day with more occurrences than the
 * month view shows is drawn instead as one event per outcome ("212 upcoming"), which opens that day's agenda;
 * quieter days keep one event per occurrence.
 */
import type { Occurrence } from './api.js';

export interface DayGroup {
  /** The local date (`YYYY-MM-DD`) in the answer's time zone. */
  readonly date: string;
  readonly status: string;
  readonly count: number;
}

export function groupBusyDays(
  occurrences: readonly Occurrence[],
  perDay: number,
): { single: Occurrence[]; groups: DayGroup[] } {
  const byDay = new Map<string, Occurrence[]>();
  for (const o of occurrences) {
    const date = o.local_at.slice(0, 10);
    const day = byDay.get(date);
    if (day) day.push(o);
    else byDay.set(date, [o]);
  }
  const single: Occurrence[] = [];
  const groups: DayGroup[] = [];
  for (const [date, day] of byDay) {
    if (day.length <= perDay) {
      single.push(...day);
      continue;
    }
    const counts = new Map<string, number>();
    for (const o of day) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
    for (const [status, count] of counts) groups.push({ date, status, count });
  }
  return { single, groups };
}
