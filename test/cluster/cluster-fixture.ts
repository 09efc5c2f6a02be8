/**
 * What the cluster-only tests share: a cluster of their own (they break parts of it), a receiver for targets and
 * callbacks, scheduling through the cluster's API, and reading which worker ran what from workflow histories.
 */
import { Client, Connection } from '@temporalio/client';
import { expect } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver.js';
import { workerName } from '../../scripts/cluster/cluster.js';
import type { CallbackBody } from '../../src/shared/task-types.js';

export const CALLBACK_PATH = '/cb';

export interface ClusterFixture {
  readonly cluster: TestCluster;
  readonly receiver: Receiver;
  readonly client: Client;
  /** Stops everything; the cluster's logs are printed first when `failed`. */
  dispose(): Promise<void>;
}

export async function startClusterFixture(workers = 2): Promise<ClusterFixture> {
  const lines: string[] = [];
  const cluster = await startTestCluster({
    workers,
    env: { PULSE_API_KEY: '' },
    log: (line) => lines.push(line),
  }).catch((err: unknown) => {
    console.error(lines.join('\n'));
    throw err;
  });
  const receiver = await startReceiver();
  const connection = await Connection.connect({ address: cluster.address });
  const client = new Client({ connection, namespace: cluster.options.namespace });
  return {
    cluster,
    receiver,
    client,
    async dispose() {
      await connection.close().catch(() => undefined);
      await receiver.close();
      await cluster.dispose();
    },
  };
}

export interface ScheduledTask {
  readonly taskId: string;
  readonly dueMs: number;
  /** The receiver path its run calls. */
  readonly target: string;
}

/** `POST /tasks/schedule` on the cluster's API: an `http_request` to `target`, its callback to `/cb`. */
export async function scheduleCall(
  fixture: ClusterFixture,
  when: string,
  target: string,
): Promise<ScheduledTask> {
  const response = await fetch(`${fixture.cluster.apiUrl}/tasks/schedule`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      schedule_type: 'http_request',
      when,
      payload: { url: `${fixture.receiver.url}${target}`, method: 'POST' },
      callback_url: `${fixture.receiver.url}${CALLBACK_PATH}`,
    }),
  });
  const body = (await response.json()) as { task_id: string; next_execution: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return { taskId: body.task_id, dueMs: Date.parse(body.next_execution), target };
}

/** Runs `work` over `items`, at most `concurrency` at a time, results in order. */
export async function inParallel<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}

function callbacksOf(receiver: Receiver): Map<string, ReceivedRequest[]> {
  const byTask = new Map<string, ReceivedRequest[]>();
  for (const request of receiver.at(CALLBACK_PATH)) {
    const taskId = (request.json as CallbackBody).task_id;
    byTask.set(taskId, [...(byTask.get(taskId) ?? []), request]);
  }
  return byTask;
}

/**
 * Waits for one callback per task, then `settleMs` more for any second one, and checks: every task called back
 * exactly once, successfully, not before it was due, and its target called `targetCalls` times (exactly once
 * unless a test says a retried attempt is allowed).
 */
export async function expectEachRanOnce(
  fixture: ClusterFixture,
  tasks: readonly ScheduledTask[],
  options: { timeoutMs: number; settleMs?: number; retriedTargets?: ReadonlySet<string> },
): Promise<void> {
  const { receiver } = fixture;
  await receiver.waitFor(CALLBACK_PATH, tasks.length, options.timeoutMs).catch((err: unknown) => {
    const seen = callbacksOf(receiver);
    const missing = tasks.filter((task) => !seen.has(task.taskId)).map((task) => task.taskId);
    throw new Error(
      `${String(err)}; no callback yet for ${missing.length}: ${missing.slice(0, 5).join(', ')}`,
    );
  });
  await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 3000));
  const callbacks = callbacksOf(receiver);
  const ours = new Set(tasks.map((task) => task.taskId));
  expect(
    [...callbacks.keys()].filter((id) => !ours.has(id)),
    'callbacks of unknown tasks',
  ).toEqual([]);
  const twice = tasks.filter((task) => (callbacks.get(task.taskId)?.length ?? 0) > 1);
  const lost = tasks.filter((task) => !callbacks.has(task.taskId));
  expect({ twice: twice.length, lost: lost.length }).toEqual({ twice: 0, lost: 0 });
  for (const task of tasks) {
    const [callback] = callbacks.get(task.taskId)!;
    const body = callback!.json as CallbackBody;
    expect(body.status, `${task.taskId}: ${body.error ?? ''}`).toBe('success');
    expect(body.execution_id.startsWith(`${task.taskId}:`)).toBe(true);
    expect(callback!.receivedAt).toBeGreaterThanOrEqual(task.dueMs);
    const calls = receiver.at(task.target).length;
    if (options.retriedTargets?.has(task.target)) expect(calls).toBeGreaterThanOrEqual(1);
    else expect(calls, `${task.target} called`).toBe(1);
  }
}

/** Cluster worker name by the identity its SDK reports (`<pid>@<host>`). */
export function workerByIdentity(cluster: TestCluster): (identity: string) => string {
  const byPid = new Map<number, string>();
  for (const item of cluster.status())
    if (item.pid !== undefined && item.name.startsWith('pulse-worker-')) byPid.set(item.pid, item.name);
  return (identity) => byPid.get(Number(identity.split('@')[0])) ?? `unknown (${identity})`;
}

/** The cluster index of a worker named `pulse-worker-<i>`. */
export function workerIndex(name: string): number {
  const index = Number(name.split('-').at(-1));
  if (workerName(index) !== name) throw new Error(`not a cluster worker: ${name}`);
  return index;
}

/**
 * The identity and attempt of the worker whose attempt of the task's run the workflow's history records: the
 * first activity a one-time task starts (its callback, if separate, comes after it).
 */
export async function runAttempt(
  client: Client,
  taskId: string,
): Promise<{ identity: string; attempt: number } | undefined> {
  const history = await client.workflow.getHandle(taskId).fetchHistory();
  for (const event of history.events ?? []) {
    const started = event.activityTaskStartedEventAttributes;
    if (started) return { identity: started.identity ?? '', attempt: started.attempt ?? 0 };
  }
  return undefined;
}
