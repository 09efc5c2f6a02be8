/**
 * The Temporal server SIGKILLed, as a crash or the OOM killer would, while tasks sleep and runs are in flight, then
 * started again on the same database: every task fires once, none twice, none is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectEachRanOnce,
  inParallel,
  scheduleCall,
  startClusterFixture,
  type ClusterFixture,
} from './cluster-fixture.js';

const SLEEPING = 30;
const IN_FLIGHT = 4;
/** How long an in-flight run's target takes to answer: longer than the server is down. */
const TARGET_DELAY_MS = 25_000;
/** Pulse's run heartbeat timeout: a server down longer may time the attempt out and retry it (at-least-once). */
const HEARTBEAT_TIMEOUT_MS = 10_000;

describe('the Temporal server killed and restarted', () => {
  let fixture: ClusterFixture;

  beforeAll(async () => {
    fixture = await startClusterFixture(2);
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  it('with tasks sleeping and runs in flight: every task fires exactly once', async () => {
    const { cluster, receiver } = fixture;
    const firstDue = Date.now() + 50_000;
    const sleeping = await inParallel(
      Array.from({ length: SLEEPING }, (_, i) => i),
      5,
      (i) => scheduleCall(fixture, new Date(firstDue + i * 300).toISOString(), `/sleeping-${i}`),
    );
    const inFlight = await inParallel(
      Array.from({ length: IN_FLIGHT }, (_, i) => i),
      IN_FLIGHT,
      (i) => {
        receiver.respond(`/in-flight-${i}`, 200, { ok: true }, TARGET_DELAY_MS);
        return scheduleCall(fixture, 'now', `/in-flight-${i}`);
      },
    );
    await Promise.all(inFlight.map((task) => receiver.waitFor(task.target, 1, 90_000)));
    expect(Date.now(), 'the sleeping tasks must still sleep when the server dies').toBeLessThan(firstDue);

    const killedAt = Date.now();
    expect(await cluster.killServer()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await cluster.startServer();
    const downMs = Date.now() - killedAt;
    console.log(`[server-kill] server down for ${(downMs / 1000).toFixed(1)} s`);
    // Answered from now on at once, should an attempt have been retried.
    for (const task of inFlight) receiver.respond(task.target, 200, { ok: true });

    await expectEachRanOnce(fixture, [...sleeping, ...inFlight], {
      timeoutMs: 240_000,
      settleMs: 5000,
      // Down for longer than the heartbeat timeout, an in-flight attempt may rightly be timed out and run again
      // (at-least-once); its task still ends with one callback.
      ...(downMs >= HEARTBEAT_TIMEOUT_MS ? { retriedTargets: new Set(inFlight.map((t) => t.target)) } : {}),
    });
    const tasks = [...sleeping, ...inFlight];
    const statuses = await inParallel(tasks, 5, async (task) => {
      const described = await fixture.client.workflow.getHandle(task.taskId).describe();
      return described.status.name;
    });
    expect(new Set(statuses)).toEqual(new Set(['COMPLETED']));
  });
});
