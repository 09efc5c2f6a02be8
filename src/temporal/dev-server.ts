/**
 * The embedded Temporal dev server behind `npm start`: the `temporal` CLI's `server start-dev`, persisting to a
 * SQLite file, with the Web UI. When no CLI could be provisioned, the SDK's own download provides one.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface DevServerOptions {
  /** `temporal` CLI; undefined = let the SDK download a dev server. */
  readonly cliPath: string | undefined;
  readonly dbFile: string;
  readonly ip: string;
  readonly port: number;
  readonly uiPort: number;
  readonly namespace: string;
  readonly log: (line: string) => void;
}

export interface DevServer {
  readonly address: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

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

/** Dynamic config for the embedded server, from `PULSE_TIMER_MAX_TIME_SHIFT` (unset: the server's default). */
export function devServerDynamicConfig(env: NodeJS.ProcessEnv = process.env): string[] {
  const shift = env.PULSE_TIMER_MAX_TIME_SHIFT?.trim();
  return shift ? [`history.timerProcessorMaxTimeShift=${JSON.stringify(shift)}`] : [];
}

function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
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
    ...devServerDynamicConfig().flatMap((value) => ['--dynamic-config-value', value]),
    ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
  ];
  if (await isListening(options.ip, options.port)) {
    throw new Error(
      `port ${options.port} on ${options.ip} is already in use (a Temporal server left over from an earlier run?). ` +
        'Stop it, or set TEMPORAL_PORT, or point TEMPORAL_ADDRESS at it to use it as is.',
    );
  }
  options.log(`[temporal] starting dev server: ${options.cliPath} ${args.join(' ')}`);
  // Own process group, so Ctrl-C reaches us first and we stop the server after the worker has drained.
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const relay = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.log(`[temporal] ${line}`);
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Whatever way this process ends (a second Ctrl-C, a crash), the server in its own process group goes too.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitUntilReady(address, options.namespace, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      process.removeListener('exit', killOnExit);
    },
  };
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
        ...devServerDynamicConfig().flatMap((value) => ['--dynamic-config-value', value]),
        ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
      ],
    },
  });
  return { address, stop: () => env.teardown() };
}
