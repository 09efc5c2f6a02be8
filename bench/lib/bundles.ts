/**
 * Workflow bundles, built once per benchmark run and shared by every worker it starts: webpack on a 2-core
 * machine takes seconds, which would otherwise be paid (and measured as noise) for each worker.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKFLOWS_PATH } from '../../src/temporal/worker.js';

export interface WorkflowBundles {
  /** Pulse's `workflows/index.ts`. */
  readonly pulse: string;
  /** `bench/baseline/workflows.ts`. */
  readonly baseline: string;
}

const BASELINE_WORKFLOWS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'baseline',
  'workflows.ts',
);

let built: Promise<WorkflowBundles> | undefined;

async function bundleTo(dir: string, name: string, workflowsPath: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const file = path.join(dir, `${name}.js`);
  writeFileSync(file, code);
  return file;
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

export function workflowBundles(): Promise<WorkflowBundles> {
  built ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-bench-bundles-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const [pulse, baseline] = await Promise.all([
      bundleTo(dir, 'pulse', WORKFLOWS_PATH),
      bundleTo(dir, 'baseline', BASELINE_WORKFLOWS),
    ]);
    return { pulse, baseline };
  })();
  return built;
}
