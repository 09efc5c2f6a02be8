/**
 * The SSRF guard with the real system resolver, in a network namespace that has only loopback (and, in a
 * private mount namespace, an /etc/hosts mapping test names to blocked addresses). There the guard can be
 * pointed at 169.254.169.254, 10.0.0.1 and [::1] for real: even a broken guard could reach no network.
 * Needs `unshare` (util-linux) and root; without them this test fails, it does not skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const probe = fileURLToPath(new URL('./fixtures/ssrf/netns-probe.ts', import.meta.url));
const hostsFile = fileURLToPath(new URL('./fixtures/ssrf/hosts', import.meta.url));

interface ProbeReport {
  readonly interfaces: string[];
  readonly resolved: Record<string, string[]>;
  readonly outcomes: Array<{ url: string; check: string; fetch: string }>;
  readonly unguarded: string;
  readonly failures: string[];
}

function requireTool(command: string, args: string[], why: string): void {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.error || result.status !== 0) {
    throw new Error(
      `'${command}' is required for this test (${why}) but could not be run: ` +
        `${result.error?.message ?? `exit status ${result.status}`}. Install util-linux/iproute2 and run as root.`,
    );
  }
}

function runInNamespace(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Positional arguments, so no path is ever spliced into the shell text.
  const script = 'ip link set lo up && mount --bind "$1" /etc/hosts && exec "$2" --import tsx "$3"';
  const child = spawn('unshare', ['-n', '-m', 'sh', '-c', script, 'sh', hostsFile, process.execPath, probe], {
    cwd: projectRoot,
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

it('refuses metadata, private and loopback destinations with the real resolver, in a loopback-only namespace', async () => {
  requireTool('unshare', ['--version'], 'it isolates the probe in its own network namespace');
  requireTool('ip', ['-V'], 'it brings up loopback inside the namespace');

  const { code, stdout, stderr } = await runInNamespace();
  expect(code, `probe exited ${code}\nstdout: ${stdout}\nstderr: ${stderr}`).toBe(0);
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ProbeReport;

  expect(report.failures).toEqual([]);
  expect(report.interfaces).toEqual(['lo']);
  expect(report.resolved).toEqual({
    'intranet.pulse.test': ['10.0.0.1'],
    'metadata-alias.pulse.test': ['169.254.169.254'],
    'loopback6.pulse.test': ['::1'],
  });
  const byUrl = Object.fromEntries(report.outcomes.map((o) => [o.url, o]));
  expect(byUrl['http://169.254.169.254/latest/meta-data/']).toMatchObject({
    check: 'refused: 169.254.169.254 is a link-local / cloud-metadata address',
    fetch: 'refused: 169.254.169.254 is a link-local / cloud-metadata address',
  });
  expect(byUrl['http://10.0.0.1/']?.check).toMatch(/^refused: 10\.0\.0\.1 is a private/);
  expect(byUrl['http://[::1]/']?.check).toMatch(/^refused: ::1 is a loopback address/);
  expect(byUrl['http://intranet.pulse.test/']?.fetch).toMatch(/resolves to 10\.0\.0\.1, which is a private/);
  expect(byUrl['http://metadata-alias.pulse.test/computeMetadata/v1/']?.check).toMatch(
    /resolves to 169\.254\.169\.254, which is a link-local \/ cloud-metadata/,
  );
  expect(byUrl['http://loopback6.pulse.test/']?.fetch).toMatch(/resolves to ::1, which is a loopback/);
  for (const outcome of report.outcomes) {
    expect(outcome.check, outcome.url).toMatch(/^refused: /);
    expect(outcome.fetch, outcome.url).toMatch(/^refused: /);
  }
  // The same fetch with the allowance on fails only for want of a route, so the refusals were the guard's.
  expect(report.unguarded).toBe('error: ENETUNREACH');
});
