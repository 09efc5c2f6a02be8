/**
 * A production-shaped cluster (PostgreSQL, the Go-built Temporal server, separate worker and API processes) for
 * one test file: its own temp folder and free ports, the project's built binaries (`npm run cluster -- build`).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { createCluster, type Cluster } from '../../scripts/cluster/cluster.js';
import { isListening } from '../../scripts/cluster/processes.js';
import { freePort } from './service.js';

export interface TestCluster extends Cluster {
  /** `down`, then the temp folder goes. */
  dispose(): Promise<void>;
}

/**
 * A free block of `size` consecutive ports (the server's internal ports sit right above its frontend port), below
 * Linux's ephemeral range (32768+), where an outgoing connection's local port could take one of them meanwhile.
 */
async function freeBlock(size: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const taken = await Promise.all(Array.from({ length: size }, (_, i) => isListening(base + i)));
    if (!taken.some(Boolean)) return base;
  }
  throw new Error(`no ${size} consecutive free ports found`);
}

export async function startTestCluster(
  options: { workers?: number; env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-cluster-'));
  // Under root PostgreSQL runs as `postgres`, which must be able to reach its data folder inside this one.
  chmodSync(dir, 0o755);
  const cluster = createCluster({
    dir,
    cacheDir: path.join(PROJECT_ROOT, '.cluster'),
    workers: options.workers ?? 2,
    ui: false,
    ports: {
      frontend: await freeBlock(10),
      postgres: await freePort(),
      api: await freePort(),
      ui: 0,
      workerMetrics: 0,
    },
    pulseEnv: { ...process.env, PULSE_ALLOW_PRIVATE_NETWORKS: 'true', ...options.env },
    log: options.log ?? (() => undefined),
  });
  const dispose = async () => {
    try {
      await cluster.down();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await cluster.up();
  } catch (err) {
    await dispose();
    throw err;
  }
  return Object.assign(cluster, { dispose });
}
