/** Real Temporal servers for tests: the dev server for end-to-end runs, the time-skipping server for long sleeps. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { PULSE_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes.js';
import {
  TEMPORAL_CLI,
  TEMPORAL_TEST_SERVER,
  defaultInstallDir,
  findBinary,
} from '../../src/temporal/binaries.js';
import { devServerDynamicConfig } from '../../src/temporal/dev-server.js';
import { addSearchAttributes } from '../../src/temporal/search-attributes-setup.js';
import { createClusterEnv, temporalTarget } from './target.js';

const installDir = defaultInstallDir(PROJECT_ROOT);

/** The provisioned binary (npm test's pretest step installs it), or the SDK's download as a last resort. */
function executable(spec: typeof TEMPORAL_CLI) {
  const found = findBinary(spec, { installDir });
  return found ? { type: 'existing-path' as const, path: found.path } : { type: 'cached-download' as const };
}

export async function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  // `npm run test:cluster`: the cluster its global set-up started, shared by every file, instead of a dev server.
  if (temporalTarget() === 'cluster') return createClusterEnv();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: executable(TEMPORAL_CLI),
      searchAttributes: PULSE_SEARCH_ATTRIBUTES,
      extraArgs: devServerDynamicConfig().flatMap((value) => ['--dynamic-config-value', value]),
    },
  });
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
