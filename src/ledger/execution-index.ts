/**
 * The ledger's index of Pulse's workflow executions on one task queue (one-time tasks and the runs of schedules), as
 * the few facts the ledger reads. Visibility lists about 3,000 rows a second on the dev server, far too slow to read
 * a month of ten thousand tasks per request, so the index reads every row once and afterwards only the rows that
 * changed: started, closed or written since its last read (each visibility write of a task stamps `PulseChangedAt`),
 * less a margin for visibility's lag. A full read every REBUILD_MS, in the background, drops the rows Temporal
 * deleted (retention) and whatever a write later than the margin hid.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import {
  PulseAgentId,
  PulseDueAt,
  PulseScheduleType,
  PulseStatus,
  PulseTaskId,
  PulseTenant,
  TemporalScheduledById,
  TemporalScheduledStartTime,
} from '../shared/search-attributes.js';
import type { RunRecord } from '../shared/task-types.js';
import { quote, scheduledTasksOn } from '../tasks/visibility-query.js';

/** One workflow execution as the ledger sees it. */
export interface ExecutionFacts {
  readonly workflowId: string;
  readonly runId: string;
  /** RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT… */
  readonly execution: string;
  readonly startedMs: number;
  readonly closedMs?: number;
  /** `PulseDueAt`: set while a one-time task waits. */
  readonly dueAtMs?: number;
  /** `PulseStatus` as last written. */
  readonly reported?: string;
  readonly scheduleType?: string;
  readonly agentId?: string;
  /** Runs of a schedule: the schedule (= task) id and the run's nominal time. */
  readonly scheduledById?: string;
  readonly scheduledStartMs?: number;
  /** The run as the workflow recorded it in its memo. */
  readonly record?: RunRecord;
  /** The due time the task was created with (`schedule_config.due_at` in its memo). */
  readonly configuredDueAt?: string;
  /** `metadata.name` (or `title`) from the memo. */
  readonly name: string | null;
  /** `PulseTenant`: the tenant the task belongs to. */
  readonly tenant?: string;
}

export interface ExecutionIndex {
  /** Every execution's facts, brought up to date with visibility first. */
  current(): Promise<readonly ExecutionFacts[]>;
}

export interface ExecutionIndexOptions {
  readonly client: Client;
  readonly taskQueue: string;
  /** How far before its last read the index asks again, for writes visibility shows late. */
  readonly lagMs?: number;
  readonly rebuildMs?: number;
}

const LAG_MS = 30_000;
const REBUILD_MS = 5 * 60_000;

export function nameOf(memo: Record<string, unknown> | undefined): string | null {
  const metadata = memo?.metadata as Record<string, unknown> | undefined;
  const name = metadata?.name ?? metadata?.title;
  return typeof name === 'string' ? name : null;
}

/** When a run Pulse started for a recurring task was due: its due time while it waits, then its run's. */
function triggeredAt(
  dueAt: Date | undefined,
  record: RunRecord | undefined,
  info: WorkflowExecutionInfo,
): Date {
  if (dueAt) return dueAt;
  const scheduledFor = record ? Date.parse(record.scheduledFor) : NaN;
  return Number.isNaN(scheduledFor) ? info.startTime : new Date(scheduledFor);
}

export function factsOf(info: WorkflowExecutionInfo): ExecutionFacts {
  const attributes = info.typedSearchAttributes;
  const record = info.memo?.run as RunRecord | undefined;
  const config = (info.memo?.schedule_config ?? {}) as { due_at?: unknown };
  const dueAt = attributes.get(PulseDueAt);
  const reported = attributes.get(PulseStatus);
  const scheduleType = attributes.get(PulseScheduleType);
  const agentId = attributes.get(PulseAgentId);
  // A run Pulse started for a recurring task (a trigger with input) belongs to it like its Schedule's runs; it was
  // due when triggered.
  const pulseTaskId = attributes.get(PulseTaskId);
  const scheduledById = attributes.get(TemporalScheduledById) ?? pulseTaskId;
  const scheduledStart =
    attributes.get(TemporalScheduledStartTime) ??
    (pulseTaskId ? triggeredAt(dueAt, record, info) : undefined);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    execution: info.status.name,
    startedMs: info.startTime.getTime(),
    ...(info.closeTime ? { closedMs: info.closeTime.getTime() } : {}),
    ...(dueAt ? { dueAtMs: dueAt.getTime() } : {}),
    ...(reported ? { reported } : {}),
    ...(scheduleType ? { scheduleType } : {}),
    ...(agentId ? { agentId } : {}),
    ...(scheduledById ? { scheduledById } : {}),
    ...(scheduledStart ? { scheduledStartMs: scheduledStart.getTime() } : {}),
    ...(record ? { record } : {}),
    ...(typeof config.due_at === 'string' ? { configuredDueAt: config.due_at } : {}),
    name: nameOf(info.memo),
    ...(attributes.get(PulseTenant) ? { tenant: attributes.get(PulseTenant)! } : {}),
  };
}

export function createExecutionIndex(options: ExecutionIndexOptions): ExecutionIndex {
  const { client } = options;
  const lagMs = options.lagMs ?? LAG_MS;
  const rebuildMs = options.rebuildMs ?? REBUILD_MS;
  const base = scheduledTasksOn(options.taskQueue).join(' AND ');
  let byRun = new Map<string, ExecutionFacts>();
  /** When the oldest read whose changes are not yet all in the index began. */
  let readFromMs: number | undefined;
  let builtAtMs = -Infinity;
  let rebuilding: Promise<void> | undefined;
  let syncing: Promise<void> | undefined;
  let queued: Promise<void> | undefined;

  async function read(query: string): Promise<ExecutionFacts[]> {
    const out: ExecutionFacts[] = [];
    for await (const info of client.workflow.list({ query, pageSize: 1000 })) out.push(factsOf(info));
    return out;
  }

  /** A full read, replacing the index; the next read of changes starts from its beginning. */
  async function rebuild(): Promise<void> {
    const startedMs = Date.now();
    const rows = await read(base);
    byRun = new Map(rows.map((row) => [row.runId, row]));
    builtAtMs = startedMs;
    readFromMs = Math.min(readFromMs ?? startedMs, startedMs);
  }

  async function sync(): Promise<void> {
    if (readFromMs === undefined) {
      await rebuild();
      return;
    }
    if (!rebuilding && Date.now() - builtAtMs >= rebuildMs) {
      rebuilding = rebuild().finally(() => (rebuilding = undefined));
      rebuilding.catch(() => undefined);
    }
    const startedMs = Date.now();
    const built = builtAtMs;
    const since = quote(new Date(readFromMs - lagMs).toISOString());
    const rows = await read(
      `${base} AND (StartTime >= ${since} OR CloseTime >= ${since} OR PulseChangedAt >= ${since})`,
    );
    for (const row of rows) byRun.set(row.runId, row);
    // A rebuild that landed meanwhile read some rows before this read's changes: its start stays the mark.
    if (builtAtMs === built) readFromMs = startedMs;
  }

  /** A sync begun after the call: one already going may have started before the caller's own write. */
  function fresh(): Promise<void> {
    if (!syncing) {
      syncing = sync().finally(() => (syncing = undefined));
      return syncing;
    }
    queued ??= syncing
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return fresh();
      });
    return queued;
  }

  return {
    async current() {
      await fresh();
      return [...byRun.values()];
    },
  };
}
