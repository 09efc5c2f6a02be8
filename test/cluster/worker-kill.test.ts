/**
 * A Pulse worker SIGKILLed while it runs a task: the run's heartbeat stops, Temporal retries the attempt on the
 * other worker, and the task ends with one execution and one callback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALLBACK_PATH,
  expectEachRanOnce,
  runAttempt,
  scheduleCall,
  startClusterFixture,
  workerByIdentity,
  workerIndex,
  type ClusterFixture,
} from './cluster-fixture.js';

describe('a worker killed mid-run', () => {
  let fixture: ClusterFixture;

  beforeAll(async () => {
    fixture = await startClusterFixture(2);
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  it('is retried on the other worker: one execution, one callback', async () => {
    const { cluster, receiver, client } = fixture;
    // The first attempt hangs until its worker dies; the retry is answered at once.
    receiver.respond('/slow', 200, { ok: true }, 240_000);
    const task = await scheduleCall(fixture, 'now', '/slow');
    await receiver.waitFor('/slow', 1, 90_000);
    const { runId, raw } = await client.workflow.getHandle(task.taskId).describe();
    const workerOf = workerByIdentity(cluster);
    const busy = workerOf(raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '');
    receiver.respond('/slow', 200, { ok: true });

    expect(await cluster.killWorker(workerIndex(busy))).toBe(true);
    // Noticed after the run's heartbeat timeout (10 s), retried after its backoff.
    await receiver.waitFor('/slow', 2, 120_000);
    await expectEachRanOnce(fixture, [task], {
      timeoutMs: 120_000,
      retriedTargets: new Set(['/slow']),
    });

    expect(receiver.at('/slow')).toHaveLength(2);
    expect(receiver.at(CALLBACK_PATH)).toHaveLength(1);
    const handle = client.workflow.getHandle(task.taskId);
    const done = await handle.describe();
    expect(done.status.name).toBe('COMPLETED');
    // The same workflow run throughout: the retry is an attempt, not a second execution.
    expect(done.runId).toBe(runId);
    const attempt = await runAttempt(client, task.taskId);
    expect(attempt?.attempt).toBe(2);
    const other = workerOf(attempt!.identity);
    expect(other).toMatch(/^pulse-worker-\d$/);
    expect(other).not.toBe(busy);
    const status = (await fetch(`${cluster.apiUrl}/tasks/${task.taskId}`).then((r) => r.json())) as {
      status: string;
    };
    expect(status.status).toBe('completed');
  });
});
