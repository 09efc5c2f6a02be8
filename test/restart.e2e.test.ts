/**
 * The whole service as `npm start` runs it (embedded dev server persisting to SQLite, worker, API), stopped with
 * SIGINT while a task sleeps and started again with the same command: the task still runs, exactly once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { freePort, startService, stopService, type ServiceProcess } from './helpers/service.js';

async function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let receiver: Receiver;
let dataDir: string;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'pulse-restart-'));
});

afterAll(async () => {
  for (const service of running) await stopService(service);
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start survives a restart', () => {
  it('a task sleeping through a stop and a start runs exactly once', async () => {
    const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
    const env = {
      PORT: String(ports.api),
      HOST: '127.0.0.1',
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      PULSE_DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: '',
      PULSE_API_KEY: '',
      // The receiver is on 127.0.0.1, which the SSRF guard refuses by default.
      PULSE_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    const api = `http://127.0.0.1:${ports.api}`;

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
        when: 'in 30 seconds',
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
    expect(receiver.requests).toHaveLength(0);
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
    expect(await stopService(second)).toBe(0);
  });
});
