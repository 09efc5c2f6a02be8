/**
 * The Pulse API process stopped and started again, as a deploy does: tasks accepted before still run, the task
 * reads the same through the new process, and requests after it are served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectEachRanOnce,
  inParallel,
  scheduleCall,
  startClusterFixture,
  type ClusterFixture,
} from './cluster-fixture.js';

const BEFORE = 10;
const AFTER = 10;

describe('the API restarted', () => {
  let fixture: ClusterFixture;

  beforeAll(async () => {
    fixture = await startClusterFixture(2);
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  it('loses nothing accepted before, and serves requests after', async () => {
    const { cluster } = fixture;
    const due = new Date(Date.now() + 45_000).toISOString();
    const before = await inParallel(
      Array.from({ length: BEFORE }, (_, i) => i),
      5,
      (i) => scheduleCall(fixture, due, `/before-${i}`),
    );

    await cluster.restartApi();
    expect(Date.now(), 'the restart must happen while the tasks sleep').toBeLessThan(Date.parse(due));

    const read = await inParallel(before, 5, async (task) => {
      const response = await fetch(`${cluster.apiUrl}/tasks/${task.taskId}`);
      return { status: response.status, body: (await response.json()) as { status: string } };
    });
    for (const { status, body } of read) {
      expect(status).toBe(200);
      expect(body.status).toBe('active');
    }
    const after = await inParallel(
      Array.from({ length: AFTER }, (_, i) => i),
      5,
      (i) => scheduleCall(fixture, 'now', `/after-${i}`),
    );
    await expectEachRanOnce(fixture, [...before, ...after], { timeoutMs: 180_000 });
    const health = (await fetch(`${cluster.apiUrl}/health`).then((r) => r.json())) as { status: string };
    expect(health.status).toBe('ok');
  });
});
