import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { temporal } = proto;

export interface HealthDeps {
  readonly client: Client;
  readonly namespace: string;
  readonly taskQueue: string;
}

export interface Health {
  status: 'ok' | 'degraded';
  api: 'ok';
  temporal: { reachable: boolean; namespace: string; error?: string };
  worker: { polling: boolean; pollers: number; task_queue: string };
}

const HEALTH_DEADLINE_MS = 3000;
/** A polling worker renews its long-poll at least every ~60 s. */
const LIVE_POLLER_MS = 75_000;

/** "API up" vs "Temporal reachable" vs "a worker polls the task queue", each reported separately. */
export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const health: Health = {
    status: 'degraded',
    api: 'ok',
    temporal: { reachable: false, namespace: deps.namespace },
    worker: { polling: false, pollers: 0, task_queue: deps.taskQueue },
  };
  try {
    const { enums } = temporal.api;
    const workflowTasks = enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW;
    // The enhanced mode asks every partition of the queue for its pollers; the legacy one reports the root
    // partition's only, and a busy worker's polls are answered where they land, so the root may never see them.
    const queue = await deps.client.connection.withDeadline(Date.now() + HEALTH_DEADLINE_MS, () =>
      deps.client.workflowService.describeTaskQueue({
        namespace: deps.namespace,
        taskQueue: { name: deps.taskQueue, kind: enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        apiMode: enums.v1.DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED,
        taskQueueTypes: [workflowTasks],
        reportPollers: true,
      }),
    );
    health.temporal.reachable = true;
    const pollers = Object.values(queue.versionsInfo ?? {}).flatMap(
      (version) => version.typesInfo?.[workflowTasks]?.pollers ?? [],
    );
    // The server remembers pollers for minutes after they are gone; only a recent long-poll proves a live worker.
    const recent = Date.now() - LIVE_POLLER_MS;
    health.worker.pollers = pollers.filter((poller) => {
      const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
      return seconds * 1000 >= recent;
    }).length;
    health.worker.polling = health.worker.pollers > 0;
  } catch (err) {
    health.temporal.error = err instanceof Error ? err.message : String(err);
  }
  health.status = health.temporal.reachable && health.worker.polling ? 'ok' : 'degraded';
  return health;
}
