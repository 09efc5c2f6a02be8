/** Real Temporal servers for tests: the dev server for end-to-end runs, the time-skipping server for long sleeps. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { loadConfig } from '../../src/config.js';
import { PULSE_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes.js';
import {
  TEMPORAL_CLI,
  TEMPORAL_TEST_SERVER,
  defaultInstallDir,
  findBinary,
} from '../../src/temporal/binaries.js';
import { devServerDynamicConfig } from '../../src/temporal/dev-server.js';
import { addSearchAttributes } from '../../src/temporal/search-attributes-setup.js';
import { claimInRun, sharedDevServer } from './run-claims.js';
import { createClusterEnv, temporalTarget } from './target.js';

const installDir = defaultInstallDir(PROJECT_ROOT);

/** The provisioned binary (npm test's pretest step installs it), or the SDK's download as a last resort. */
function executable(spec: typeof TEMPORAL_CLI) {
  const found = findBinary(spec, { installDir });
  return found ? { type: 'existing-path' as const, path: found.path } : { type: 'cached-download' as const };
}

/**
 * How many namespaces the shared dev server makes at start (test/dev-server-setup.ts): more than a run claims (27
 * today), not many more. Each costs the server CPU at start and while idle (96 namespaces: 1.2 CPU s to start and
 * 1 CPU s every 30 s idle, against 0.5 s and 0.2 s with one).
 */
export const NAMESPACE_POOL_SIZE = 40;

export const poolNamespace = (index: number) => `pulse-test-${index}`;

/** A dev server as the tests run it: the provisioned CLI, Pulse's search attributes and dynamic config. */
export function devServerOptions(extraArgs: readonly string[] = []) {
  return {
    server: {
      executable: executable(TEMPORAL_CLI),
      searchAttributes: PULSE_SEARCH_ATTRIBUTES,
      extraArgs: [
        ...devServerDynamicConfig(loadConfig()).flatMap((value) => ['--dynamic-config-value', value]),
        ...extraArgs,
      ],
    },
  };
}

/** The next unclaimed namespace of the shared dev server, or undefined when there is none (or no shared server). */
function claimSharedNamespace(): { address: string; namespace: string } | undefined {
  const shared = sharedDevServer();
  if (!shared) return undefined;
  for (let index = 0; index < NAMESPACE_POOL_SIZE; index++) {
    if (claimInRun(String(index))) return { address: shared.address, namespace: poolNamespace(index) };
  }
  return undefined;
}

/**
 * A Temporal environment for one end-to-end file. `npm test`: a namespace of its own on the dev server the run
 * shares (a dev server of its own when the pool is used up, or outside vitest); `npm run test:cluster`: the cluster
 * its global set-up started. Its `teardown()` stops only what is the file's own.
 */
export async function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  if (temporalTarget() === 'cluster') return createClusterEnv();
  const claimed = claimSharedNamespace();
  if (claimed) return TestWorkflowEnvironment.createFromExistingServer(claimed);
  return TestWorkflowEnvironment.createLocal(devServerOptions());
}

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executable(TEMPORAL_TEST_SERVER) },
  });
  await addSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

export function cliPath(): string | undefined {
  return findBinary(TEMPORAL_CLI, { installDir })?.path;
}
