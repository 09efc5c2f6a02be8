/** `pulse tenants` on a tenants file: keys printed once and stored hashed, rotation, limits, precise refusals. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/client/cli-app.js';
import { loadTenantRegistry } from '../src/tenants/tenant-registry.js';
import { until } from './helpers/wait.js';

async function pulse(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: {},
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

describe('pulse tenants', () => {
  it('adds a tenant whose printed key the registry accepts; rotates and revokes; sets limits', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pulse-tenants-cli-')), 'tenants.json');
    const added = await pulse(
      'tenants',
      'add',
      'acme',
      '--file',
      file,
      '--requests-per-minute',
      '100',
      '--json',
    );
    expect(added.code, added.stderr).toBe(0);
    const { key } = JSON.parse(added.stdout) as { key: string };
    expect(key).toMatch(/^pulse_[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(file, 'utf8')).not.toContain(key);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const registry = loadTenantRegistry({ file });
    try {
      expect(registry.identify(key)).toMatchObject({ admin: false, tenant: { id: 'acme' } });
      const rotated = await pulse('tenants', 'rotate', 'acme', '--file', file, '--json');
      const next = (JSON.parse(rotated.stdout) as { key: string }).key;
      registry.reload();
      expect(registry.identify(key)).toBeDefined();
      expect(registry.identify(next)).toBeDefined();
      await pulse('tenants', 'rotate', 'acme', '--file', file, '--revoke-old', '--json');
      registry.reload();
      expect(registry.identify(key)).toBeUndefined();
      expect(registry.identify(next)).toBeUndefined();

      expect((await pulse('tenants', 'limits', 'acme', '--file', file, '--active-tasks', '5')).code).toBe(0);
      registry.reload();
      expect(registry.tenant('acme')?.limits).toEqual({ requests_per_minute: 100, active_tasks: 5 });
      const listed = await pulse('tenants', 'list', '--file', file);
      expect(listed.stdout).toContain('acme: 1 key, limits {"requests_per_minute":100,"active_tasks":5}');
    } finally {
      registry.close();
    }
  });

  it('every change `pulse tenants` makes is picked up by itself, not only the first (it replaces the file)', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pulse-tenants-cli-')), 'tenants.json');
    const added = await pulse('tenants', 'add', 'acme', '--file', file, '--json');
    const { key } = JSON.parse(added.stdout) as { key: string };
    const registry = loadTenantRegistry({ file });
    try {
      for (const activeTasks of [1, 12, 3]) {
        await pulse('tenants', 'limits', 'acme', '--file', file, '--active-tasks', String(activeTasks));
        await until(`active_tasks ${activeTasks} read`, async () =>
          registry.tenant('acme')?.limits?.active_tasks === activeTasks ? true : undefined,
        );
      }
      await pulse('tenants', 'rotate', 'acme', '--file', file, '--revoke-old');
      await until('the revoked key refused', async () => (registry.identify(key) ? undefined : true));
    } finally {
      registry.close();
    }
  });

  it('SIGHUP reads the file again; a broken file keeps the last good registry and says why', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pulse-tenants-cli-')), 'tenants.json');
    const added = await pulse('tenants', 'add', 'bravo', '--file', file, '--json');
    const { key } = JSON.parse(added.stdout) as { key: string };
    const errors: string[] = [];
    const registry = loadTenantRegistry({ file, onError: (err) => errors.push(err.message) });
    try {
      writeFileSync(file, '{"tenants": [ {"id": "x"');
      process.emit('SIGHUP');
      expect(errors.at(-1)).toMatch(/^cannot read the tenants file .*tenants\.json: /);
      expect(registry.identify(key)).toMatchObject({ tenant: { id: 'bravo' } });
      writeFileSync(file, JSON.stringify({ tenants: [{ id: 'solo', keys: [`sha256:${'0'.repeat(64)}`] }] }));
      process.emit('SIGHUP');
      expect(registry.identify(key)).toBeUndefined();
      expect(registry.tenants().map((t) => t.id)).toEqual(['solo']);
    } finally {
      registry.close();
    }
  });

  it('refuses what it cannot do, with the reason', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pulse-tenants-cli-')), 'tenants.json');
    const noFile = await pulse('tenants', 'list');
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('Name the tenants file: --file PATH, or set PULSE_TENANTS_FILE.');
    expect((await pulse('tenants', 'add', 'acme', '--file', file)).code).toBe(0);
    const again = await pulse('tenants', 'add', 'acme', '--file', file);
    expect(again.stderr).toContain("Tenant 'acme' exists already.");
    const bad = await pulse('tenants', 'add', 'Not A Name', '--file', file);
    expect(bad.stderr).toContain(
      "The tenant id 'Not A Name' must be lower-case letters, digits, _ and - (at most 63).",
    );
    const missing = await pulse('tenants', 'rotate', 'nobody', '--file', file);
    expect(missing.stderr).toContain("There is no tenant 'nobody'");
    expect(missing.code).toBe(3);
  });
});
