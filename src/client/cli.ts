/**
 * The `pulse` executable: `npx pulse <command> ...` in the repository (or `npm run pulse -- ...`), which run it from
 * its bundle (scripts/run-bundled.mjs); an installed client package runs its build.
 */
import { runCli } from './cli-app.js';
import { discoverService } from './discovery.js';

// `pulse list | head`: a reader that stops early closes the pipe. Like any shell tool, stop quietly (there is no
// one left to tell), instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  discover: () => discoverService(process.env, process.cwd()),
});
