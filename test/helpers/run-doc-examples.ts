/**
 * Starts Pulse as `npm start` does (free ports, a fresh data folder) and runs every shell example of the README and
 * docs/ against it, as printed except for the ports; prints one JSON report as its last line. Run by
 * test/docs.e2e.test.ts inside a network namespace with only loopback, so an example that names a public URL
 * cannot reach it whatever the code does.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { runBlocks, shellBlocks, type BlockOutcome } from './doc-examples.js';
import { freePort, startService, stopService } from './service.js';

/**
 * docs/deployment.md builds and runs a whole production-shaped cluster (minutes, fixed ports, the shared `.cluster/`
 * folder); test/cluster/ runs those steps itself.
 */
const TESTED_ELSEWHERE = new Set(['deployment.md']);

const pages = [
  path.join(PROJECT_ROOT, 'README.md'),
  ...readdirSync(path.join(PROJECT_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md') && !TESTED_ELSEWHERE.has(name))
    .sort()
    .map((name) => path.join(PROJECT_ROOT, 'docs', name)),
];

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pulse-docs-'));
const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
const env = {
  PORT: String(port),
  TEMPORAL_PORT: String(temporalPort),
  TEMPORAL_UI_PORT: String(uiPort),
  PULSE_DATA_DIR: dataDir,
  PULSE_WORKER_METRICS_PORT: '0',
  PULSE_LOG_LEVEL: 'warn',
};
const service = await startService(env);
const report: Array<{
  file: string;
  line: number;
  ok: boolean;
  problems: readonly string[];
  output: string;
}> = [];
const skipped: Array<{ file: string; line: number; first: string }> = [];
try {
  for (const page of pages) {
    const blocks = shellBlocks(page);
    for (const block of blocks.filter((b) => !b.run))
      skipped.push({ file: block.file, line: block.line, first: block.code.split('\n')[0]! });
    const runnable = blocks.filter((b) => b.run);
    if (runnable.length === 0) continue;
    const outcomes: BlockOutcome[] = await runBlocks(runnable, {
      cwd: PROJECT_ROOT,
      // The user's shell, with the service's data folder, so `pulse` and `npm run temporal` find it themselves;
      // no PULSE_URL or TEMPORAL_ADDRESS.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PULSE_DATA_DIR: dataDir,
        NPM_CONFIG_UPDATE_NOTIFIER: 'false',
        NPM_CONFIG_FUND: 'false',
      },
      rewrite: (code) =>
        code
          .replaceAll('localhost:8000', `127.0.0.1:${port}`)
          .replaceAll('localhost:8233', `127.0.0.1:${uiPort}`),
    });
    for (const outcome of outcomes) {
      report.push({
        file: path.relative(PROJECT_ROOT, outcome.block.file),
        line: outcome.block.line,
        ok: outcome.problems.length === 0,
        problems: outcome.problems,
        output: outcome.output.slice(-3000),
      });
    }
    const ran = outcomes.length;
    for (const block of runnable.slice(ran)) {
      report.push({
        file: path.relative(PROJECT_ROOT, block.file),
        line: block.line,
        ok: false,
        problems: ['not run: an earlier block on the page failed'],
        output: '',
      });
    }
  }
} finally {
  await stopService(service);
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(
  JSON.stringify({
    ran: report,
    skipped: skipped.map((s) => ({ ...s, file: path.relative(PROJECT_ROOT, s.file) })),
    serviceOutput: service.output.join('').slice(-4000),
  }),
);
