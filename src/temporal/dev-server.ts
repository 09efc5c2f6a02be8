/**
 * The embedded Temporal dev server behind `npm start`: the `temporal` CLI's `server start-dev`, persisting to a
 * SQLite file, with the Web UI. When no CLI could be provisioned, the SDK's own download provides one.
 *
 * The server must die with Pulse however Pulse ends, or the next `npm start` finds the port taken. It runs in its
 * own process group (so Ctrl-C reaches Pulse first, which stops it after the worker has drained), so a signal to
 * Pulse's group misses it, and a SIGKILL or an OOM kill gives Pulse no chance to stop it. Linux's PDEATHSIG cannot
 * be set from Node, and is not portable anyway. So the server runs under a tiny `sh` watchdog (DEV_SERVER_WATCHDOG)
 * holding the read end of a pipe whose only writer is Pulse: the kernel closes that end when Pulse dies, by any
 * means, and the watchdog's end-of-file makes it stop the server. A normal stop takes the same path: Pulse closes
 * the pipe. What the watchdog cannot cover (it being killed itself, or the server still shutting down when the
 * next start comes) the pidfile covers: dev-server-pidfile.ts says how a next start proves an orphan is ours.
 *
 * The server writes its log to a file beside its database (`temporal.log`), never to a pipe from Pulse: a Go program
 * whose stdout or stderr pipe has lost its reader dies on its next log line (its runtime installs its own SIGPIPE
 * handling, whatever it inherits), so a server logging into Pulse's pipes would die mid-shutdown once Pulse is
 * gone, or vanish as an orphan before the next start could prove it ours. Pulse relays the file's new lines.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { PulseConfig } from '../config.js';
import {
  devServerPidFile,
  reclaimDevServer,
  removeDevServerRecord,
  writeDevServerRecord,
} from './dev-server-pidfile.js';
import { followLog } from './log-follower.js';
import { isListening } from './port-probe.js';
import { sameProcess, stampOf, type ProcessStamp } from './process-stamp.js';

export interface DevServerOptions {
  /** `temporal` CLI; undefined = let the SDK download a dev server. */
  readonly cliPath: string | undefined;
  readonly dbFile: string;
  readonly ip: string;
  readonly port: number;
  readonly uiPort: number;
  readonly namespace: string;
  readonly log: (line: string) => void;
  /** The settings of Pulse's configuration that reach the server's dynamic config. */
  readonly settings: ServerSettings;
  /** Dynamic config beyond Pulse's own (`KEY=VALUE`), for a test that needs a server set as production servers are. */
  readonly extraDynamicConfig?: readonly string[];
}

export interface DevServer {
  readonly address: string;
  /** Resolves when the server has exited, whatever ended it (a stop, a crash, a kill). */
  readonly exited: Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/**
 * `sh -c DEV_SERVER_WATCHDOG sh <cli> <args…>`: runs the server, reports its pid on fd 3, and stops it with
 * SIGTERM once its stdin (the pipe from Pulse) reaches end-of-file; exits with the server's status. The reader of
 * the pipe runs in the background because only the shell that started the server can `wait` for it, and an async
 * list's stdin is /dev/null, hence the copy on fd 4. The server gets neither fd 3 nor fd 4, so it holds nothing
 * of Pulse's but its output pipes. Once the server has exited, the reader is killed before it could signal a pid
 * the system may have reused.
 */
export const DEV_SERVER_WATCHDOG = [
  'exec 4<&0',
  '"$@" 3>&- 4<&- &',
  'server=$!',
  'echo "$server" >&3',
  'exec 3>&-',
  '{ cat <&4; kill -TERM "$server"; } </dev/null >/dev/null 2>&1 &',
  'reader=$!',
  'exec 4<&-',
  'wait "$server"',
  'status=$?',
  'kill "$reader" 2>/dev/null',
  'exit "$status"',
].join('\n');

/**
 * Timer batching of at most 100 ms instead of the server's default second. Off by default: the benchmarks
 * (BENCHMARKS.md) measured the default as better for tasks due seconds or more ahead, p50 and p99 alike; it helps
 * only tasks due under a second ahead. `PULSE_TIMER_MAX_TIME_SHIFT=100ms` turns it on for `npm start`.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['history.timerProcessorMaxTimeShift="100ms"'];

/**
 * SQLite with a write-ahead log instead of the CLI's rollback journal: the benchmarks measured more scheduling
 * throughput (BENCHMARKS.md). `synchronous=FULL` still syncs every commit, so a task the API has
 * accepted survives a power cut, not only a crash.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=WAL', 'synchronous=FULL'];

/**
 * What every server Pulse starts runs with (the dev server here; the cluster's `dynamicconfig.yaml` has the same).
 * New tasks go to one partition of each task queue instead of four: a task written where a worker's poll waits is
 * handed over at once, where spread over four partitions most of a burst went to the database and was read back.
 * The herd of 2,000 drained in 34 s instead of 58-61 s on the dev server (BENCHMARKS.md). Reads stay on four
 * partitions, so what an earlier Pulse left in the others is still dispatched after an upgrade.
 *
 * The CLI's dev server keeps 8,096 workflows in its mutable-state cache (`history.hostLevelCacheMaxSize`); the
 * server's own default, which the cluster runs, is 128,000. Past 8,096 sleeping tasks, every step of a run read the
 * workflow back from SQLite (about two reads a run in a herd of 10,000, against none at 5,000) and lost what lives
 * only in that cache (a sleeping task's sticky release, `src/temporal/sticky-release.ts`): Pulse's servers run the
 * server's default (BENCHMARKS.md, session 21). Entries leave the cache an hour after their last use.
 *
 * The CLI's dev server reads search attributes from its database on every use
 * (`system.forceSearchAttributesCacheRefreshOnRead`); turning that off, as production servers have it, cut the
 * server's work per run, but made a new schedule's first run late on a fresh server, so it stays as the CLI sets it
 * (BENCHMARKS.md, "Session 16").
 */
export const SERVER_DYNAMIC_CONFIG = [
  'matching.numTaskqueueWritePartitions=1',
  'history.hostLevelCacheMaxSize=128000',
];

/** The settings of Pulse's configuration (`loadConfig`) that reach the dynamic config of a server Pulse starts. */
export type ServerSettings = Pick<PulseConfig, 'timerMaxTimeShift' | 'tenantsFile'>;

/** Dynamic config for the embedded server: Pulse's own, then what its configuration asks for. */
export function devServerDynamicConfig(settings: ServerSettings): string[] {
  return [...SERVER_DYNAMIC_CONFIG, ...settingsDynamicConfig(settings)];
}

/**
 * What Pulse's configuration adds to a server's dynamic config: the timer batching of `PULSE_TIMER_MAX_TIME_SHIFT`
 * (unset: the server's default), and fairness when tenants are on.
 */
export function settingsDynamicConfig(settings: ServerSettings): string[] {
  const shift = settings.timerMaxTimeShift;
  return [
    ...(shift ? [`history.timerProcessorMaxTimeShift=${JSON.stringify(shift)}`] : []),
    // With tenants, tasks carry their tenant as a fairness key: the matcher dispatches tenants in turn.
    ...(settings.tenantsFile ? ['matching.enableFairness=true'] : []),
  ];
}

/** Keeps finished tasks readable through the API for this long (the dev server's default is one day). */
export async function setRetention(address: string, namespace: string, days: number): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msToTs(days * 86_400_000) },
    });
  } finally {
    await connection.close();
  }
}

async function waitUntilReady(
  address: string,
  namespace: string,
  child: ChildProcess | undefined,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(
    `temporal dev server at ${address} not ready after ${READY_TIMEOUT_MS} ms: ${String(lastError)}`,
  );
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const address = `${options.ip}:${options.port}`;
  if (!options.cliPath) return startWithSdkDownload(options, address);

  const args = [
    'server',
    'start-dev',
    '--db-filename',
    options.dbFile,
    '--ip',
    options.ip,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    ...[...devServerDynamicConfig(options.settings), ...(options.extraDynamicConfig ?? [])].flatMap(
      (value) => ['--dynamic-config-value', value],
    ),
    ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
  ];
  // What an earlier Pulse on this data left running is stopped, if provably ours, before the port is judged.
  await reclaimDevServer(options.dbFile, options.log);
  if (await isListening(options.port, options.ip)) {
    throw new Error(
      `port ${options.port} on ${options.ip} is already in use by a program that is not a dev server of an ` +
        'earlier Pulse on this data. Stop it, or set TEMPORAL_PORT, or point TEMPORAL_ADDRESS at it to use it as is.',
    );
  }
  options.log(`[temporal] starting dev server: ${options.cliPath} ${args.join(' ')}`);
  // Each start begins a fresh log; the previous server on this data has been stopped above.
  const logFile = devServerLogFile(options.dbFile);
  const logFd = openSync(logFile, 'w');
  // Own process group, so Ctrl-C reaches us first and we stop the server after the worker has drained.
  const child = spawn('/bin/sh', ['-c', DEV_SERVER_WATCHDOG, 'sh', options.cliPath, ...args], {
    stdio: ['pipe', logFd, logFd, 'pipe'],
    detached: true,
  });
  closeSync(logFd);
  const follower = followLog(logFile, (line) => options.log(`[temporal] ${line}`));
  // The pipe is never written; a stop that finds the watchdog gone must not turn into an error.
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      follower.stop();
      resolve();
    }),
  );
  // Whatever way this process ends (a second Ctrl-C, a crash), the watchdog's whole group goes too.
  const killGroup = () => {
    // Once the watchdog has exited, its group id may be reused by a stranger; only our own group is signalled.
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', killGroup);
  const pidFile = devServerPidFile(options.dbFile);
  let server: ProcessStamp | undefined;
  try {
    const serverPid = await readServerPid(child.stdio[3] as Readable, exited);
    server = stampOf(serverPid);
    const owner = stampOf(process.pid);
    // Recorded before the wait for readiness: a kill during a slow start must be recoverable too.
    if (server && owner) {
      writeDevServerRecord(pidFile, {
        server,
        owner,
        cliPath: options.cliPath,
        dbFile: options.dbFile,
      });
    }
    await waitUntilReady(address, options.namespace, child);
  } catch (err) {
    killGroup();
    await exited;
    removeDevServerRecord(pidFile);
    throw err;
  }
  // The watchdog ends when the server does, and also when it alone is killed: then the server still runs (an
  // orphan the next start stops, provably ours by its record), and has not exited.
  const serverStamp = server;
  const serverExited = exited.then(async () => {
    while (serverStamp && sameProcess(serverStamp)) await new Promise((resolve) => setTimeout(resolve, 1000));
  });
  return {
    address,
    exited: serverExited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin!.end();
        const killer = setTimeout(killGroup, STOP_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }
      process.removeListener('exit', killGroup);
      removeDevServerRecord(pidFile);
    },
  };
}

/** Where the embedded server logs: beside its database, like its pidfile. */
export function devServerLogFile(dbFile: string): string {
  return path.join(path.dirname(dbFile), 'temporal.log');
}

/** The server's pid, as the watchdog reports it on fd 3 right after starting it. */
function readServerPid(report: Readable, exited: Promise<void>): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    report.setEncoding('utf8');
    report.on('data', (chunk: string) => {
      text += chunk;
      const line = text.split('\n')[0];
      if (text.includes('\n') && line) resolve(Number(line));
    });
    void exited.then(() =>
      reject(new Error('temporal dev server watchdog exited before starting the server')),
    );
  });
}

async function startWithSdkDownload(options: DevServerOptions, address: string): Promise<DevServer> {
  options.log('[temporal] no temporal CLI found; downloading a dev server through the Temporal SDK');
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      dbFilename: options.dbFile,
      ip: options.ip,
      port: options.port,
      ui: true,
      uiPort: options.uiPort,
      namespace: options.namespace,
      extraArgs: [
        ...devServerDynamicConfig(options.settings).flatMap((value) => ['--dynamic-config-value', value]),
        ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
      ],
    },
  });
  // The SDK does not say when its server ends by itself; this one is seen to end only when stopped.
  let ended!: () => void;
  const exited = new Promise<void>((resolve) => (ended = resolve));
  return {
    address,
    exited,
    stop: async () => {
      await env.teardown();
      ended();
    },
  };
}
