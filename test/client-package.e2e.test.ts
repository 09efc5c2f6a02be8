/**
 * The client package as another project gets it: `npm pack -w packages/client` (which builds its dist/ first),
 * `npm install <tarball>` into an empty project (its dependencies from the registry), then
 * `import { PulseClient } from 'pulse/client'` in plain Node (no tsx) and the installed `pulse` bin, both against a
 * live Pulse. The package declares exactly the packages its code imports at run time: none of the service's.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';
import { startPulse, type PulseUnderTest } from './helpers/pulse.js';
import { createDevServerEnv } from './helpers/temporal.js';

const run = promisify(execFile);

/**
 * The packages the modules reachable from `entries` import when they run (static and dynamic imports, relative ones
 * followed; tsc has already erased type-only imports), by package name, sorted.
 */
function runtimeImports(root: string, entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\('([^']+)'\)/g,
    )) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:'))
        packages.add(
          spec
            .split('/')
            .slice(0, spec.startsWith('@') ? 2 : 1)
            .join('/'),
        );
    }
  };
  for (const entry of entries) visit(path.join(root, entry));
  expect(seen.size).toBeGreaterThan(entries.length);
  return [...packages].sort();
}
const npmEnv = { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: 'false', NPM_CONFIG_FUND: 'false' };

let env: TestWorkflowEnvironment;
let pulse: PulseUnderTest;
let project: string;

beforeAll(async () => {
  env = await createDevServerEnv();
  pulse = await startPulse(env);
  project = mkdtempSync(path.join(os.tmpdir(), 'pulse-client-package-'));
}, 120_000);

afterAll(async () => {
  await pulse?.stop();
  await env?.teardown();
  if (project) rmSync(project, { recursive: true, force: true });
});

it('npm pack gives a package another project installs and uses: the typed client and the pulse bin', async () => {
  await run('npm', ['pack', '-w', 'packages/client', '--pack-destination', project], {
    cwd: PROJECT_ROOT,
    env: npmEnv,
  });
  const tarball = readdirSync(project).find((name) => name.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'uses-pulse', version: '1.0.0', type: 'module', private: true }),
  );
  await run('npm', ['install', '--no-audit', '--prefer-offline', '--ignore-scripts', `./${tarball}`], {
    cwd: project,
    env: npmEnv,
    maxBuffer: 16 * 1024 * 1024,
  });

  writeFileSync(
    path.join(project, 'use.mjs'),
    `import { PulseClient, PulseValidationError } from 'pulse/client';
const client = new PulseClient({ baseUrl: process.argv[2] });
const { task_id } = await client.scheduleHttp({ url: 'https://example.com/hook', when: 'in 1 hour' });
const task = await client.get(task_id);
let refused = '';
try { await client.scheduleHttp({ url: 'https://example.com/hook', when: 'at teatime' }); }
catch (err) { refused = err instanceof PulseValidationError || err.status === 400 ? err.code : 'other'; }
await client.cancel(task_id);
console.log(JSON.stringify({ task_id, status: task.status, refused }));
`,
  );
  const used = await run(process.execPath, ['use.mjs', pulse.baseUrl], { cwd: project });
  const outcome = JSON.parse(used.stdout.trim()) as { task_id: string; status: string; refused: string };
  expect(outcome.task_id).toMatch(/^task_/);
  expect(outcome.status).toBe('active');
  expect(outcome.refused).not.toBe('');

  // What it installed: the client and what its code imports, nothing of the service (Temporal, Hono, ...).
  const installed = path.join(project, 'node_modules', 'pulse');
  const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const imported = runtimeImports(installed, ['dist/client/index.js', 'dist/client/cli.js']);
  expect(Object.keys(manifest.dependencies).sort()).toEqual(imported);
  expect(readdirSync(path.join(project, 'node_modules')).filter((n) => n.startsWith('@temporalio'))).toEqual(
    [],
  );

  const bin = path.join(project, 'node_modules', '.bin', 'pulse');
  const listed = await run(bin, ['get', outcome.task_id, '--json', '--url', pulse.baseUrl], { cwd: project });
  expect(JSON.parse(listed.stdout)).toMatchObject({ id: outcome.task_id, status: 'cancelled' });
}, 600_000);
