/**
 * The image bundles the sources at its first start (scripts/run-bundled.mjs), so every project folder the code reads at run time must be copied
 * into it: a folder the code resolves from PROJECT_ROOT, or imports across, that the Dockerfile leaves out is a
 * feature that works under `npm start` and fails in the container (the dashboard once did).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : file.endsWith('.ts') ? [file] : [];
  });
}

it('copies every folder the running code reads from the project root or imports from', () => {
  const copied = [
    ...readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8').matchAll(/^COPY (\S+) \.\/\1$/gm),
  ].map((m) => m[1]!);
  const needed = new Set(['src']);
  for (const file of filesUnder(path.join(PROJECT_ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/PROJECT_ROOT, '([\w-]+)'/g))
      if (m[1] !== 'node_modules') needed.add(m[1]!);
    for (const m of text.matchAll(/from '((?:\.\.\/)+)([\w-]+)\//g)) {
      const target = path.relative(PROJECT_ROOT, path.resolve(path.dirname(file), m[1]!, m[2]!));
      if (!target.startsWith('..') && !target.includes(path.sep)) needed.add(target);
    }
  }
  expect([...needed].sort()).toEqual(expect.arrayContaining(['dashboard', 'workflows']));
  expect([...needed].filter((folder) => !copied.includes(folder))).toEqual([]);
});

it("copies each npm workspace's package.json before npm install, which needs them to match the lock file", () => {
  const dockerfile = readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const workspaces = (
    JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { workspaces?: string[] }
  ).workspaces;
  expect(workspaces?.length).toBeGreaterThan(0);
  const install = dockerfile.indexOf('RUN npm install');
  for (const workspace of workspaces!) {
    const copy = dockerfile.indexOf(`COPY ${workspace}/package.json ./${workspace}/`);
    expect(copy, workspace).toBeGreaterThan(-1);
    expect(copy, workspace).toBeLessThan(install);
  }
});
