/**
 * Brings up one production-shaped cluster (PostgreSQL, the Go-built Temporal server) for the whole
 * `npm run test:cluster` run and hands its address to the test files (test/helpers/target.ts); takes it down at
 * the end. No Pulse workers of its own: every end-to-end file runs its worker and API on a task queue of its own.
 * The cluster-only tests in this folder break parts of a cluster, so each starts its own.
 *
 * `PULSE_TEST_CLUSTER_ADDRESS=127.0.0.1:7243` runs against a cluster that is already up (`npm run cluster -- up`)
 * instead, which saves its start-up when iterating on one file.
 */
import type { TestProject } from 'vitest/node';
import { startTestCluster } from '../helpers/cluster.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const existing = process.env.PULSE_TEST_CLUSTER_ADDRESS?.trim();
  if (existing) {
    project.provide('pulseCluster', {
      address: existing,
      namespace: process.env.TEMPORAL_NAMESPACE || 'default',
      dir: '',
    });
    return undefined;
  }
  const started = Date.now();
  // Its steps are printed as they happen: `up` builds the binaries first if `npm run cluster -- build` was skipped.
  const cluster = await startTestCluster({ workers: 0, log: (line) => console.log(line) });
  console.log(
    `[test:cluster] shared cluster at ${cluster.address} up in ${((Date.now() - started) / 1000).toFixed(1)} s (${cluster.options.dir})`,
  );
  project.provide('pulseCluster', {
    address: cluster.address,
    namespace: cluster.options.namespace,
    dir: cluster.options.dir,
  });
  return () => cluster.dispose();
}
