/**
 * Shared by the restart test files (restart.e2e, restart-orphans.e2e): the whole service started as `npm start`
 * starts it, on data folders of their own, and a receiver for the tasks' targets and callbacks. Whatever a test
 * started is stopped after its file, and whatever still runs on one of its data folders is killed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { startReceiver, type Receiver } from './receiver.js';
import { stopService, type ServiceProcess } from './service.js';

export async function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * What a restart test file shares: a receiver for its tasks' targets and callbacks, and whatever it started, to be
 * stopped and removed after it. Each file gets its own (a worker process may run several files in turn).
 */
export interface RestartHarness {
  readonly receiver: Receiver;
  readonly running: ServiceProcess[];
  readonly foreign: ChildProcess[];
  newDataDir(): string;
  /** Schedules an HTTP call to `/<name>-target` with its callback to `/<name>-cb`. */
  scheduleCall(api: string, when: string, name: string): Promise<{ taskId: string; dueMs: number }>;
  /** The task's run and callback happen once, not before it was due, and it ends completed. */
  expectRanOnce(api: string, name: string, taskId: string, dueMs: number): Promise<void>;
}

/** Whatever still runs on one of these data dirs (an orphaned dev server, if a fix regressed) is the test's. */
function killLeftovers(dataDirs: readonly string[]): void {
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

/** Registers the file's set-up and clean-up; call once at the top of a test file. */
export function restartHarness(): RestartHarness {
  let receiver: Receiver | undefined;
  const running: ServiceProcess[] = [];
  const dataDirs: string[] = [];
  const foreign: ChildProcess[] = [];
  const started = (): Receiver => {
    if (!receiver) throw new Error('the receiver starts in beforeAll; use it inside a test');
    return receiver;
  };

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    for (const service of running) if (service.child.signalCode === null) await stopService(service);
    for (const child of foreign) child.kill('SIGKILL');
    killLeftovers(dataDirs);
    await receiver?.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get receiver() {
      return started();
    },
    running,
    foreign,
    newDataDir() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-restart-'));
      dataDirs.push(dir);
      return dir;
    },
    async scheduleCall(api, when, name) {
      const { url } = started();
      const response = await fetch(`${api}/tasks/schedule`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          schedule_type: 'http_request',
          when,
          payload: { url: `${url}/${name}-target`, method: 'POST' },
          callback_url: `${url}/${name}-cb`,
        }),
      });
      expect(response.status).toBe(200);
      const task = (await response.json()) as { task_id: string; next_execution: string };
      return { taskId: task.task_id, dueMs: Date.parse(task.next_execution) };
    },
    async expectRanOnce(api, name, taskId, dueMs) {
      const calls = started();
      const [callback] = await calls.waitFor(`/${name}-cb`, 1, 90_000);
      expect(callback!.receivedAt).toBeGreaterThanOrEqual(dueMs);
      expect(callback!.json).toMatchObject({ task_id: taskId, status: 'success' });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(calls.at(`/${name}-target`)).toHaveLength(1);
      expect(calls.at(`/${name}-cb`)).toHaveLength(1);
      const done = (await fetch(`${api}/tasks/${taskId}`).then((r) => r.json())) as { status: string };
      expect(done.status).toBe('completed');
    },
  };
}

export function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

export function groupMembers(pgid: number): number[] {
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

export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return check();
}
