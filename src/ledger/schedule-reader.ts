/**
 * What the ledger reads of schedules, each read once while it stays true: descriptions (again only when a schedule's
 * listing shows a change), Temporal's matching times (by schedule, spec and whole days: they never change), and when
 * a schedule's scheduler ran (from its history, read only for schedules with a time that did not run).
 */
import type { Client, ScheduleDescription, ScheduleSummary } from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common/lib/time.js';
import { SCHEDULED_TASK_WORKFLOW } from '../shared/search-attributes.js';
import { ifExists } from '../temporal/temporal-errors.js';

const DAY_MS = 86_400_000;
const MAX_TIMES_PER_SCHEDULE = 5000;
const CACHE_ENTRIES = 5000;
const CACHE_TTL_MS = 10 * 60_000;
/** How long a schedule's description is kept when its listing shows no change (a change made outside Pulse). */
const DESCRIPTION_TTL_MS = 5 * 60_000;
/** Workflow id of the system workflow that runs a schedule (Temporal's scheduler), before the schedule id. */
const SCHEDULER_WORKFLOW_PREFIX = 'temporal-sys-scheduler:';
/** Schedules described (and worked on) at once. */
export const DESCRIBE_CONCURRENCY = 16;

export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

export interface ScheduleReader {
  /** The schedules in scope, described: one (`taskId`, read fresh) or every Pulse schedule matching `filters`. */
  schedules(taskId: string | undefined, filters: readonly string[]): Promise<ScheduleDescription[]>;
  /** Temporal's matching times of a schedule in the window (`truncated`: more than are read). */
  matchingTimes(
    description: ScheduleDescription,
    fromMs: number,
    toMs: number,
  ): Promise<{ times: number[]; truncated: boolean }>;
  /** When the schedule's scheduler ran, ascending; undefined when its history cannot be read. */
  schedulerRuns(scheduleId: string): Promise<number[] | undefined>;
}

export function createScheduleReader(client: Client, namespace: string): ScheduleReader {
  const matchingCache = new Map<string, { at: number; times: number[]; truncated: boolean }>();
  const descriptions = new Map<string, { version: string; at: number; description: ScheduleDescription }>();

  /** What a schedule's listing shows of a change: Pulse's updates stamp `PulseChangedAt`; runs change the rest. */
  function versionOf(summary: ScheduleSummary): string {
    return JSON.stringify([
      // The server lists a schedule's attributes in no fixed order.
      (summary.typedSearchAttributes?.getAll() ?? [])
        .map((pair) => [pair.key.name, pair.value] as const)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
      summary.state,
      summary.spec,
      summary.info.recentActions.map((a) => a.takenAt.getTime()),
      summary.info.nextActionTimes[0]?.getTime(),
    ]);
  }

  /** A schedule's description, read again only when its listing shows a change (or after DESCRIPTION_TTL_MS). */
  async function describe(summary: ScheduleSummary): Promise<ScheduleDescription | undefined> {
    const id = summary.scheduleId;
    const version = versionOf(summary);
    const cached = descriptions.get(id);
    if (cached?.version === version && Date.now() - cached.at < DESCRIPTION_TTL_MS) return cached.description;
    const description = await ifExists(id, () => client.schedule.getHandle(id).describe());
    if (description) descriptions.set(id, { version, at: Date.now(), description });
    else descriptions.delete(id);
    return description;
  }

  /** The schedules in scope, described: one (task_id, read fresh) or every Pulse schedule matching the filters. */
  async function schedules(
    taskId: string | undefined,
    filters: readonly string[],
  ): Promise<ScheduleDescription[]> {
    if (taskId) {
      const id = taskId;
      const description = await ifExists(id, () => client.schedule.getHandle(id).describe());
      return description ? [description] : [];
    }
    const clauses = ['PulseScheduleType IS NOT NULL', ...filters];
    const summaries: ScheduleSummary[] = [];
    for await (const summary of client.schedule.list({ query: clauses.join(' AND '), pageSize: 1000 })) {
      if (summary.action?.workflowType === SCHEDULED_TASK_WORKFLOW) summaries.push(summary);
    }
    if (clauses.length === 1) {
      const listed = new Set(summaries.map((s) => s.scheduleId));
      for (const id of descriptions.keys()) if (!listed.has(id)) descriptions.delete(id);
    }
    const described = await mapLimit(summaries, DESCRIBE_CONCURRENCY, describe);
    return described.filter((d): d is ScheduleDescription => d !== undefined);
  }

  /** Temporal's matching times of a schedule in the window, cached by schedule, spec and days. */
  async function matchingTimes(
    description: ScheduleDescription,
    fromMs: number,
    toMs: number,
  ): Promise<{ times: number[]; truncated: boolean }> {
    // Read for whole UTC days, so windows that move with the clock (the default one) find them cached.
    const dayFromMs = Math.floor(fromMs / DAY_MS) * DAY_MS;
    const dayToMs = Math.ceil((toMs + 1) / DAY_MS) * DAY_MS;
    const key = JSON.stringify([description.scheduleId, description.raw.schedule?.spec, dayFromMs, dayToMs]);
    let entry = matchingCache.get(key);
    if (!entry || Date.now() - entry.at >= CACHE_TTL_MS) {
      entry = { at: Date.now(), ...(await readMatchingTimes(description.scheduleId, dayFromMs, dayToMs)) };
      if (matchingCache.size >= CACHE_ENTRIES) matchingCache.delete(matchingCache.keys().next().value!);
      matchingCache.set(key, entry);
    }
    return { times: entry.times.filter((t) => t >= fromMs && t <= toMs), truncated: entry.truncated };
  }

  async function readMatchingTimes(
    scheduleId: string,
    fromMs: number,
    toMs: number,
  ): Promise<{ times: number[]; truncated: boolean }> {
    const times: number[] = [];
    let start = fromMs;
    let truncated = false;
    for (;;) {
      const response = await client.workflowService.listScheduleMatchingTimes({
        namespace,
        scheduleId,
        startTime: msToTs(start),
        endTime: msToTs(toMs),
      });
      const page = (response.startTime ?? []).map((t) => tsToMs(t));
      const fresh = page.filter((t) => t >= start && t <= toMs && t > (times[times.length - 1] ?? -Infinity));
      times.push(...fresh);
      // The server answers at most a page of times; ask again after the last one until the window is done.
      if (page.length < 1000 || fresh.length === 0) break;
      if (times.length >= MAX_TIMES_PER_SCHEDULE) {
        truncated = true;
        break;
      }
      start = times[times.length - 1]! + 1;
    }
    return { times, truncated };
  }

  /**
   * When the schedule's scheduler workflow ran, from its history: Temporal keeps no record of when it was down, but
   * its scheduler runs only while it is up. Each run is a workflow task, whose clock (the scheduler's "now", against
   * which it measures the catch-up window) is its started event's time; tasks that did not complete (timed out
   * across a restart) decided nothing. Undefined when the history cannot be read.
   */
  async function schedulerRuns(scheduleId: string): Promise<number[] | undefined> {
    try {
      const history = await client.workflow
        .getHandle(`${SCHEDULER_WORKFLOW_PREFIX}${scheduleId}`)
        .fetchHistory();
      const events = history.events ?? [];
      const timeOf = new Map(events.map((e) => [Number(e.eventId), e.eventTime ? tsToMs(e.eventTime) : NaN]));
      return events
        .map((e) => e.workflowTaskCompletedEventAttributes?.startedEventId)
        .map((startedId) =>
          startedId === undefined || startedId === null ? NaN : timeOf.get(Number(startedId)),
        )
        .filter((ms): ms is number => ms !== undefined && Number.isFinite(ms))
        .sort((a, b) => a - b);
    } catch {
      return undefined;
    }
  }

  return { schedules, matchingTimes, schedulerRuns };
}
