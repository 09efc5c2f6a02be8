/**
 * `--server=cluster`: the production-shaped cluster (PostgreSQL and the Temporal server built by
 * `npm run cluster -- build`) as a benchmark's server, fresh for each stack in a temp folder on free ports. Only
 * the server side of it: the benchmark starts its own Pulse worker, API and baseline processes on it, as it does
 * on the dev server, so the two servers are compared with everything else the same.
 */
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { SERVER, createCluster } from '../../scripts/cluster/cluster.js';
import { SERVER_PORT_BLOCK, VERSIONS, clusterPaths, serverPorts } from '../../scripts/cluster/options.js';
import { freePortBlock, freePortOutsideBlock } from '../../scripts/cluster/processes.js';
import { rssBytes } from './proc.js';
import type { BenchServer, SqliteSettings, TimerSettings } from './bench-server.js';

export const CLUSTER_DESCRIPTION = `cluster: Temporal server ${VERSIONS.temporalServer} on PostgreSQL, 4 history shards`;

/** Bytes under `dir`, recursively. */
function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    try {
      total += entry.isDirectory() ? folderBytes(file) : statSync(file).size;
    } catch {
      // Removed while we looked (a temp file of a checkpoint).
    }
  }
  return total;
}

function postmasterPid(pgData: string): number | undefined {
  try {
    return Number(readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

/** The fields of `/proc/<pid>/stat` after the command name: state, parent, ..., utime (11), stime (12), .... */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The live processes whose parent is `parent`. */
function childPids(parent: number): number[] {
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => {
      if (!Number.isInteger(pid)) return false;
      try {
        return Number(statFields(pid)[1]) === parent;
      } catch {
        return false; // Gone in between.
      }
    });
}

/** PostgreSQL's postmaster and the backends it has forked so far. */
function postgresPids(pgData: string): number[] {
  const postmaster = postmasterPid(pgData);
  return postmaster === undefined ? [] : [postmaster, ...childPids(postmaster)];
}

/** CPU seconds of PostgreSQL: the postmaster, its live backends, and every backend that has exited. */
function postgresCpuSeconds(pgData: string): number {
  const postmaster = postmasterPid(pgData);
  if (postmaster === undefined) return Number.NaN;
  try {
    const own = statFields(postmaster);
    // utime, stime, and cutime + cstime: what its children used before they were reaped.
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const pid of childPids(postmaster)) {
      try {
        const child = statFields(pid);
        ticks += Number(child[11]) + Number(child[12]);
      } catch {
        // Gone in between.
      }
    }
    return ticks / 100;
  } catch {
    return Number.NaN;
  }
}

export async function startClusterBenchServer(
  timers: TimerSettings,
  sqlite: SqliteSettings,
  freePort: () => Promise<number>,
  /** More environment for the cluster (a tenants file turns on the server's fairness, as `npm start` does). */
  env: NodeJS.ProcessEnv = {},
): Promise<BenchServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-bench-cluster-'));
  // Under root PostgreSQL runs as `postgres`, which must be able to reach its data folder inside this one.
  chmodSync(dir, 0o755);
  const frontend = await freePortBlock(SERVER_PORT_BLOCK);
  const cluster = createCluster({
    dir,
    cacheDir: path.join(PROJECT_ROOT, '.cluster'),
    workers: 0,
    ui: false,
    ports: {
      frontend,
      postgres: await freePortOutsideBlock(frontend, SERVER_PORT_BLOCK, freePort),
      api: await freePortOutsideBlock(frontend, SERVER_PORT_BLOCK, freePort),
      ui: 0,
      workerMetrics: 0,
    },
    // `tuned`: the timer setting `PULSE_TIMER_MAX_TIME_SHIFT=100ms` gives, as on the dev server.
    pulseEnv: { ...env, ...(timers === 'tuned' ? { PULSE_TIMER_MAX_TIME_SHIFT: '100ms' } : {}) },
    log: () => undefined,
  });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    await cluster.up();
    // The cluster's own API has no worker behind it here; the benchmark runs its own.
    await cluster.stopApi();
  } catch (err) {
    await cluster.down().catch(() => undefined);
    remove();
    throw err;
  }
  const pid = cluster.status().find((item) => item.name === SERVER)?.pid;
  if (pid === undefined) throw new Error('temporal-server is not running after up');
  const { pgData } = clusterPaths(dir);
  // The benchmark dying (a crash, Ctrl-C) takes the cluster with it, as the dev server's child process goes.
  const stopOnExit = () => {
    for (const [target, signal] of [
      [-pid, 'SIGKILL'],
      [postmasterPid(pgData), 'SIGQUIT'],
    ] as const) {
      try {
        if (target !== undefined) process.kill(target, signal);
      } catch {
        // Gone already.
      }
    }
    remove();
  };
  process.once('exit', stopOnExit);
  return {
    address: cluster.address,
    pid,
    dbFile: pgData,
    timers,
    sqlite,
    metricsUrl: `http://127.0.0.1:${serverPorts(frontend).METRICS_PORT}/metrics`,
    rssBytes: () => rssBytes(pid),
    serverPids: () => [pid, ...postgresPids(pgData)],
    // Table and index files of every database; the write-ahead log is recycled, not grown per task.
    dbBytes: () => folderBytes(path.join(pgData, 'base')),
    otherCpuSeconds: () => ({ postgres: postgresCpuSeconds(pgData) }),
    async stop() {
      await cluster.down();
      process.removeListener('exit', stopOnExit);
      remove();
    },
  };
}
