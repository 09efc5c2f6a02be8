/** How a parsed recurrence and its policy become a Temporal Schedule's spec, policies and action count. */
import type { ScheduleDescription, ScheduleOverlapPolicy, ScheduleSpec } from '@temporalio/client';
import { ConflictError } from '../../errors.js';
import { nextFireAfter, type RecurringWhen } from '../../time/parse-when.js';
import type { RecurrencePolicy } from '../build-task.js';

export const OVERLAP = {
  skip: 'SKIP',
  buffer_one: 'BUFFER_ONE',
  buffer_all: 'BUFFER_ALL',
  allow_all: 'ALLOW_ALL',
  cancel_other: 'CANCEL_OTHER',
  terminate_other: 'TERMINATE_OTHER',
} as const satisfies Record<RecurrencePolicy['overlap'], ScheduleOverlapPolicy>;

/** The Temporal spec for a parsed recurrence; `startAt` makes the first run the one `when` named. */
export function toScheduleSpec(
  when: RecurringWhen,
  jitterMs: number | undefined,
  startAt?: Date,
): ScheduleSpec {
  const spec = when.spec;
  const common = {
    timezone: when.timezone,
    ...(jitterMs ? { jitter: jitterMs } : {}),
    ...(startAt ? { startAt } : {}),
  };
  switch (spec.type) {
    case 'interval':
      return { ...common, intervals: [{ every: spec.everyMs, offset: spec.offsetMs }] };
    case 'cron':
      return { ...common, cronExpressions: [spec.expression] };
    case 'calendar': {
      const { type: _type, ...calendar } = spec;
      return { ...common, calendars: [calendar] };
    }
  }
}

export function schedulePolicies(policy: RecurrencePolicy) {
  return {
    overlap: OVERLAP[policy.overlap],
    pauseOnFailure: policy.pauseOnFailure,
    ...(policy.catchupWindowMs !== undefined ? { catchupWindow: policy.catchupWindowMs } : {}),
  };
}

/** A limited schedule's actions still to come; Infinity for one that runs forever. */
function remainingActions(description: ScheduleDescription | undefined): number {
  return description?.raw.schedule?.state?.limitedActions
    ? (description.state.remainingActions ?? 0)
    : Infinity;
}

/** Whether a schedule has nothing left to do. */
export function isExhausted(description: ScheduleDescription): boolean {
  return remainingActions(description) === 0 || description.info.nextActionTimes.length === 0;
}

/**
 * The actions left when a recurrence of `when.times` replaces one of `previousTimes`: runs the schedule itself
 * took count against it, from what `times` allowed and what is left, because manual triggers (API or CLI) also
 * count in numActionsTaken but `times` counts only scheduled runs. A recurrence already used up is a 409.
 */
export function remainingAfterReschedule(
  taskId: string,
  description: ScheduleDescription | undefined,
  previousTimes: number | null | undefined,
  when: RecurringWhen,
): number | undefined {
  const remaining = remainingActions(description);
  const taken =
    remaining !== Infinity && typeof previousTimes === 'number'
      ? previousTimes - remaining
      : (description?.info.numActionsTaken ?? 0);
  if (when.times === null) return undefined;
  const left = Math.max(0, when.times - taken);
  if (left === 0) {
    throw new ConflictError(
      'TIMES_USED_UP',
      `Task '${taskId}' already ran ${taken} times; a recurrence of ${when.times} would never run again.`,
    );
  }
  return left;
}

/**
 * The next `count` fire times: the server's own list (which knows the start time and what already ran), continued
 * from the stored recurrence when more are asked for, so a preview never invents runs before the first one.
 */
export function nextFireTimes(
  description: ScheduleDescription | undefined,
  recurrence: { spec: RecurringWhen['spec']; timezone: string } | undefined,
  count: number,
  now: Date,
): Date[] {
  const fromServer = description?.info.nextActionTimes ?? [];
  if (count <= fromServer.length) return fromServer.slice(0, count);
  if (!recurrence) return fromServer;
  const limit = Math.min(count, remainingActions(description));
  const times = [...fromServer];
  let after = times[times.length - 1] ?? now;
  while (times.length < limit) {
    const next = nextFireAfter(recurrence.spec, recurrence.timezone, after);
    if (!next) break;
    times.push(next);
    after = next;
  }
  return times;
}
