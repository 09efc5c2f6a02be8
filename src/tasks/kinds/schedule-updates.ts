/**
 * How Pulse rewrites a recurring task's schedule: each change (cancel, pause or resume, new work, new recurrence)
 * is a function from the schedule's description to its update, stamped with `PulseChangedAt`. A pause, resume or
 * cancel is also recorded in the action's memo as a pause period, for the ledger (`ledger/pause-periods.ts`).
 */
import type { ScheduleDescription, ScheduleUpdateOptions } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { PAUSE_PERIODS_MEMO_KEY, pausePeriodsOf, withPauseEvent } from '../../ledger/pause-periods.js';
import {
  PulseAgentId,
  PulseChangedAt,
  PulseExecutor,
  PulseScheduleType,
  PulseStatus,
} from '../../shared/search-attributes.js';
import type { RecurringWhen } from '../../time/parse-when.js';
import type { BuiltTask } from '../build-task.js';
import { CANCELLED_NOTE } from '../task-status.js';
import { toScheduleSpec } from './schedule-spec.js';
import { staticDetailsOf, staticSummaryOf } from './task-summary.js';

type ScheduleUpdate = (previous: ScheduleDescription) => ScheduleUpdateOptions;

const PAUSED_NOTE = 'Paused through the Pulse API';
const RESUMED_NOTE = 'Resumed through the Pulse API';
/** Search attributes that describe what a task does; a PATCH rewrites them (a missing one is removed). */
const WORK_ATTRIBUTES = new Set([PulseScheduleType.name, PulseExecutor.name, PulseAgentId.name]);

function pairsOf(
  attributes: readonly SearchAttributePair[] | { getAll(): SearchAttributePair[] } | undefined,
): SearchAttributePair[] {
  if (!attributes) return [];
  return Array.isArray(attributes)
    ? [...attributes]
    : (attributes as { getAll(): SearchAttributePair[] }).getAll();
}

/**
 * A schedule's update as Pulse makes it: stamped with its moment in the schedule's `PulseChangedAt`, which schedule
 * listings carry, so a reader that keeps descriptions knows which ones changed.
 */
function stamped(update: ScheduleUpdate, at: Date): ScheduleUpdate {
  return (previous) => {
    const next = update(previous);
    const pairs = pairsOf(next.typedSearchAttributes ?? previous.typedSearchAttributes);
    return {
      ...next,
      typedSearchAttributes: [
        ...pairs.filter((p) => p.key.name !== PulseChangedAt.name),
        { key: PulseChangedAt, value: at },
      ],
    };
  };
}

/**
 * The action's memo with a pause, resume or cancel recorded in its pause periods: Temporal keeps only whether a
 * schedule is paused now, and the ledger needs since when (see `ledger/pause-periods.ts`).
 */
function memoWithPauseEvent(
  memo: Record<string, unknown> | undefined,
  event: 'pause' | 'resume' | 'cancel',
  at: Date,
): Record<string, unknown> {
  return { ...memo, [PAUSE_PERIODS_MEMO_KEY]: withPauseEvent(pausePeriodsOf(memo), event, at) };
}

/** The recorded pause periods of a memo, to carry over when the memo is replaced. */
function keptPausePeriods(memo: Record<string, unknown> | undefined): Record<string, unknown> {
  const periods = pausePeriodsOf(memo);
  return periods.length > 0 ? { [PAUSE_PERIODS_MEMO_KEY]: periods } : {};
}

/** Cancelled: paused for good (so the record stays), with the `cancelled` status Pulse reports. */
export function cancelUpdate(now: () => Date): ScheduleUpdate {
  return stamped(
    (previous) => ({
      ...previous,
      state: { ...previous.state, paused: true, note: CANCELLED_NOTE },
      action: {
        ...previous.action,
        memo: memoWithPauseEvent(previous.action.memo, 'cancel', now()),
      } as typeof previous.action,
      typedSearchAttributes: [
        ...pairsOf(previous.typedSearchAttributes).filter((p) => p.key.name !== PulseStatus.name),
        { key: PulseStatus, value: 'cancelled' },
      ],
    }),
    now(),
  );
}

/** Paused or resumed: one update does it and records the period for the ledger. */
export function setPausedUpdate(paused: boolean, now: () => Date): ScheduleUpdate {
  return stamped(
    (previous) => ({
      ...previous,
      state: { ...previous.state, paused, note: paused ? PAUSED_NOTE : RESUMED_NOTE },
      action: {
        ...previous.action,
        memo: memoWithPauseEvent(previous.action.memo, paused ? 'pause' : 'resume', now()),
      } as typeof previous.action,
    }),
    now(),
  );
}

/**
 * Replaces what each future run does (payload, metadata), the memo describing it, and the search attributes
 * that describe the work, on the schedule and on the runs it starts. Status attributes are left as they are.
 */
export function amendUpdate(built: BuiltTask, now: () => Date): ScheduleUpdate {
  const work = built.searchAttributes.filter((p) => WORK_ATTRIBUTES.has(p.key.name));
  const replaced = (previous: readonly SearchAttributePair[]): SearchAttributePair[] => [
    ...previous.filter((p) => !WORK_ATTRIBUTES.has(p.key.name)),
    ...work,
  ];
  return stamped(
    (previous) => ({
      ...previous,
      action: {
        ...previous.action,
        args: [built.input],
        memo: { ...built.memo, ...keptPausePeriods(previous.action.memo) },
        staticSummary: staticSummaryOf(built),
        staticDetails: staticDetailsOf(built),
        typedSearchAttributes: replaced(pairsOf(previous.action.typedSearchAttributes)),
      } as typeof previous.action,
      typedSearchAttributes: replaced(pairsOf(previous.typedSearchAttributes)),
    }),
    now(),
  );
}

/** Replaces the recurrence, with `remaining` runs still to come (undefined: as many as the spec gives). */
export function rescheduleUpdate(
  when: RecurringWhen,
  built: BuiltTask,
  remaining: number | undefined,
  now: () => Date,
): ScheduleUpdate {
  return stamped(
    (previous) => ({
      ...previous,
      spec: toScheduleSpec(when, built.recurrence?.policy.jitterMs, when.at),
      action: {
        ...previous.action,
        memo: { ...built.memo, ...keptPausePeriods(previous.action.memo) },
        // The summary names the recurrence, so it follows the reschedule.
        staticSummary: staticSummaryOf(built),
        staticDetails: staticDetailsOf(built),
      } as typeof previous.action,
      state: { ...previous.state, remainingActions: remaining },
    }),
    now(),
  );
}
