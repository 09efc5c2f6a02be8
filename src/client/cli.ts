/** The `pulse` executable: `node --import tsx src/client/cli.ts <command> ...` (or `npm run pulse -- ...`). */
import { runCli } from './cli-app.js';
import { discoverService } from './discovery.js';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  discover: () => discoverService(process.env, process.cwd()),
});
