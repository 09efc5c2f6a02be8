/**
 * `GET /occurrences`: gathers the ledger's facts and applies `occurrences.ts` to them. A month of ten thousand tasks
 * answers in well under a second because nothing is read twice that did not change:
 * - one-time tasks and the runs of schedules come from the executions index (`execution-index.ts`), which reads
 *   visibility once and then only its changes;
 * - schedules: one list, then a describe only for those whose listing shows a change, and their matching times
 *   from Temporal's `ListScheduleMatchingTimes`, cached per schedule, spec and days (they never change).
 */
import type { Client } from '@temporalio/client';
import { Temporal } from 'temporal-polyfill';
import { BadRequestError, TaskNotFoundError } from '../errors.js';
import {
  PulseAgentId,
  PulseScheduleType,
  PulseStatus,
  SCHEDULED_TASK_WORKFLOW,
} from '../shared/search-attributes.js';
import { ifExists, onTemporal } from '../temporal/temporal-errors.js';
import { isValidTimeZone } from '../time/time-zone.js';
import { CANCELLED_NOTE } from '../tasks/task-status.js';
import { quote } from '../tasks/visibility-query.js';
import {
  needsSchedulerHistory,
  onceOccurrence,
  recurringOccurrences,
  type RecurringFacts,
  type LedgerRun,
  type Occurrence,
  type OccurrenceStatus,
  type RecurringPolicy,
} from './occurrences.js';
import { createExecutionIndex, nameOf, type ExecutionFacts, type ExecutionIndex } from './execution-index.js';
import { createOccurrenceViews, type OccurrenceView, type TaskLabel } from './occurrence-view.js';
import { localIso } from './local-time.js';
import { pausePeriodsOf } from './pause-periods.js';
import { createScheduleReader, DESCRIBE_CONCURRENCY, mapLimit } from './schedule-reader.js';
import { canSee, tenantClause } from '../tenants/tenant-scope.js';

export interface LedgerQuery {
  /** ISO-8601 instant, or a date (midnight in `timezone`). */
  readonly from?: string;
  readonly to?: string;
  readonly task_id?: string;
  readonly agent_id?: string;
  readonly schedule_type?: string;
  readonly status?: OccurrenceStatus;
  /** IANA zone for `local_at` and for dates in `from`/`to`. */
  readonly timezone?: string;
  /** A local day with more occurrences than this is answered as counts per status (`collapsed`). */
  readonly collapse_over?: number;
}

export type { OccurrenceRunView, OccurrenceView } from './occurrence-view.js';

export interface OccurrencesAnswer {
  from: string;
  to: string;
  timezone: string;
  count: number;
  occurrences: OccurrenceView[];
  /** With `collapse_over`: the days that had more occurrences, as counts per status. */
  collapsed?: { date: string; status: OccurrenceStatus; count: number }[];
  /** Some schedule had more matching times in the window than are read (MAX_TIMES_PER_SCHEDULE). */
  truncated: boolean;
}

export interface LedgerService {
  occurrences(query: LedgerQuery): Promise<OccurrencesAnswer>;
  /** One task's occurrences; a 404 for an unknown task. */
  taskOccurrences(taskId: string, query: Omit<LedgerQuery, 'task_id'>): Promise<OccurrencesAnswer>;
  /** Begins reading what the ledger keeps, without waiting (a failure is met again by the first request). */
  warm(): void;
}

export interface LedgerDeps {
  readonly client: Client;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly uiUrl: string;
  readonly defaultTimezone: string;
  readonly now?: () => Date;
  /** The executions index; one of its own by default. */
  readonly index?: ExecutionIndex;
}

const DAY_MS = 86_400_000;
/** Default window: a week back, a month ahead. */
const DEFAULT_BACK_MS = 7 * DAY_MS;
const DEFAULT_AHEAD_MS = 31 * DAY_MS;
const MAX_WINDOW_MS = 366 * DAY_MS;
/** How far before the window runs are read, to name a run still going when the window opens. */
const RUN_LOOKBACK_MS = DAY_MS;
/** Temporal's default catch-up window, used when a schedule's policy does not say. */
const DEFAULT_CATCHUP_MS = 365 * DAY_MS;
/** Temporal's smallest catch-up window (its scheduler's `MinCatchupWindow`). */
const MIN_CATCHUP_MS = 10_000;

const OVERLAP_NAMES: Record<string, RecurringPolicy['overlap']> = {
  SKIP: 'skip',
  BUFFER_ONE: 'buffer_one',
  BUFFER_ALL: 'buffer_all',
  ALLOW_ALL: 'allow_all',
  CANCEL_OTHER: 'cancel_other',
  TERMINATE_OTHER: 'terminate_other',
};

function ledgerRunOf(row: ExecutionFacts, nominalMs: number): LedgerRun {
  return {
    workflowId: row.workflowId,
    runId: row.runId,
    nominalMs,
    startedMs: row.startedMs,
    ...(row.closedMs !== undefined ? { closedMs: row.closedMs } : {}),
    execution: row.execution,
    ...(row.record ? { record: row.record } : {}),
  };
}

/** A one-time task's due time: `PulseDueAt` while it waits, then its run's, or the one it was created with. */
function dueTimeOf(row: ExecutionFacts): number | undefined {
  if (row.dueAtMs !== undefined) return row.dueAtMs;
  const recorded = Date.parse(row.record?.scheduledFor ?? '');
  if (!Number.isNaN(recorded)) return recorded;
  const due = Date.parse(row.configuredDueAt ?? '');
  return Number.isNaN(due) ? undefined : due;
}

/** Days (local, in the answer's zone) with more than `limit` occurrences, as counts per status; the rest as they are. */
function collapseBusyDays<T extends { occurrence: Occurrence }>(
  entries: readonly T[],
  limit: number,
  timeZone: string,
) {
  const byDay = new Map<string, T[]>();
  for (const entry of entries) {
    const date = localIso(entry.occurrence.atMs, timeZone).slice(0, 10);
    const day = byDay.get(date);
    if (day) day.push(entry);
    else byDay.set(date, [entry]);
  }
  const listed: T[] = [];
  const collapsed: { date: string; status: OccurrenceStatus; count: number }[] = [];
  for (const [date, day] of byDay) {
    if (day.length <= limit) {
      listed.push(...day);
      continue;
    }
    const counts = new Map<OccurrenceStatus, number>();
    for (const { occurrence } of day) counts.set(occurrence.status, (counts.get(occurrence.status) ?? 0) + 1);
    for (const [status, count] of counts) collapsed.push({ date, status, count });
  }
  return { listed, collapsed };
}

export function createLedgerService(deps: LedgerDeps): LedgerService {
  const { client, namespace, taskQueue } = deps;
  const now = deps.now ?? (() => new Date());
  const reader = createScheduleReader(client, namespace);
  const index = deps.index ?? createExecutionIndex({ client, taskQueue });

  const { view } = createOccurrenceViews(deps.uiUrl, namespace);

  function parseInstant(value: string, field: string, timeZone: string): number {
    try {
      if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        return Temporal.PlainDate.from(value).toZonedDateTime({ timeZone }).epochMilliseconds;
      }
      const ms = Date.parse(value);
      if (!Number.isNaN(ms) && /[zZ]|[+-]\d{2}:?\d{2}$/.test(value)) return ms;
    } catch {
      // fall through to the 400
    }
    throw new BadRequestError(
      'INVALID_TIME_RANGE',
      `${field} '${value}' is not an ISO-8601 instant with an offset (2026-03-01T00:00:00Z) or a date (2026-03-01).`,
      [{ field: `query.${field}`, message: 'must be an ISO-8601 instant or a date' }],
    );
  }

  function windowOf(query: LedgerQuery) {
    const timeZone = query.timezone ?? deps.defaultTimezone;
    if (!isValidTimeZone(timeZone)) {
      throw new BadRequestError(
        'INVALID_TIMEZONE',
        `timezone '${timeZone}' is not an IANA time zone name such as 'Europe/Berlin'.`,
      );
    }
    const nowMs = now().getTime();
    const fromMs = query.from ? parseInstant(query.from, 'from', timeZone) : nowMs - DEFAULT_BACK_MS;
    const toMs = query.to
      ? parseInstant(query.to, 'to', timeZone)
      : fromMs + DEFAULT_BACK_MS + DEFAULT_AHEAD_MS;
    if (toMs <= fromMs) {
      throw new BadRequestError('INVALID_TIME_RANGE', `to (${query.to}) must be after from (${query.from}).`);
    }
    if (toMs - fromMs > MAX_WINDOW_MS) {
      throw new BadRequestError(
        'INVALID_TIME_RANGE',
        'The window from..to is longer than 366 days; ask for a shorter one.',
      );
    }
    return { timeZone, fromMs, toMs, nowMs };
  }

  /** Filters shared by one-time tasks and runs of schedules, as visibility clauses. */
  function filterClauses(query: LedgerQuery): string[] {
    const clauses: string[] = [...tenantClause()];
    if (query.schedule_type) clauses.push(`PulseScheduleType = ${quote(query.schedule_type)}`);
    if (query.agent_id) clauses.push(`PulseAgentId = ${quote(query.agent_id)}`);
    return clauses;
  }

  /** The executions in scope: the filters that one-time tasks and runs of schedules share. */
  async function executions(query: LedgerQuery): Promise<ExecutionFacts[]> {
    return (await index.current()).filter(
      (row) =>
        canSee(row.tenant) &&
        (!query.schedule_type || row.scheduleType === query.schedule_type) &&
        (!query.agent_id || row.agentId === query.agent_id),
    );
  }

  function onceOccurrences(
    rows: readonly ExecutionFacts[],
    query: LedgerQuery,
    fromMs: number,
    toMs: number,
    nowMs: number,
  ) {
    return rows.flatMap((row) => {
      if (row.scheduledById || (query.task_id && row.workflowId !== query.task_id)) return [];
      const dueAtMs = dueTimeOf(row);
      if (dueAtMs === undefined || dueAtMs < fromMs || dueAtMs > toMs) return [];
      const occurrence = onceOccurrence({
        dueAtMs,
        execution: row.execution,
        ...(row.reported ? { reported: row.reported } : {}),
        startedMs: row.startedMs,
        ...(row.closedMs !== undefined ? { closedMs: row.closedMs } : {}),
        ...(row.record ? { run: ledgerRunOf(row, dueAtMs) } : {}),
        nowMs,
      });
      const task: TaskLabel = {
        taskId: row.workflowId,
        kind: 'once',
        scheduleType: row.scheduleType ?? 'unknown',
        agentId: row.agentId ?? null,
        name: row.name,
      };
      return [{ task, occurrence }];
    });
  }

  /** Runs of schedules around the window (and every run still going), by schedule id. */
  function scheduleRuns(rows: readonly ExecutionFacts[], fromMs: number, toMs: number) {
    const byTask = new Map<string, LedgerRun[]>();
    for (const row of rows) {
      const taskId = row.scheduledById;
      const nominalMs = row.scheduledStartMs;
      if (!taskId || nominalMs === undefined) continue;
      const around = nominalMs >= fromMs - RUN_LOOKBACK_MS && nominalMs <= toMs;
      if (!around && row.execution !== 'RUNNING') continue;
      const runs = byTask.get(taskId) ?? [];
      runs.push(ledgerRunOf(row, nominalMs));
      byTask.set(taskId, runs);
    }
    return byTask;
  }

  async function recurring(query: LedgerQuery, fromMs: number, toMs: number, nowMs: number) {
    const runsByTask = scheduleRuns(await executions(query), fromMs, toMs);
    let truncated = false;
    const described = (await reader.schedules(query.task_id, filterClauses(query))).filter((d) =>
      canSee((d.memo as { tenant?: unknown } | undefined)?.tenant),
    );
    const perSchedule = await mapLimit(described, DESCRIBE_CONCURRENCY, async (description) => {
      const id = description.scheduleId;
      if (description.action.type !== 'startWorkflow') return [];
      if (description.action.workflowType !== SCHEDULED_TASK_WORKFLOW) return [];
      if (description.action.taskQueue !== taskQueue) return [];
      const createdMs = description.info.createdAt.getTime();
      if (createdMs > toMs) return [];
      const matching = await reader.matchingTimes(description, Math.max(fromMs, createdMs - 1000), toMs);
      truncated ||= matching.truncated;
      const memo = description.action.memo as Record<string, unknown> | undefined;
      const periods = pausePeriodsOf(memo);
      const cancelled =
        description.typedSearchAttributes.get(PulseStatus) === 'cancelled' ||
        (description.state.paused && description.state.note === CANCELLED_NOTE);
      const limited = description.raw.schedule?.state?.limitedActions;
      const facts: RecurringFacts = {
        matchingTimesMs: matching.times,
        runs: runsByTask.get(id) ?? [],
        // A cancel made before periods were recorded still ends the task's occurrences.
        pausePeriods:
          cancelled && !periods.some((p) => p.kind === 'cancelled')
            ? [
                ...periods,
                {
                  kind: 'cancelled',
                  from: (description.info.lastUpdatedAt ?? new Date(nowMs)).toISOString(),
                },
              ]
            : periods,
        policy: {
          overlap: OVERLAP_NAMES[description.policies.overlap ?? 'SKIP'] ?? 'skip',
          // Temporal's scheduler never uses a window below its minimum.
          catchupWindowMs: Math.max(description.policies.catchupWindow || DEFAULT_CATCHUP_MS, MIN_CATCHUP_MS),
          jitterMs: Number(description.spec.jitter ?? 0) || 0,
        },
        createdMs,
        pausedNow: description.state.paused,
        ...(description.state.note ? { pauseNote: description.state.note } : {}),
        remainingActions: limited ? (description.state.remainingActions ?? 0) : Infinity,
        fromMs,
        toMs,
        nowMs,
      };
      let occurrences = recurringOccurrences(facts);
      if (needsSchedulerHistory(occurrences, nowMs)) {
        const schedulerEventsMs = await reader.schedulerRuns(id);
        if (schedulerEventsMs) occurrences = recurringOccurrences({ ...facts, schedulerEventsMs });
      }
      const task: TaskLabel = {
        taskId: id,
        kind: 'recurring',
        scheduleType: description.typedSearchAttributes.get(PulseScheduleType) ?? 'unknown',
        agentId: description.typedSearchAttributes.get(PulseAgentId) ?? null,
        name: nameOf(memo),
      };
      return occurrences
        .filter((o) => o.atMs >= fromMs && o.atMs <= toMs)
        .map((occurrence) => ({ task, occurrence }));
    });
    return { entries: perSchedule.flat(), truncated };
  }

  async function occurrences(query: LedgerQuery): Promise<OccurrencesAnswer> {
    const { timeZone, fromMs, toMs, nowMs } = windowOf(query);
    const wantsRecurring = query.schedule_type === undefined || query.schedule_type !== '';
    const [rows, recurringPart] = await onTemporal(query.task_id, () =>
      Promise.all([
        executions(query),
        wantsRecurring ? recurring(query, fromMs, toMs, nowMs) : { entries: [], truncated: false },
      ]),
    );
    const entries = [...onceOccurrences(rows, query, fromMs, toMs, nowMs), ...recurringPart.entries]
      .filter((e) => !query.status || e.occurrence.status === query.status)
      .sort((a, b) => a.occurrence.atMs - b.occurrence.atMs || (a.task.taskId < b.task.taskId ? -1 : 1));
    const { listed, collapsed } =
      query.collapse_over === undefined
        ? { listed: entries, collapsed: undefined }
        : collapseBusyDays(entries, query.collapse_over, timeZone);
    const list = listed.map((e) => view(e.task, e.occurrence, timeZone));
    return {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      timezone: timeZone,
      count: list.length,
      occurrences: list,
      ...(collapsed ? { collapsed } : {}),
      truncated: recurringPart.truncated,
    };
  }

  return {
    occurrences,
    warm() {
      index.current().catch(() => undefined);
    },
    async taskOccurrences(taskId, query) {
      const answer = await occurrences({ ...query, task_id: taskId });
      if (answer.count > 0) return answer;
      // Nothing in the window: a 404 only when there is no such task at all.
      const exists =
        (await ifExists(taskId, () => client.schedule.getHandle(taskId).describe())) ??
        (await ifExists(taskId, () => client.workflow.getHandle(taskId).describe()));
      // Another tenant's task is not found, exactly like one that does not exist.
      if (!exists || !canSee((exists.memo as { tenant?: unknown } | undefined)?.tenant)) {
        throw new TaskNotFoundError(taskId);
      }
      return answer;
    },
  };
}
