/**
 * External workers (CONTRACT.md): generic tasks without a `webhook_url` are run by the user's own workers. Polling
 * is a visibility query; claiming and acking are workflow updates, so Temporal serialises concurrent claimers
 * (exactly one wins), the workflow holds the lease (a dead worker's lease runs out and the task is claimable
 * again), and an ack from anyone but the holder is refused. No side table.
 */
import type { Client } from '@temporalio/client';
import type { PolledTask } from '../api/schemas.js';
import { ConflictError } from '../errors.js';
import { DEFAULT_MAX_RESULT_BYTES, boundResult } from '../executors/bound-result.js';
import { EXTERNAL_EXECUTOR } from '../shared/executor-names.js';
import {
  PulseDueAt,
  TemporalScheduledById,
  TemporalScheduledStartTime,
} from '../shared/search-attributes.js';
import { ackUpdate, claimUpdate } from '../shared/task-messages.js';
import { ifExists, onTemporal, translateTemporalError } from '../temporal/temporal-errors.js';
import type { TaskMemo } from './task-view.js';
import { tenantClause } from '../tenants/tenant-scope.js';
import { quote, scheduledTasksOn } from './visibility-query.js';

export interface ExternalWorkerDeps {
  readonly client: Client;
  readonly taskQueue: string;
  readonly now: () => Date;
  /** Default lease of a claim. */
  readonly leaseMs?: number;
  /** `PULSE_MAX_RESULT_BYTES`: largest result an ack may store. */
  readonly maxResultBytes?: number;
}

/** A won claim (`POST /tasks/{id}/claim`). */
export interface Claim {
  status: 'claimed';
  execution_id: string;
  lease_expires_at: string;
}

export interface AckBody {
  worker_id: string;
  status: 'success' | 'failed';
  /** Absent: the claim the worker holds now (CONTRACT.md). */
  execution_id?: string | undefined;
  execution_time_ms?: number | undefined;
  error?: string | undefined;
  result?: unknown;
}

const DEFAULT_LEASE_MS = 60_000;
/** How soon a worker that found nothing should poll again. */
const POLL_AGAIN_MS = 1000;

export function createExternalWorkers(deps: ExternalWorkerDeps) {
  const { client } = deps;

  async function update<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      // A closed workflow cannot take updates: the task already ran or was cancelled. Only a task that was never
      // there is a 404.
      const description = await ifExists(taskId, () => client.workflow.getHandle(taskId).describe());
      if (description && description.status.name !== 'RUNNING') {
        throw new ConflictError('INVALID_STATE', `task ${taskId} has already finished`);
      }
      throw translateTemporalError(err, taskId);
    }
  }

  /**
   * For a run of a recurring task, the schedule's next run. The ack is already recorded when this is asked, so a
   * read that fails (the run or its schedule gone, Temporal briefly unreachable) leaves it unknown, not the ack.
   */
  async function nextOfSchedule(taskId: string): Promise<string | null> {
    try {
      const description = await client.workflow.getHandle(taskId).describe();
      const owner = description.typedSearchAttributes.get(TemporalScheduledById);
      if (!owner) return null;
      const schedule = await client.schedule.getHandle(owner).describe();
      return schedule.info.nextActionTimes[0]?.toISOString() ?? null;
    } catch {
      return null;
    }
  }

  return {
    /** Due, unclaimed external-worker tasks of the given types, oldest due first. */
    async poll(
      types: readonly string[],
      limit: number,
    ): Promise<{ tasks: PolledTask[]; next_poll_at: string }> {
      const now = deps.now();
      const at = quote(now.toISOString());
      const clauses = [
        ...scheduledTasksOn(deps.taskQueue),
        `ExecutionStatus = 'Running'`,
        `PulseExecutor = ${quote(EXTERNAL_EXECUTOR)}`,
        // Due and unclaimed, or claimed by a worker whose lease has run out. A run a Schedule started carries no
        // PulseDueAt: Temporal's own TemporalScheduledStartTime is its due time, so it costs the run no write.
        `((PulseStatus = 'active' AND (PulseDueAt <= ${at} OR ` +
          `(PulseDueAt IS NULL AND TemporalScheduledStartTime <= ${at}))) OR ` +
          `(PulseStatus = 'processing' AND PulseLeaseExpiresAt <= ${at}))`,
        ...tenantClause(),
      ];
      if (types.length > 0) clauses.push(`PulseScheduleType IN (${types.map(quote).join(', ')})`);
      const tasks: PolledTask[] = [];
      await onTemporal(undefined, async () => {
        for await (const info of client.workflow.list({
          query: clauses.join(' AND '),
          pageSize: Math.min(limit, 1000),
        })) {
          const memo = (info.memo ?? {}) as Partial<TaskMemo>;
          const owner = info.typedSearchAttributes.get(TemporalScheduledById);
          const due =
            info.typedSearchAttributes.get(PulseDueAt) ??
            info.typedSearchAttributes.get(TemporalScheduledStartTime);
          tasks.push({
            task_id: info.workflowId,
            schedule_type: memo.schedule_type ?? 'unknown',
            payload: memo.payload ?? {},
            scheduled_for: (due ?? info.startTime).toISOString(),
            metadata: { ...(memo.metadata ?? {}), ...(owner ? { recurring_task_id: owner } : {}) },
          });
          if (tasks.length >= limit) break;
        }
      });
      tasks.sort((a, b) => a.scheduled_for.localeCompare(b.scheduled_for));
      return { tasks, next_poll_at: new Date(now.getTime() + POLL_AGAIN_MS).toISOString() };
    },

    async claim(taskId: string, workerId: string, leaseMs?: number): Promise<Claim> {
      const handle = client.workflow.getHandle(taskId);
      const claimed = await update(taskId, () =>
        handle.executeUpdate(claimUpdate, {
          args: [{ workerId, leaseMs: leaseMs ?? deps.leaseMs ?? DEFAULT_LEASE_MS }],
        }),
      );
      if (!claimed.claimed) throw new ConflictError('NOT_CLAIMABLE', claimed.reason);
      return {
        status: 'claimed',
        execution_id: claimed.executionId,
        lease_expires_at: new Date(claimed.leaseExpiresAtMs).toISOString(),
      };
    },

    async ack(taskId: string, body: AckBody): Promise<{ next_execution: string | null }> {
      const handle = client.workflow.getHandle(taskId);
      const outcome = await update(taskId, () =>
        handle.executeUpdate(ackUpdate, {
          args: [
            {
              workerId: body.worker_id,
              // Absent: the execution this worker holds, as the workflow knows it (the ack stays fenced there).
              ...(body.execution_id != null ? { executionId: body.execution_id } : {}),
              status: body.status,
              // Bounded like an executor's output: an ack may carry up to the body limit.
              ...(body.result !== undefined
                ? { result: boundResult(body.result, deps.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES) }
                : {}),
              ...(body.error !== undefined ? { error: body.error.slice(0, 4000) } : {}),
              ...(body.execution_time_ms !== undefined ? { executionTimeMs: body.execution_time_ms } : {}),
            },
          ],
        }),
      );
      if (!outcome.accepted) throw new ConflictError('NOT_CLAIM_HOLDER', outcome.reason);
      return { next_execution: await nextOfSchedule(taskId) };
    },
  };
}
