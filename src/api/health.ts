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
    const queue = await deps.client.connection.withDeadline(Date.now() + HEALTH_DEADLINE_MS, () =>
      deps.client.workflowService.describeTaskQueue({
        namespace: deps.namespace,
        taskQueue: { name: deps.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      }),
    );
    health.temporal.reachable = true;
    // The server remembers pollers for minutes after they are gone; only a recent long-poll proves a live worker.
    const recent = Date.now() - LIVE_POLLER_MS;
    health.worker.pollers = (queue.pollers ?? []).filter((poller) => {
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
