/**
 * The `pulse` CLI for tests: `runCliInProcess` calls `runCli`, the function the executable runs, in this process
 * (a child process costs about half a CPU second to start); `runCliProcess` runs a real child process, for what only
 * a shell sees (the package bin, exit codes of a process).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { runCli } from '../../src/client/cli-app.js';
import { discoverService } from '../../src/client/discovery.js';
import { PROJECT_ROOT } from '../../src/project-root.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type CliEnv = Record<string, string | undefined>;

const CLI = path.join(PROJECT_ROOT, 'src', 'client', 'cli.ts');

/** As `src/client/cli.ts` runs it from the project folder, with `env` as its whole environment. */
export async function runCliInProcess(args: readonly string[], env: CliEnv): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    discover: () => discoverService(env, PROJECT_ROOT),
  });
  return { code, stdout, stderr };
}

/** A child process (asynchronously: the test's own process may serve the API it talks to); `entry` is node's args. */
export function runCliProcess(
  args: readonly string[],
  env: CliEnv,
  entry: readonly string[] = [path.join(PROJECT_ROOT, 'scripts', 'run-bundled.mjs'), CLI],
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...entry, ...args],
      { cwd: PROJECT_ROOT, env, timeout: 90_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
