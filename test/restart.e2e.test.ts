/**
 * The whole service as `npm start` runs it (embedded dev server persisting to SQLite, worker, API), stopped while a
 * task sleeps and started again with the same command: the task still runs, exactly once. Stopped with SIGINT, with
 * a SIGKILL of its process group, and as a power cut leaves it (everything killed at once, a stale pidfile and an
 * unmerged SQLite write-ahead log); and a start that must not touch a process that is not provably its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevServerRecord } from '../src/temporal/dev-server-pidfile.js';
import { sameProcess, stampOf } from '../src/temporal/process-stamp.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import {
  freePort,
  killServiceGroup,
  runServiceToExit,
  startService,
  stopService,
  type ServiceProcess,
} from './helpers/service.js';

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
const dataDirs: string[] = [];
const foreign: ChildProcess[] = [];

function newDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-restart-'));
  dataDirs.push(dir);
  return dir;
}

/** Whatever still runs on one of this file's data dirs (an orphaned dev server, if a fix regressed) is ours. */
function killLeftovers(): void {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (dataDirs.some((dir) => cmdline.includes(dir))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

beforeAll(async () => {
  receiver = await startReceiver();
  dataDir = newDataDir();
});

afterAll(async () => {
  for (const service of running) if (service.child.signalCode === null) await stopService(service);
  for (const child of foreign) child.kill('SIGKILL');
  killLeftovers();
  await receiver?.close();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function serviceEnv(dir: string) {
  const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
  const env = {
    PORT: String(ports.api),
    HOST: '127.0.0.1',
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    PULSE_DATA_DIR: dir,
    TEMPORAL_ADDRESS: '',
    PULSE_API_KEY: '',
    PULSE_ALLOW_PRIVATE_NETWORKS: 'true',
    // The worker's metrics port is shared by default; a second Pulse on the machine skips it, which is fine here.
  };
  return { ports, env, api: `http://127.0.0.1:${ports.api}` };
}

async function scheduleCall(api: string, when: string, name: string) {
  const response = await fetch(`${api}/tasks/schedule`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      schedule_type: 'http_request',
      when,
      payload: { url: `${receiver.url}/${name}-target`, method: 'POST' },
      callback_url: `${receiver.url}/${name}-cb`,
    }),
  });
  expect(response.status).toBe(200);
  const task = (await response.json()) as { task_id: string; next_execution: string };
  return { taskId: task.task_id, dueMs: Date.parse(task.next_execution) };
}

/** The task's run and callback happen once, not before it was due, and it ends completed. */
async function expectRanOnce(api: string, name: string, taskId: string, dueMs: number): Promise<void> {
  const [callback] = await receiver.waitFor(`/${name}-cb`, 1, 90_000);
  expect(callback!.receivedAt).toBeGreaterThanOrEqual(dueMs);
  expect(callback!.json).toMatchObject({ task_id: taskId, status: 'success' });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(receiver.at(`/${name}-target`)).toHaveLength(1);
  expect(receiver.at(`/${name}-cb`)).toHaveLength(1);
  const done = (await fetch(`${api}/tasks/${taskId}`).then((r) => r.json())) as { status: string };
  expect(done.status).toBe('completed');
}

function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => {
      try {
        return Number.isInteger(pid) && processGroupOf(pid) === pgid;
      } catch {
        return false;
      }
    });
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return check();
}

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

    // While it runs, a second Pulse on the same data (on other ports) is refused, and this one is left alone.
    const other = await serviceEnv(dataDir);
    const refused = await runServiceToExit(other.env, 30_000);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/in use by a running Pulse \(pid \d+\)/);
    expect(await fetch(`${api}/health`).then((r) => r.json())).toMatchObject({ status: 'ok' });
    expect(await stopService(second)).toBe(0);
  });

  it('a SIGKILL of the whole process group needs no human: the next start comes up and the task runs once', async () => {
    const dir = newDataDir();
    const { ports, env, api } = await serviceEnv(dir);
    const first = await startService(env, { detached: true });
    running.push(first);

    const { taskId, dueMs } = await scheduleCall(api, 'in 8 seconds', 'kill');
    await killServiceGroup(first);
    expect(Date.now()).toBeLessThan(dueMs);
    expect(receiver.at('/kill-cb')).toHaveLength(0);

    // Straight away, as a supervisor would restart it: the earlier server may still be shutting down.
    const second = await startService(env, { detached: true });
    running.push(second);
    await expectRanOnce(api, 'kill', taskId, dueMs);

    // Without any next start, the watchdog alone takes the dev server down once Pulse is killed.
    const record = readDevServerRecord(path.join(dir, 'temporal.pid'));
    expect(record && sameProcess(record.server)).toBeTruthy();
    await killServiceGroup(second);
    expect(await waitUntil(() => !sameProcess(record!.server), 20_000)).toBe(true);
    expect(await waitUntil(async () => !(await portIsOpen(ports.temporal)), 5_000)).toBe(true);
  });

  it('an orphaned dev server whose watchdog was killed too is stopped by the next start, provably ours', async () => {
    const dir = newDataDir();
    const { env, api } = await serviceEnv(dir);
    const first = await startService(env, { detached: true });
    running.push(first);
    const record = readDevServerRecord(path.join(dir, 'temporal.pid'))!;
    // The server logs to a file, not to Pulse's pipes: a Go program dies on its next log line once its output pipe
    // has lost its reader, and an orphan must live until the next start proves it ours.
    for (const fd of [1, 2])
      expect(readlinkSync(`/proc/${record.server.pid}/fd/${fd}`)).toBe(path.join(dir, 'temporal.log'));
    // Everything in the server's process group but the server itself: the watchdog shell and its pipe reader.
    const group = processGroupOf(record.server.pid);
    const watchdog = groupMembers(group).filter((pid) => pid !== record.server.pid);
    expect(watchdog.length).toBeGreaterThan(0);
    for (const pid of watchdog) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        // The pipe reader may end by itself once its shell is gone.
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    await killServiceGroup(first);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(sameProcess(record.server)).toBeTruthy();

    const second = await startService(env, { detached: true });
    running.push(second);
    expect(second.output.join('')).toMatch(/ended without stopping its dev server \(pid \d+\); stopping it/);
    expect(sameProcess(record.server)).toBeUndefined();
    expect(await fetch(`${api}/health`).then((r) => r.json())).toMatchObject({ status: 'ok' });
    expect(await stopService(second)).toBe(0);
  });

  it('after a power cut (everything killed, stale pidfile, unmerged WAL) the next start comes up on the same data', async () => {
    const dir = newDataDir();
    const { env, api } = await serviceEnv(dir);
    const first = await startService(env, { detached: true });
    running.push(first);
    const { taskId, dueMs } = await scheduleCall(api, 'in 8 seconds', 'power');
    const pidFile = path.join(dir, 'temporal.pid');
    const record = readDevServerRecord(pidFile)!;
    expect(sameProcess(record.server)).toBeTruthy();

    // Nobody gets to clean up: the server and Pulse go at the same instant.
    process.kill(record.server.pid, 'SIGKILL');
    await killServiceGroup(first);
    expect(await waitUntil(() => !sameProcess(record.server), 5_000)).toBe(true);
    expect(Date.now()).toBeLessThan(dueMs);
    expect(readDevServerRecord(pidFile)).toEqual(record);
    expect(existsSync(path.join(dir, 'temporal.db-wal'))).toBe(true);

    const second = await startService(env, { detached: true });
    running.push(second);
    expect(readDevServerRecord(pidFile)?.server).not.toEqual(record.server);
    await expectRanOnce(api, 'power', taskId, dueMs);
    expect(await stopService(second)).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('never signals a process that is not provably its own dev server, and says why it cannot start', async () => {
    const dir = newDataDir();
    const { ports, env } = await serviceEnv(dir);
    // A stranger on the Temporal port, and a pidfile naming it as if its pid had been reused since a power cut.
    const stranger = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${ports.temporal}, '127.0.0.1')`],
      { stdio: 'ignore' },
    );
    foreign.push(stranger);
    expect(await waitUntil(() => portIsOpen(ports.temporal), 10_000)).toBe(true);
    const strangerStamp = stampOf(stranger.pid!)!;
    writeFileSync(
      path.join(dir, 'temporal.pid'),
      JSON.stringify({
        server: strangerStamp,
        owner: { pid: 999_999, start: 'a boot long gone/1' },
        cliPath: process.execPath,
        dbFile: path.join(dir, 'temporal.db'),
      }),
    );

    const refused = await runServiceToExit(env, 30_000);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/port \d+ on 127\.0\.0\.1 is already in use by a program that is not/);
    expect(sameProcess(strangerStamp)).toBeTruthy();
    expect(await portIsOpen(ports.temporal)).toBe(true);
  });
});
