/** The status rules of `src/tasks/task-status.ts`, as tables: no Temporal server, no clock. */
import { describe, expect, it } from 'vitest';
import type { TaskStatus } from '../src/shared/task-types.js';
import {
  CANCELLED_NOTE,
  canTriggerOnce,
  isFinished,
  liveOnceStatus,
  onceStatus,
  onceStatusQuery,
  orphanedRecurringStatus,
  recurringStatus,
  showsNextRun,
  type OnceFacts,
  type ScheduleFacts,
} from '../src/tasks/task-status.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const PAST = NOW - 60_000;
const FUTURE = NOW + 60_000;

describe('a one-time task from its execution (describe or visibility)', () => {
  const running = (facts: Partial<OnceFacts>): OnceFacts => ({
    execution: 'RUNNING',
    reported: 'active',
    dueAtMs: FUTURE,
    external: false,
    ...facts,
  });
  const cases: Array<[string, OnceFacts, TaskStatus]> = [
    ['waiting for its due time', running({}), 'active'],
    ['past its due time, still reporting active: its run started', running({ dueAtMs: PAST }), 'processing'],
    ['due exactly now', running({ dueAtMs: NOW }), 'processing'],
    [
      'an external-worker task past due stays active until claimed',
      running({ dueAtMs: PAST, external: true }),
      'active',
    ],
    ['no due time recorded', running({ dueAtMs: undefined }), 'active'],
    ['nothing reported yet', running({ reported: undefined }), 'active'],
    ['paused past its due time', running({ reported: 'paused', dueAtMs: PAST }), 'paused'],
    ['reporting processing', running({ reported: 'processing' }), 'processing'],
    [
      'run finished, callback still being delivered',
      running({ reported: 'completed', dueAtMs: PAST }),
      'completed',
    ],
    ['run failed, callback still being delivered', running({ reported: 'failed', dueAtMs: PAST }), 'failed'],
    ['workflow completed', running({ execution: 'COMPLETED' }), 'completed'],
    [
      'workflow cancelled, even after a good run',
      running({ execution: 'CANCELLED', reported: 'completed' }),
      'cancelled',
    ],
    ['workflow terminated', running({ execution: 'TERMINATED' }), 'cancelled'],
    ['workflow failed', running({ execution: 'FAILED' }), 'failed'],
    ['workflow timed out', running({ execution: 'TIMED_OUT' }), 'failed'],
  ];
  it.each(cases)('%s', (_name, facts, expected) => {
    expect(onceStatus(facts, NOW)).toBe(expected);
  });
});

describe('the query form of the one-time rule', () => {
  const now = new Date(NOW);
  it.each<[TaskStatus, RegExp[]]>([
    [
      'active',
      [/PulseStatus = 'active'/, /PulseDueAt > '2026-06-01T12:00:00.000Z'/, /PulseExecutor = 'external'/],
    ],
    [
      'processing',
      [
        /PulseStatus = 'processing'/,
        /PulseDueAt <= '2026-06-01T12:00:00.000Z'/,
        /PulseExecutor != 'external'/,
      ],
    ],
    ['paused', [/PulseStatus = 'paused' AND ExecutionStatus = 'Running'/]],
    [
      'completed',
      [/ExecutionStatus = 'Completed'/, /PulseStatus = 'completed' AND ExecutionStatus = 'Running'/],
    ],
    ['failed', [/ExecutionStatus IN \('Failed', 'TimedOut'\)/, /PulseStatus = 'failed'/]],
    ['cancelled', [/^ExecutionStatus IN \('Canceled', 'Terminated'\)$/]],
  ])('%s', (status, parts) => {
    const query = onceStatusQuery(status, now);
    for (const part of parts) expect(query).toMatch(part);
  });
});

describe('a running one-time task from its own state', () => {
  it.each<[string, { status: TaskStatus; leaseExpiresAtMs?: number }, TaskStatus]>([
    ['as the workflow says', { status: 'paused' }, 'paused'],
    ['claimed, lease still held', { status: 'processing', leaseExpiresAtMs: FUTURE }, 'processing'],
    [
      'claimed, lease lapsed: waiting for a worker again',
      { status: 'processing', leaseExpiresAtMs: PAST },
      'active',
    ],
    ['lease lapsing right now', { status: 'processing', leaseExpiresAtMs: NOW }, 'active'],
  ])('%s', (_name, state, expected) => {
    expect(liveOnceStatus(state, NOW)).toBe(expected);
  });
});

describe('a recurring task from its schedule', () => {
  const schedule = (facts: Partial<ScheduleFacts>): ScheduleFacts => ({
    reported: undefined,
    paused: false,
    note: undefined,
    running: false,
    exhausted: false,
    ...facts,
  });
  it.each<[string, ScheduleFacts, TaskStatus]>([
    ['waiting for its next run', schedule({}), 'active'],
    ['a run in progress', schedule({ running: true }), 'processing'],
    ['paused, even with a run in progress', schedule({ paused: true, running: true }), 'paused'],
    ['paused by hand with another note', schedule({ paused: true, note: 'maintenance' }), 'paused'],
    ['nothing left to run', schedule({ exhausted: true }), 'completed'],
    ['cancelled: the search attribute', schedule({ reported: 'cancelled' }), 'cancelled'],
    [
      'cancelled: only the pause note shows yet',
      schedule({ paused: true, note: CANCELLED_NOTE }),
      'cancelled',
    ],
    ['the note without the pause does not cancel', schedule({ note: CANCELLED_NOTE }), 'active'],
    ['cancelled wins over exhausted', schedule({ reported: 'cancelled', exhausted: true }), 'cancelled'],
  ])('%s', (_name, facts, expected) => {
    expect(recurringStatus(facts)).toBe(expected);
  });

  it('a schedule Temporal removed reads from its runs', () => {
    expect(orphanedRecurringStatus(true)).toBe('processing');
    expect(orphanedRecurringStatus(false)).toBe('completed');
  });
});

describe('what a status allows', () => {
  it.each<[TaskStatus, { finished: boolean; next: boolean; trigger: boolean }]>([
    ['active', { finished: false, next: true, trigger: true }],
    ['processing', { finished: false, next: true, trigger: false }],
    ['paused', { finished: false, next: false, trigger: true }],
    ['completed', { finished: true, next: false, trigger: false }],
    ['failed', { finished: true, next: false, trigger: false }],
    ['cancelled', { finished: true, next: false, trigger: false }],
  ])('%s', (status, expected) => {
    expect({
      finished: isFinished(status),
      next: showsNextRun(status),
      trigger: canTriggerOnce(status),
    }).toEqual(expected);
  });
});
