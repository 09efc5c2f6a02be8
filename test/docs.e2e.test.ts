/**
 * Every shell example in the README and docs/ runs as printed against a live Pulse started as `npm start` starts it
 * (only the ports differ), and prints what the page says it prints (`# → …`). The run happens in a network namespace
 * with only loopback (`unshare -n`, root), so examples naming public URLs reach nothing. Blocks marked `norun` are
 * listed here with the reason they cannot run in a test.
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';

/** Each ```sh norun block (its page and the start of its first line), and why it is not run. */
const NOT_RUN: ReadonlyArray<readonly [page: string, starts: string, why: string]> = [
  ['README.md', 'npm install && npm start', 'the quick start itself: the test starts the service exactly so'],
  ['README.md', 'npm run check', 'the checks of the repository, not an example against a service'],
  ['docs/callbacks.md', 'PULSE_WEBHOOK_SECRET=whsec_...', 'a receiver that runs until it is stopped'],
  [
    'docs/cli-and-client.md',
    'npm pack -w packages/client',
    'packs the client package: test/client-package.e2e.test.ts does it',
  ],
  [
    'docs/executors-and-agents.md',
    'runagent config',
    'a registered runagent agent: test/agent-executors.e2e.test.ts',
  ],
  [
    'docs/executors-and-agents.md',
    'PULSE_EXECUTORS_MODULE=',
    'a second service: test/agent-executors.e2e.test.ts',
  ],
  [
    'docs/observability.md',
    'docker run',
    'Docker and Jaeger: test/tracing.e2e.test.ts uses a local OTLP receiver',
  ],
];

interface Report {
  readonly ran: Array<{ file: string; line: number; ok: boolean; problems: string[]; output: string }>;
  readonly skipped: Array<{ file: string; line: number; first: string }>;
  readonly serviceOutput: string;
}

function runInLoopbackNamespace(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = 'ip link set lo up && exec "$1" --import tsx test/helpers/run-doc-examples.ts';
  const child = spawn('unshare', ['-n', 'sh', '-c', script, 'sh', process.execPath], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('every shell example of the README and docs/ runs as printed against npm start', async () => {
  const { code, stdout, stderr } = await runInLoopbackNamespace();
  expect(code, `runner exited ${code}\n${stderr.slice(-3000)}`).toBe(0);
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Report;
  const failures = report.ran
    .filter((block) => !block.ok)
    .map((block) => `${block.file}:${block.line}: ${block.problems.join('; ')}\n${block.output}`);
  expect(failures, report.serviceOutput).toEqual([]);
  expect(report.ran.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(4);
  const unexplained = report.skipped.filter(
    (s) => !NOT_RUN.some(([page, starts]) => page === s.file && s.first.startsWith(starts)),
  );
  expect(unexplained, 'norun blocks without a reason in NOT_RUN').toEqual([]);
  expect(report.skipped.length).toBe(NOT_RUN.length);
}, 900_000);
