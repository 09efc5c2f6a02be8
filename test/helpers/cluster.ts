/**
 * A production-shaped cluster (PostgreSQL, the Go-built Temporal server, separate worker and API processes) for
 * one test file: its own temp folder and free ports, the project's built binaries (`npm run cluster -- build`).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { createCluster, type Cluster } from '../../scripts/cluster/cluster.js';
import { SERVER_PORT_BLOCK } from '../../scripts/cluster/options.js';
import { freePortBlock, freePortOutsideBlock } from '../../scripts/cluster/processes.js';
import { freePort } from './service.js';

export interface TestCluster extends Cluster {
  /** `down`, then the temp folder goes. */
  dispose(): Promise<void>;
}

export async function startTestCluster(
  options: { workers?: number; env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-cluster-'));
  // Under root PostgreSQL runs as `postgres`, which must be able to reach its data folder inside this one.
  chmodSync(dir, 0o755);
  const frontend = await freePortBlock(SERVER_PORT_BLOCK);
  const cluster = createCluster({
    dir,
    cacheDir: path.join(PROJECT_ROOT, '.cluster'),
    workers: options.workers ?? 2,
    ui: false,
    ports: {
      frontend,
      postgres: await freePortOutsideBlock(frontend, SERVER_PORT_BLOCK, freePort),
      api: await freePortOutsideBlock(frontend, SERVER_PORT_BLOCK, freePort),
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
