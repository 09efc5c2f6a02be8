/**
 * A tenant's `concurrent_runs` across workers, on the dev server: two run-slot sets (what two worker processes
 * hold) ask the same tenant's `tenantRunSlots` workflow, so a slot one holds is not the other's to take. Slots are
 * leases (a dead holder's slot frees itself), the line is first come, first served, and a run cancelled in line
 * leaves it at once, and one whose worker died in line loses its place.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { createRunSlots, runSlotsWorkflowId, type RunSlots } from '../src/tenants/run-slots.js';
import { acquireSlotUpdate, tenantRunSlots } from '../workflows/tenant-run-slots.js';
import { createInProcessWorker } from './helpers/pulse.js';
import { createDevServerEnv } from './helpers/temporal.js';
import { sleep } from './helpers/wait.js';

const taskQueue = `slots-${randomUUID().slice(0, 8)}`;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await createDevServerEnv();
  worker = await createInProcessWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    executors: createExecutorFactory({}),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

/** The run slots one worker process holds: its own instance, asking the same Temporal. */
function workerSlots(limit: number, lease = { leaseMs: 30_000, renewEveryMs: 10_000 }): RunSlots {
  return createRunSlots(
    () => limit,
    { client: () => env.client, taskQueue: () => taskQueue },
    undefined,
    lease,
  );
}

/** Settles to 'granted' with the release, or stays pending. */
function track(acquiring: Promise<() => void>) {
  const state: { release?: () => void; error?: unknown } = {};
  acquiring.then(
    (release) => (state.release = release),
    (error: unknown) => (state.error = error),
  );
  return state;
}

/** A run that is never cancelled. */
const notCancelled = new AbortController().signal;

describe.concurrent('concurrent_runs across workers', () => {
  it("a slot one worker holds is not another worker's to take; released, it passes to the first in line", async ({
    expect,
  }) => {
    const tenant = `t-${randomUUID().slice(0, 6)}`;
    const [first, second] = [workerSlots(1), workerSlots(1)];
    const held = await first.acquire(tenant, notCancelled);
    const waiting = track(second.acquire(tenant, notCancelled));
    await sleep(2500);
    expect(waiting.release).toBeUndefined();
    held();
    await expect.poll(() => waiting.release, { timeout: 5000 }).toBeDefined();
    waiting.release!();
  });

  it('a limit of 2 lets two workers run at once, and a third waits', async ({ expect }) => {
    const tenant = `t-${randomUUID().slice(0, 6)}`;
    const [a, b, c] = [workerSlots(2), workerSlots(2), workerSlots(2)];
    const ra = await a.acquire(tenant, notCancelled);
    const rb = await b.acquire(tenant, notCancelled);
    const third = track(c.acquire(tenant, notCancelled));
    await sleep(2000);
    expect(third.release).toBeUndefined();
    rb();
    await expect.poll(() => third.release, { timeout: 5000 }).toBeDefined();
    ra();
    third.release!();
  });

  it('the slot of a worker that died (stopped renewing) frees itself when its lease ends', async () => {
    const tenant = `t-${randomUUID().slice(0, 6)}`;
    // The first holder never renews and never releases: a worker killed mid-run.
    const dead = workerSlots(1, { leaseMs: 3000, renewEveryMs: 3_600_000 });
    // Timed from before the grant: its lease runs from the workflow's clock at the grant, which a loaded machine
    // can report to the asker a second or more later.
    const startedAt = Date.now();
    const stopDead = await dead.acquire(tenant, notCancelled);
    const next = await workerSlots(1).acquire(tenant, notCancelled);
    const waitedMs = Date.now() - startedAt;
    expect(waitedMs).toBeGreaterThanOrEqual(2900);
    expect(waitedMs).toBeLessThan(10_000);
    next();
    // Only to stop its (hour-long) renewal timer; its slot is long gone.
    stopDead();
  });

  it('a run cancelled in line leaves it at once: the one behind it gets the slot on release', async ({
    expect,
  }) => {
    const tenant = `t-${randomUUID().slice(0, 6)}`;
    const held = await workerSlots(1).acquire(tenant, notCancelled);
    const cancel = new AbortController();
    const cancelled = track(workerSlots(1).acquire(tenant, cancel.signal));
    await sleep(300);
    const behind = track(workerSlots(1).acquire(tenant, notCancelled));
    await sleep(1000);
    cancel.abort(new Error('cancelled'));
    await expect.poll(() => cancelled.error, { timeout: 5000 }).toBeDefined();
    held();
    // Had the cancelled run kept its place, the one behind would wait until it lost its place (15.5 s).
    await expect.poll(() => behind.release, { timeout: 4000 }).toBeDefined();
    behind.release!();
  });

  it('a run in line whose worker died (it stops asking) loses its place, and the line moves on', async ({
    expect,
  }) => {
    const tenant = `t-${randomUUID().slice(0, 6)}`;
    const held = await workerSlots(1).acquire(tenant, notCancelled);
    // Asks once, as a run would, then its worker dies: it never asks again.
    const answer = await env.client.workflow.executeUpdateWithStart(acquireSlotUpdate, {
      args: [{ holder: 'dead-in-line', limit: 1, leaseMs: 30_000 }],
      startWorkflowOperation: new WithStartWorkflowOperation(tenantRunSlots, {
        workflowId: runSlotsWorkflowId(tenant),
        taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [],
      }),
    });
    expect(answer).toEqual({ granted: false, place: 0, askAgainInMs: 500 });
    const askedAt = Date.now();
    const behind = track(workerSlots(1).acquire(tenant, notCancelled));
    held();
    // Its place is kept for the interval it was told and 15 s more; then the run behind it gets the slot.
    await expect.poll(() => behind.release, { timeout: 25_000 }).toBeDefined();
    expect(Date.now() - askedAt).toBeGreaterThanOrEqual(14_000);
    behind.release!();
  });

  it('a renewal that arrives after the release does not take the slot back', async () => {
    const tenant = `t-${randomUUID().slice(0, 6)}`;
    const release = await workerSlots(1).acquire(tenant, notCancelled);
    release();
    // The run's renewal, delayed in the network past its release: the slots workflow sees it last.
    await sleep(500);
    const late = await env.client.workflow
      .getHandle(runSlotsWorkflowId(tenant))
      .executeUpdate(acquireSlotUpdate, {
        args: [{ holder: 'released-run', limit: 1, leaseMs: 30_000, renew: true }],
      });
    expect(late).toEqual({ granted: false, lost: true });
    const startedAt = Date.now();
    const next = await workerSlots(1).acquire(tenant, notCancelled);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    next();
  });

  it('the slots workflow is one per tenant and lists what it hands out', async () => {
    const tenant = `t-${randomUUID().slice(0, 6)}`;
    const release = await workerSlots(3).acquire(tenant, notCancelled);
    const described = await env.client.workflow.getHandle(runSlotsWorkflowId(tenant)).describe();
    expect(described.type).toBe('tenantRunSlots');
    expect(described.status.name).toBe('RUNNING');
    // The Web UI tells it apart from the task runs, as it does every workflow Pulse starts.
    expect(await described.staticSummary()).toBe(`concurrent runs of tenant ${tenant} (at most 3)`);
    expect(await described.staticDetails()).toContain('`concurrent_runs`');
    release();
  });
});
