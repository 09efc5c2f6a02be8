/**
 * Which Temporal the end-to-end tests run against. `PULSE_TEST_TEMPORAL=cluster` (set by vitest.cluster.config.ts,
 * `npm run test:cluster`) points them at the production-shaped cluster that test/cluster/global-setup.ts brought up
 * once for the whole run; unset, each file starts its own dev server as before.
 *
 * The cluster is shared by every file of the run: each test schedules on a task queue of its own, so tests do not
 * see each other's work, and a file's `teardown()` closes its connections without stopping the server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';

export type TemporalTarget = 'dev-server' | 'cluster';

/** What global-setup.ts hands to the test files: where the shared cluster listens. */
export interface SharedClusterInfo {
  /** Temporal frontend, `127.0.0.1:<port>`. */
  readonly address: string;
  readonly namespace: string;
  /** The cluster's state folder (logs under `logs/`); empty for a cluster the run did not start. */
  readonly dir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pulseCluster: SharedClusterInfo | undefined;
  }
}

export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const value = env.PULSE_TEST_TEMPORAL?.trim() || 'dev-server';
  if (value !== 'dev-server' && value !== 'cluster')
    throw new Error(`PULSE_TEST_TEMPORAL must be dev-server or cluster, got '${value}'`);
  return value;
}

/** The cluster global-setup.ts started; only under `PULSE_TEST_TEMPORAL=cluster`. */
export function sharedCluster(): SharedClusterInfo {
  const info = temporalTarget() === 'cluster' ? inject('pulseCluster') : undefined;
  if (!info)
    throw new Error(
      'no shared cluster: run with `npm run test:cluster` (vitest.cluster.config.ts starts it in its global setup)',
    );
  return info;
}

/**
 * A test environment on the shared cluster, shaped like the dev server's: `client`, `nativeConnection`,
 * `address`, `namespace`; its `teardown()` closes only this file's connections.
 */
export async function createClusterEnv(): Promise<TestWorkflowEnvironment> {
  const { address, namespace } = sharedCluster();
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace });
}
