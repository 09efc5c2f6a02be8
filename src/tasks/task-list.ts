/**
 * `GET /tasks`: every kind lists its own candidates (one-time tasks by a visibility query, recurring ones from
 * their schedules), and the page is cut from them merged in creation order. Temporal lists workflows and
 * schedules separately, so a page in one order needs every candidate read; the scan is capped to keep a request
 * bounded (pages beyond it are not reachable).
 */
import type { ListTasksQuery } from '../api/schemas.js';
import { BadRequestError } from '../errors.js';
import { onTemporal } from '../temporal/temporal-errors.js';
import { decodeCursor, encodeCursor } from './ids.js';
import type { KindListFilters, ListedTask, TaskKind } from './kinds/task-kind.js';
import type { TaskView } from './task-view.js';

export type ListFilters = ListTasksQuery;

export interface TaskList {
  tasks: TaskView[];
  count: number;
  next_cursor: string | null;
}

/** Most tasks of each kind one `GET /tasks` reads before sorting. */
const MAX_LIST_SCAN = 10_000;

/** The time range in ms, both ends inclusive: end_time names a whole second, so all of it is in the range. */
function rangeOf(filters: ListFilters): Pick<KindListFilters, 'fromMs' | 'toMs'> {
  const { start_time: startTime, end_time: endTime } = filters;
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
    throw new BadRequestError(
      'INVALID_TIME_RANGE',
      `start_time (${startTime}) is after end_time (${endTime}); give start_time <= end_time, both in unix seconds.`,
      [{ field: 'query.start_time', message: 'must not be after end_time' }],
    );
  }
  return {
    ...(startTime !== undefined ? { fromMs: startTime * 1000 } : {}),
    ...(endTime !== undefined ? { toMs: endTime * 1000 + 999 } : {}),
  };
}

/**
 * What a cursor belongs to: the filters. Not the query itself, which holds the current time when filtering by
 * status and so differs from one page's request to the next.
 */
function cursorScope(taskQueue: string, filters: ListFilters): string {
  const { start_time: startTime, end_time: endTime } = filters;
  return JSON.stringify([
    taskQueue,
    filters.status,
    filters.schedule_type,
    filters.agent_id,
    // Only when given, so cursors handed out before the time filters existed stay valid.
    ...(startTime !== undefined || endTime !== undefined ? [startTime ?? null, endTime ?? null] : []),
  ]);
}

/** Newest first, to the millisecond, ties by id: a total order, so pages never overlap or skip. */
function newestFirst(a: ListedTask, b: ListedTask): number {
  return b.createdMs - a.createdMs || (a.view.id < b.view.id ? 1 : a.view.id > b.view.id ? -1 : 0);
}

export async function listTasks(
  kinds: readonly TaskKind[],
  taskQueue: string,
  filters: ListFilters,
): Promise<TaskList> {
  const kindFilters: KindListFilters = {
    ...rangeOf(filters),
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.schedule_type ? { scheduleType: filters.schedule_type } : {}),
    ...(filters.agent_id ? { agentId: filters.agent_id } : {}),
    limit: MAX_LIST_SCAN,
  };
  const scope = cursorScope(taskQueue, filters);
  const offset = filters.cursor ? decodeCursor(filters.cursor, scope) : filters.offset;
  const listed: ListedTask[] = [];
  for (const kind of kinds) listed.push(...(await onTemporal(undefined, () => kind.list(kindFilters))));
  listed.sort(newestFirst);
  const tasks = listed.slice(offset, offset + filters.limit).map((entry) => entry.view);
  const more = listed.length > offset + filters.limit;
  return {
    tasks,
    count: tasks.length,
    next_cursor: more ? encodeCursor(offset + filters.limit, scope) : null,
  };
}
