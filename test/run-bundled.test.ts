/**
 * scripts/run-bundled.mjs, which `npm start`, `npm run api|worker` and the repository's `npx pulse` go through: the
 * entry runs from an esbuild bundle that follows its sources, each source keeps its own `import.meta.url`, and an
 * entry whose bundle cannot be written still runs (through tsx).
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';

const run = promisify(execFile);
const LAUNCHER = path.join(PROJECT_ROOT, 'scripts', 'run-bundled.mjs');
// Inside the project, as Pulse's own entry points are (its bundles are kept beside them, in .pulse-build/).
mkdirSync(path.join(PROJECT_ROOT, '.pulse-build'), { recursive: true });
const dir = mkdtempSync(path.join(PROJECT_ROOT, '.pulse-build', 'test-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  // And the bundles made of its entries, beside Pulse's own.
  const prefix = path.relative(PROJECT_ROOT, dir).split(path.sep).join('__');
  for (const name of readdirSync(path.join(PROJECT_ROOT, '.pulse-build'))) {
    if (name.startsWith(prefix))
      rmSync(path.join(PROJECT_ROOT, '.pulse-build', name), { recursive: true, force: true });
  }
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

async function runEntry(entry: string, args: string[] = [], prefix: string[] = []) {
  const { stdout } = await run(...launch(prefix, [LAUNCHER, path.relative(PROJECT_ROOT, entry), ...args]));
  return JSON.parse(stdout) as Record<string, unknown>;
}

function launch(prefix: string[], args: string[]): [string, string[], { cwd: string }] {
  return prefix.length
    ? [prefix[0]!, [...prefix.slice(1), process.execPath, ...args], { cwd: PROJECT_ROOT }]
    : [process.execPath, args, { cwd: PROJECT_ROOT }];
}

/** `.pulse-build/<name>.json`, which names the entry's current build. */
const pointerOf = (entry: string) =>
  path.join(
    PROJECT_ROOT,
    '.pulse-build',
    `${path.relative(PROJECT_ROOT, entry).replace(/\.ts$/, '').split(path.sep).join('__')}.json`,
  );

/** The folder of the entry's current build. */
function buildOf(entry: string): string {
  const pointer = JSON.parse(readFileSync(pointerOf(entry), 'utf8')) as { build: string };
  return path.join(PROJECT_ROOT, '.pulse-build', pointer.build);
}

it('runs the entry from a bundle, with its arguments, and remakes the bundle when a source changes', async () => {
  write('lib/value.ts', 'export const value: number = 1;\n');
  const entry = write(
    'entry.ts',
    [
      "import { value } from './lib/value.js';",
      "import { here } from './lib/here.js';",
      'console.log(JSON.stringify({ value, argv: process.argv.slice(1), entryUrl: import.meta.url, here }));',
    ].join('\n'),
  );
  write('lib/here.ts', 'export const here = import.meta.url;\n');

  const first = await runEntry(entry, ['--flag', 'x']);
  expect(first).toEqual({
    value: 1,
    argv: [entry, '--flag', 'x'],
    entryUrl: pathToFileURL(entry).href,
    here: pathToFileURL(path.join(dir, 'lib', 'here.ts')).href,
  });
  const made = buildOf(entry);

  // Unchanged sources: the same build.
  expect((await runEntry(entry)).value).toBe(1);
  expect(buildOf(entry)).toBe(made);

  write('lib/value.ts', 'export const value: number = 22;\n');
  expect((await runEntry(entry)).value).toBe(22);
  expect(buildOf(entry)).not.toBe(made);
});

it('keeps a module the code imports only when needed out of the main bundle, loaded when asked for', async () => {
  write('lazy/heavy.ts', 'export const heavy = "loaded";\n');
  const entry = write(
    'lazy/entry.ts',
    [
      "const { heavy } = process.argv[2] === 'load' ? await import('./heavy.js') : { heavy: 'not loaded' };",
      'console.log(JSON.stringify({ heavy }));',
    ].join('\n'),
  );
  expect(await runEntry(entry)).toEqual({ heavy: 'not loaded' });
  expect(readFileSync(path.join(buildOf(entry), 'main.mjs'), 'utf8')).not.toContain('"loaded"');
  expect(await runEntry(entry, ['load'])).toEqual({ heavy: 'loaded' });
});

it('runs the entry through tsx when its bundle cannot be written', async () => {
  const entry = write('readonly/entry.ts', "console.log(JSON.stringify({ through: 'x' as string }));\n");
  // A read-only view of .pulse-build for the child alone (a mount namespace: root here, as the netns tests are).
  const readOnly = [
    'unshare',
    '-m',
    'sh',
    '-c',
    `mount --bind -o ro "$0" "$0" && exec "$@"`,
    path.join(PROJECT_ROOT, '.pulse-build'),
  ];
  expect(await runEntry(entry, [], readOnly)).toEqual({ through: 'x' });
  expect(existsSync(pointerOf(entry))).toBe(false);
});
