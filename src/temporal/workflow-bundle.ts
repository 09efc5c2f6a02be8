/**
 * The workflow bundle, built once and reused (the samples' `production/` shape). Bundling the workflow code with
 * webpack costs a few seconds of CPU at every worker start; the bundle depends only on the workflow sources, the
 * Node-free shared code they import, the SDK's version and the interceptor modules, so it is cached under a hash of
 * exactly those. A changed source gives a new hash, hence a new bundle: a stale one is never loaded.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../project-root.js';

/** Folders whose files go into the bundle (workflows import nothing else of ours: lint enforces it). */
const SOURCES = ['workflows', path.join('src', 'shared')];

export interface WorkflowBundleOptions {
  readonly workflowsPath: string;
  /** Workflow interceptor modules (tracing), bundled with the workflows. */
  readonly interceptorModules?: readonly string[];
  /** Where bundles are kept; default `node_modules/.cache/pulse-workflows`. */
  readonly cacheDir?: string;
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** A hash of everything the bundle is made of. */
function bundleKey(options: WorkflowBundleOptions): string {
  const hash = createHash('sha256');
  const sdk = JSON.parse(
    readFileSync(path.join(PROJECT_ROOT, 'node_modules', '@temporalio', 'worker', 'package.json'), 'utf8'),
  ) as { version: string };
  hash.update(`sdk ${sdk.version}\nentry ${path.relative(PROJECT_ROOT, options.workflowsPath)}\n`);
  for (const module of options.interceptorModules ?? []) hash.update(`interceptor ${module}\n`);
  for (const folder of SOURCES) {
    for (const file of filesUnder(path.join(PROJECT_ROOT, folder))) {
      hash.update(`${path.relative(PROJECT_ROOT, file)}\n`).update(readFileSync(file));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** The path of a bundle of the current workflow code, building it first when none is cached. */
export async function workflowBundlePath(options: WorkflowBundleOptions): Promise<string> {
  const dir = options.cacheDir ?? path.join(PROJECT_ROOT, 'node_modules', '.cache', 'pulse-workflows');
  const file = path.join(dir, `workflows-${bundleKey(options)}.js`);
  if (existsSync(file)) return file;
  const { code } = await bundleWorkflowCode({
    workflowsPath: options.workflowsPath,
    workflowInterceptorModules: [...(options.interceptorModules ?? [])],
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: two workers starting together never read half a bundle.
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, code);
  renameSync(partial, file);
  return file;
}
