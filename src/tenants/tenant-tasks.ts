/** What tenancy adds to a task: the tenant's stamp on a new task, and a count of a tenant's active tasks. */
import type { Client } from '@temporalio/client';
import { PulseTenant } from '../shared/search-attributes.js';
import type { BuiltTask } from '../tasks/build-task.js';
import { quote, scheduledTasksOn } from '../tasks/visibility-query.js';

/**
 * A task stamped with its tenant: in its memo (what ownership is checked against when it is read) and as the
 * `PulseTenant` search attribute (what listings, polls and the ledger filter on), on the workflow or on the
 * schedule and every run it starts. The tenant rides in the workflow input too, for the worker's per-tenant
 * signing secret and fairness key.
 */
export function ofTenant(built: BuiltTask, tenant: string, weight?: number): BuiltTask {
  return {
    ...built,
    // Temporal's fairness: the matching service dispatches each tenant's tasks in turn (by weight), so one
    // tenant's burst does not queue the others behind it. The run's activities inherit it from its workflow.
    priority: { fairnessKey: tenant, ...(weight !== undefined ? { fairnessWeight: weight } : {}) },
    input: { ...built.input, tenant },
    memo: { ...built.memo, tenant },
    searchAttributes: [
      ...built.searchAttributes.filter((p) => p.key.name !== PulseTenant.name),
      { key: PulseTenant, value: tenant },
    ],
  };
}

/** A tenant's active tasks: one-time and adaptive workflows still open, and schedules not cancelled. */
export async function countActive(client: Client, taskQueue: string, tenant: string): Promise<number> {
  const clauses = [
    ...scheduledTasksOn(taskQueue),
    `PulseTenant = ${quote(tenant)}`,
    `ExecutionStatus = 'Running'`,
    'TemporalScheduledById IS NULL',
    'PulseTaskId IS NULL',
  ];
  const { count: once } = await client.workflow.count(clauses.join(' AND '));
  let schedules = 0;
  // A cancelled schedule is kept (paused, for its record) with PulseStatus 'cancelled'.
  const query = `PulseTenant = ${quote(tenant)} AND PulseStatus != 'cancelled'`;
  for await (const _summary of client.schedule.list({ query, pageSize: 1000 })) schedules++;
  return once + schedules;
}
