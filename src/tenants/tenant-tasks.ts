/**
 * What tenancy adds to a task: the tenant's stamp on a new task, a count of a tenant's active tasks, and the
 * worker settings under which Temporal's fairness decides the order of runs.
 */
import type { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { DEFAULT_RUN_LEAD_MS } from '../config.js';
import { PulseTenant } from '../shared/search-attributes.js';
import type { BuiltTask } from '../tasks/build-task.js';
import { quote, scheduledTasksOn } from '../tasks/visibility-query.js';
import type { CountActive } from './active-task-gate.js';

/**
 * A task stamped with its tenant: in its memo (what ownership is checked against when it is read) and as the
 * `PulseTenant` search attribute (what listings, polls and the ledger filter on), on the workflow or on the
 * schedule and every run it starts. The tenant rides in the workflow input too, for the worker's per-tenant
 * signing secret and fairness key.
 */
export function ofTenant(
  built: BuiltTask,
  tenant: string,
  { weight, runLeadMs = DEFAULT_RUN_LEAD_MS }: { weight?: number; runLeadMs?: number } = {},
): BuiltTask {
  return {
    ...built,
    // Temporal's fairness: the matching service dispatches each tenant's tasks in turn (by weight), so one
    // tenant's burst does not queue the others behind it. The run's activities inherit it from its workflow.
    priority: { fairnessKey: tenant, ...(weight !== undefined ? { fairnessWeight: weight } : {}) },
    // The run is handed to a worker ahead of its due time and waits there (`workflows/run-ahead.ts`): Temporal's
    // work to start it is done before a burst's due time, in the order fairness gives.
    input: { ...built.input, tenant, ...(runLeadMs > 0 ? { runLeadMs } : {}) },
    memo: { ...built.memo, tenant },
    searchAttributes: [
      ...built.searchAttributes.filter((p) => p.key.name !== PulseTenant.name),
      { key: PulseTenant, value: tenant },
    ],
  };
}

/**
 * A worker's settings with tenants, so the order of runs is decided where fairness applies, in the server's
 * shared queue:
 * - no workflow cache: a cached workflow's tasks go to the worker's own sticky queue, which fairness does not reach;
 * - two workflow tasks at a time: the SDK runs workflow code on one thread anyway, and every task a worker has
 *   taken waits in its own first-come queue, whatever its tenant. With the default (40) a burst filled it and
 *   another tenant's run waited behind 40 of them; with two, taking fewer did not slow the burst's drain either.
 * Measured in BENCHMARKS.md (tenant fairness).
 */
export const FAIR_WORKER_OPTIONS = {
  maxCachedWorkflows: 0,
  maxConcurrentWorkflowTaskExecutions: 2,
  maxConcurrentWorkflowTaskPolls: 2,
} as const satisfies Partial<WorkerOptions>;

/**
 * A tenant's active tasks, as visibility shows them: one-time and adaptive workflows still open, and schedules not
 * cancelled; and which of `recent` (tasks just made, `active-task-gate.ts`) it shows already, in any state.
 */
export const countActive =
  (client: Client, taskQueue: string): CountActive =>
  async (tenant, recent) => {
    const clauses = [
      ...scheduledTasksOn(taskQueue),
      `PulseTenant = ${quote(tenant)}`,
      'TemporalScheduledById IS NULL',
      'PulseTaskId IS NULL',
    ];
    const shown = new Set<string>();
    let recentRunning = 0;
    const ids = recent.map(quote).join(', ');
    if (recent.length > 0) {
      // A one-time task made a moment ago may be shown already closed (a task due now runs at once).
      const made = `WorkflowId IN (${ids})`;
      for await (const execution of client.workflow.list({ query: [...clauses, made].join(' AND ') })) {
        shown.add(execution.workflowId);
        if (execution.status.name === 'RUNNING') recentRunning++;
      }
    }
    // The recent tasks are judged once, above; the count leaves them out. Counting them in both (a record landing
    // between the two reads) said "2 active tasks" of a tenant with one (seen in CI); counting the others first and
    // looking the recent ones up after let a second request at once past a limit of one (also seen in CI).
    const notRecent = recent.length > 0 ? [`WorkflowId NOT IN (${ids})`] : [];
    const { count: others } = await client.workflow.count(
      [...clauses, ...notRecent, `ExecutionStatus = 'Running'`].join(' AND '),
    );
    const once = others + recentRunning;
    let schedules = 0;
    // A cancelled schedule is kept (paused, for its record) with PulseStatus 'cancelled'.
    const query = `PulseTenant = ${quote(tenant)} AND PulseStatus != 'cancelled'`;
    for await (const summary of client.schedule.list({ query, pageSize: 1000 })) {
      schedules++;
      shown.add(summary.scheduleId);
    }
    return { active: once + schedules, shown };
  };
