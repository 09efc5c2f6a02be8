/**
 * Runs handed out ahead (tenants, `PULSE_RUN_LEAD`) on a real Temporal dev server, with a real receiver: the run's
 * activity is scheduled before the due time and waits in the worker, the target is called at the due time and not
 * before, and every change made while the run waits (cancel, pause, reschedule, amend) withdraws it: the old run
 * never calls its target, and the task does what the change said, once.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../src/tenants/tenant-registry.js';
import { startPulse, type PulseUnderTest } from './helpers/pulse.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createDevServerEnv } from './helpers/temporal.js';
import { sleep, until } from './helpers/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const KEY = 'pulse_ahead-tenant-key-0123456789';
const LEAD_MS = 2500;
/** The dev server fires a timer up to about a second late; the run's own wait is the worker's clock. */
const ON_TIME_MS = 400;

const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-ahead-'));
const file = path.join(dir, 'tenants.json');

let env: TestWorkflowEnvironment;
let receiver: Receiver;
let pulse: PulseUnderTest;

const auth = { authorization: `Bearer ${KEY}` };

beforeAll(async () => {
  writeFileSync(file, JSON.stringify({ tenants: [{ id: 'acme', keys: [hashKey(KEY)] }] }));
  [env, receiver] = await Promise.all([createDevServerEnv(), startReceiver()]);
  pulse = await startPulse(env, { tenantsFile: file, runLeadMs: LEAD_MS });
});

afterAll(async () => {
  await pulse?.stop();
  await receiver?.close();
  await env?.teardown();
});

/** A one-time task of the tenant, due `inMs` from now, calling the receiver at `/<name>`. */
async function scheduleIn(name: string, inMs: number) {
  // Whole seconds: the time as the task keeps it.
  const dueAtMs = Math.ceil((Date.now() + inMs) / 1000) * 1000;
  const response = await pulse.call(
    'POST',
    '/tasks/schedule',
    {
      schedule_type: 'http_request',
      when: new Date(dueAtMs).toISOString(),
      payload: { url: `${receiver.url}/${name}`, method: 'POST' },
    },
    auth,
  );
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return { id: response.body.task_id as string, dueAtMs };
}

const calls = (name: string) => receiver.requests.filter((r) => r.path === `/${name}`);

/** Event types of the task's workflow history, with their times. */
async function events(id: string): Promise<Array<{ type: string; atMs: number }>> {
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  return (history.events ?? []).map((event) => ({
    type: String(event.eventType),
    atMs: Number(event.eventTime?.seconds ?? 0) * 1000 + Math.round((event.eventTime?.nanos ?? 0) / 1e6),
  }));
}

const ACTIVITY_SCHEDULED = '10';

/** Waits until the task's run has been handed out (its activity scheduled), before the due time. */
async function handedOut(id: string, dueAtMs: number): Promise<void> {
  const scheduled = await until(
    'the run handed out ahead',
    async () => (await events(id)).find((event) => event.type === ACTIVITY_SCHEDULED),
    { timeoutMs: 15_000, everyMs: 100 },
  );
  expect(scheduled.atMs).toBeLessThan(dueAtMs - 500);
}

async function task(id: string): Promise<Json> {
  const response = await pulse.call('GET', `/tasks/${id}`, undefined, auth);
  expect(response.status).toBe(200);
  return response.body;
}

// The cases wait on the clock, not the CPU, and touch separate tasks and paths: they run at the same time.
describe.concurrent('a run handed out ahead of its due time', () => {
  it('is handed to the worker before its due time and calls its target at the due time, not before', async () => {
    const { id, dueAtMs } = await scheduleIn('on-time', LEAD_MS + 2000);
    await handedOut(id, dueAtMs);
    const [call] = await until('the call', async () => calls('on-time')[0] && calls('on-time'), {
      timeoutMs: 15_000,
      everyMs: 50,
    });
    expect(call!.receivedAt).toBeGreaterThanOrEqual(dueAtMs);
    expect(call!.receivedAt - dueAtMs).toBeLessThan(ON_TIME_MS);
    const done = await until('the task completed', async () => {
      const body = await task(id);
      return body.status === 'completed' ? body : undefined;
    });
    expect(done.runs).toHaveLength(1);
    // The run started at its due time, not when it was handed out.
    expect(done.runs[0].executed_at * 1000).toBeGreaterThanOrEqual(Math.floor(dueAtMs / 1000) * 1000);
    expect(calls('on-time')).toHaveLength(1);
  });

  it('keeps its whole run timeout after the due time, however short', async () => {
    const dueAtMs = Math.ceil((Date.now() + LEAD_MS + 2000) / 1000) * 1000;
    const response = await pulse.call(
      'POST',
      '/tasks/schedule',
      {
        schedule_type: 'http_request',
        when: new Date(dueAtMs).toISOString(),
        payload: { url: `${receiver.url}/short-timeout`, method: 'POST' },
        // Shorter than the lead: were the hold counted in it, the attempt would time out before the due time.
        retry: { timeout: '1s', max_attempts: 1 },
      },
      auth,
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const id = response.body.task_id as string;
    await handedOut(id, dueAtMs);
    const done = await until('the task ended', async () => {
      const body = await task(id);
      return ['completed', 'failed'].includes(body.status) ? body : undefined;
    });
    expect(done.status, JSON.stringify(done.runs)).toBe('completed');
    expect(calls('short-timeout')).toHaveLength(1);
    expect(calls('short-timeout')[0]!.receivedAt).toBeGreaterThanOrEqual(dueAtMs);
  });

  it('is withdrawn by a cancel: the target is never called, the cancel answers at once, no run is recorded', async () => {
    const { id, dueAtMs } = await scheduleIn('cancelled', LEAD_MS + 2000);
    await handedOut(id, dueAtMs);
    const started = Date.now();
    const response = await pulse.call('DELETE', `/tasks/${id}`, undefined, auth);
    expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
    // The task ends without waiting for the worker to let the run go (at the due time).
    expect(Date.now() - started).toBeLessThan(dueAtMs - started);
    await sleep(Math.max(0, dueAtMs - Date.now()) + 1500);
    expect(calls('cancelled')).toHaveLength(0);
    const body = await task(id);
    expect(body.status).toBe('cancelled');
    expect(body.runs ?? []).toHaveLength(0);
  });

  it('is withdrawn by a pause, and a resume after the due time runs the task once, at once', async () => {
    const { id, dueAtMs } = await scheduleIn('paused', LEAD_MS + 2000);
    await handedOut(id, dueAtMs);
    const paused = await pulse.call('PATCH', `/tasks/${id}`, { status: 'paused' }, auth);
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    await sleep(Math.max(0, dueAtMs - Date.now()) + 1500);
    expect(calls('paused')).toHaveLength(0);
    expect((await task(id)).status).toBe('paused');
    const resumedAt = Date.now();
    const resumed = await pulse.call('PATCH', `/tasks/${id}`, { status: 'active' }, auth);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    await until('the run after the resume', async () => calls('paused')[0], {
      timeoutMs: 15_000,
      everyMs: 50,
    });
    expect(calls('paused')[0]!.receivedAt).toBeGreaterThanOrEqual(resumedAt);
    await until('the task completed', async () =>
      (await task(id)).status === 'completed' ? true : undefined,
    );
    expect(calls('paused')).toHaveLength(1);
  });

  it('is withdrawn by a reschedule: the task runs once, at its new time', async () => {
    const { id, dueAtMs } = await scheduleIn('rescheduled', LEAD_MS + 2000);
    await handedOut(id, dueAtMs);
    const newDueAtMs = dueAtMs + 3000;
    const moved = await pulse.call(
      'PATCH',
      `/tasks/${id}`,
      { when: new Date(newDueAtMs).toISOString() },
      auth,
    );
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const [call] = await until('the call', async () => calls('rescheduled')[0] && calls('rescheduled'), {
      timeoutMs: 20_000,
      everyMs: 50,
    });
    expect(call!.receivedAt).toBeGreaterThanOrEqual(newDueAtMs);
    await until('the task completed', async () =>
      (await task(id)).status === 'completed' ? true : undefined,
    );
    await sleep(500);
    expect(calls('rescheduled')).toHaveLength(1);
    expect((await task(id)).runs).toHaveLength(1);
  });

  it('is withdrawn by a trigger: the task runs once, at once, with the input the trigger gave', async () => {
    const { id, dueAtMs } = await scheduleIn('trigger-old', LEAD_MS + 2000);
    await handedOut(id, dueAtMs);
    const triggeredAt = Date.now();
    const triggered = await pulse.call(
      'POST',
      `/tasks/${id}/trigger`,
      { payload: { url: `${receiver.url}/trigger-new`, method: 'POST' } },
      auth,
    );
    expect(triggered.status, JSON.stringify(triggered.body)).toBeLessThan(300);
    const [call] = await until(
      'the triggered call',
      async () => calls('trigger-new')[0] && calls('trigger-new'),
      {
        timeoutMs: 15_000,
        everyMs: 50,
      },
    );
    expect(call!.receivedAt).toBeGreaterThanOrEqual(triggeredAt);
    expect(call!.receivedAt).toBeLessThan(dueAtMs);
    await sleep(Math.max(0, dueAtMs - Date.now()) + 1000);
    expect(calls('trigger-old')).toHaveLength(0);
    expect(calls('trigger-new')).toHaveLength(1);
  });

  it('is withdrawn by an amend: the run calls the new target, the old one never', async () => {
    const { id, dueAtMs } = await scheduleIn('amend-old', LEAD_MS + 2000);
    await handedOut(id, dueAtMs);
    const amended = await pulse.call(
      'PATCH',
      `/tasks/${id}`,
      { payload: { url: `${receiver.url}/amend-new`, method: 'POST' } },
      auth,
    );
    expect(amended.status, JSON.stringify(amended.body)).toBe(200);
    const [call] = await until('the new call', async () => calls('amend-new')[0] && calls('amend-new'), {
      timeoutMs: 15_000,
      everyMs: 50,
    });
    expect(call!.receivedAt).toBeGreaterThanOrEqual(dueAtMs);
    await sleep(1000);
    expect(calls('amend-old')).toHaveLength(0);
    expect(calls('amend-new')).toHaveLength(1);
  });

  it('survives its worker shutting down while it holds the run: called once, at the due time', async () => {
    const queue = `pulse-ahead-${Date.now()}`;
    const first = await startPulse(env, { tenantsFile: file, runLeadMs: LEAD_MS }, queue);
    let second: PulseUnderTest | undefined;
    try {
      const dueAtMs = Math.ceil((Date.now() + LEAD_MS + 2000) / 1000) * 1000;
      const response = await first.call(
        'POST',
        '/tasks/schedule',
        {
          schedule_type: 'http_request',
          when: new Date(dueAtMs).toISOString(),
          payload: { url: `${receiver.url}/handed-over`, method: 'POST' },
        },
        auth,
      );
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      const id = response.body.task_id as string;
      await handedOut(id, dueAtMs);
      // The worker holding the run shuts down (a deploy) and another starts. The SDK lets the held run finish
      // before the worker stops (a retry before the due time would wait for it too, `holdUntilDue`).
      first.worker.shutdown();
      second = await startPulse(env, { tenantsFile: file, runLeadMs: LEAD_MS }, queue);
      const [call] = await until('the call', async () => calls('handed-over')[0] && calls('handed-over'), {
        timeoutMs: 20_000,
        everyMs: 50,
      });
      expect(call!.receivedAt).toBeGreaterThanOrEqual(dueAtMs);
      const attempts = (await events(id)).filter((event) => event.type === ACTIVITY_SCHEDULED);
      expect(attempts).toHaveLength(1);
      await sleep(500);
      expect(calls('handed-over')).toHaveLength(1);
    } finally {
      await first.stop().catch(() => undefined);
      await second?.stop();
    }
  });
});
