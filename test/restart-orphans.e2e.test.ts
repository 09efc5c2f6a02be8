/**
 * What a hard kill of `npm start` can leave behind, and how the next start deals with it: a dev server orphaned with
 * its watchdog, a power cut (everything killed at once, a stale pidfile, an unmerged SQLite write-ahead log), and a
 * pidfile naming a process that is not provably ours, which a start must never signal.
 */
import { spawn } from 'node:child_process';
import { existsSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDevServerRecord } from '../src/temporal/dev-server-pidfile.js';
import { sameProcess, stampOf } from '../src/temporal/process-stamp.js';
import {
  groupMembers,
  portIsOpen,
  processGroupOf,
  restartHarness,
  waitUntil,
} from './helpers/restart-harness.js';
import {
  killServiceGroup,
  runServiceToExit,
  serviceEnv,
  startService,
  stopService,
} from './helpers/service.js';

const harness = restartHarness();
const { running, foreign, newDataDir } = harness;

describe.concurrent('what a hard kill leaves behind', () => {
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
    // All of them stopped first, then killed: killed one by one, the reader's shell could outlive its `cat` and
    // do its job (stop the server), which is not the case under test.
    for (const signal of ['SIGSTOP', 'SIGKILL'] as const) {
      for (const pid of watchdog) {
        try {
          process.kill(pid, signal);
        } catch (err) {
          // The pipe reader may end by itself once its shell is gone.
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
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
    const { taskId, dueMs } = await harness.scheduleCall(api, 'in 8 seconds', 'power');
    const pidFile = path.join(dir, 'temporal.pid');
    const record = readDevServerRecord(pidFile)!;
    expect(sameProcess(record.server)).toBeTruthy();

    // Nobody gets to clean up: Pulse goes first (a Pulse that outlived its server by a moment would stop and clear
    // the record, as `npm start` does when its server dies alone; CI once caught it in that moment), then the server.
    await killServiceGroup(first);
    if (sameProcess(record.server)) process.kill(record.server.pid, 'SIGKILL');
    expect(await waitUntil(() => !sameProcess(record.server), 5_000)).toBe(true);
    expect(Date.now()).toBeLessThan(dueMs);
    expect(readDevServerRecord(pidFile)).toEqual(record);
    expect(existsSync(path.join(dir, 'temporal.db-wal'))).toBe(true);

    const second = await startService(env, { detached: true });
    running.push(second);
    expect(readDevServerRecord(pidFile)?.server).not.toEqual(record.server);
    await harness.expectRanOnce(api, 'power', taskId, dueMs);
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
