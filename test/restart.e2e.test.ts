/**
 * The whole service as `npm start` runs it (embedded dev server persisting to SQLite, worker, API), stopped while a
 * task sleeps and started again with the same command: the task still runs, exactly once. Stopped with SIGINT and
 * with a SIGKILL of its process group. restart-orphans.e2e covers what a hard kill can leave behind.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDevServerRecord } from '../src/temporal/dev-server-pidfile.js';
import { sameProcess } from '../src/temporal/process-stamp.js';
import { portIsOpen, restartHarness, waitUntil } from './helpers/restart-harness.js';
import {
  killServiceGroup,
  runServiceToExit,
  serviceEnv,
  startService,
  stopService,
} from './helpers/service.js';

const harness = restartHarness();
const { running, newDataDir } = harness;

describe.concurrent('npm start survives a restart', () => {
  it('a task sleeping through a stop and a start runs exactly once', async () => {
    const { receiver } = harness;
    const dataDir = newDataDir();
    const { ports, env, api } = await serviceEnv(dataDir);

    const first = await startService(env);
    running.push(first);
    expect(first.output.join('')).toMatch(/authentication is OFF/);
    const health = await fetch(`${api}/health`).then((r) => r.json());
    // "ready" is printed once the worker's first poll reached the server.
    expect(health).toMatchObject({ status: 'ok', worker: { polling: true } });
    expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);

    const scheduled = await fetch(`${api}/tasks/schedule`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        schedule_type: 'http_request',
        // Due after the stop (a few seconds, more on a loaded machine), and likely before the start is done.
        when: 'in 15 seconds',
        payload: { url: `${receiver.url}/restart-target`, method: 'POST' },
        callback_url: `${receiver.url}/restart-cb`,
      }),
    }).then((r) => r.json() as Promise<{ task_id: string; next_execution: string }>);
    const dueMs = Date.parse(scheduled.next_execution);

    expect(await stopService(first)).toBe(0);
    expect(first.output.join('')).toMatch(/stopped Temporal dev server/);
    expect(await portIsOpen(ports.temporal)).toBe(false);
    expect(await portIsOpen(ports.api)).toBe(false);
    expect(Date.now()).toBeLessThan(dueMs);
    expect([...receiver.at('/restart-target'), ...receiver.at('/restart-cb')]).toHaveLength(0);
    // The embedded server keeps its SQLite file in WAL mode: header bytes 18-19 (write/read format) are 2 and 2.
    const header = readFileSync(path.join(dataDir, 'temporal.db')).subarray(18, 20);
    expect([...header]).toEqual([2, 2]);

    const second = await startService(env);
    running.push(second);
    const task = (await fetch(`${api}/tasks/${scheduled.task_id}`).then((r) => r.json())) as {
      id: string;
      status: string;
    };
    expect(task.id).toBe(scheduled.task_id);
    // On a loaded machine the second start can take long enough that the run has begun.
    expect(['active', 'processing', 'completed']).toContain(task.status);

    const [callback] = await receiver.waitFor('/restart-cb', 1, 60_000);
    expect(callback!.receivedAt).toBeGreaterThanOrEqual(dueMs);
    expect(callback!.json).toMatchObject({ task_id: scheduled.task_id, status: 'success' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(receiver.at('/restart-target')).toHaveLength(1);
    expect(receiver.at('/restart-cb')).toHaveLength(1);
    const done = (await fetch(`${api}/tasks/${scheduled.task_id}`).then((r) => r.json())) as {
      status: string;
    };
    expect(done.status).toBe('completed');

    // While it runs, a second Pulse on the same data (on other ports) is refused, and this one is left alone.
    const other = await serviceEnv(dataDir);
    const refused = await runServiceToExit(other.env, 30_000);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/in use by a running Pulse \(pid \d+\)/);
    // Another Pulse (its own data) on this one's API port stops at once, before starting Temporal, naming the port.
    const clash = await serviceEnv(newDataDir());
    const port = new URL(api).port;
    const clashStarted = Date.now();
    const taken = await runServiceToExit({ ...clash.env, PORT: port }, 30_000);
    expect(taken.code).toBe(1);
    expect(taken.output).toContain(`PORT ${port} is in use`);
    expect(taken.output).not.toContain('embedded Temporal');
    expect(Date.now() - clashStarted).toBeLessThan(15_000);
    expect(await fetch(`${api}/health`).then((r) => r.json())).toMatchObject({ status: 'ok' });
    expect(await stopService(second)).toBe(0);
  });

  it('a SIGKILL of the whole process group needs no human: the next start comes up and the task runs once', async () => {
    const dir = newDataDir();
    const { ports, env, api } = await serviceEnv(dir);
    const first = await startService(env, { detached: true });
    running.push(first);

    const { taskId, dueMs } = await harness.scheduleCall(api, 'in 8 seconds', 'kill');
    await killServiceGroup(first);
    expect(Date.now()).toBeLessThan(dueMs);
    expect(harness.receiver.at('/kill-cb')).toHaveLength(0);

    // Straight away, as a supervisor would restart it: the earlier server may still be shutting down.
    const second = await startService(env, { detached: true });
    running.push(second);
    await harness.expectRanOnce(api, 'kill', taskId, dueMs);

    // Without any next start, the watchdog alone takes the dev server down once Pulse is killed.
    const record = readDevServerRecord(path.join(dir, 'temporal.pid'));
    expect(record && sameProcess(record.server)).toBeTruthy();
    await killServiceGroup(second);
    expect(await waitUntil(() => !sameProcess(record!.server), 20_000)).toBe(true);
    expect(await waitUntil(async () => !(await portIsOpen(ports.temporal)), 5_000)).toBe(true);
  });

  it('its embedded server killed alone, the service stops (code 1) and says why, and the next start comes up', async () => {
    const dir = newDataDir();
    const { ports, env, api } = await serviceEnv(dir);
    const first = await startService(env, { detached: true });
    running.push(first);
    const record = readDevServerRecord(path.join(dir, 'temporal.pid'));
    expect(record && sameProcess(record.server)).toBeTruthy();
    const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)));
    process.kill(record!.server.pid, 'SIGKILL');
    // Before, Pulse kept its port and answered nothing useful, and the next start found the port taken.
    expect(await exited).toBe(1);
    expect(first.output.join('')).toMatch(/the embedded Temporal dev server exited unexpectedly; stopping/);
    expect(await portIsOpen(ports.api)).toBe(false);
    const second = await startService(env, { detached: true });
    running.push(second);
    expect(await fetch(`${api}/health`).then((r) => r.json())).toMatchObject({ status: 'ok' });
    expect(await stopService(second)).toBe(0);
  });
});
