/**
 * docs/configuration.md lists every environment variable the code reads: `loadConfig`, the command-line tools,
 * the scripts and the binaries' locators. The names are read from the source (every `env.NAME`, `env?.NAME`,
 * `(env, 'NAME'` and `envVar: 'NAME'`), so a new variable without a row here fails this test.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';

/** Variables of the platform, not of Pulse. */
const NOT_OURS = new Set(['PATH', 'PYTHONPATH', 'HOME', 'INIT_CWD', 'NODE_ENV']);
const READS = [
  /\benv\??\.([A-Z][A-Z0-9_]+)\b/g,
  /\(env, '([A-Z][A-Z0-9_]+)'/g,
  /\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g,
  /envVar: '([A-Z][A-Z0-9_]+)'/g,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return /\.(ts|mts|js|mjs)$/.test(name) ? [file] : [];
  });
}

export function variablesReadBy(files: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of READS) {
      for (const [, name] of text.matchAll(pattern)) {
        if (!NOT_OURS.has(name!) && !found.has(name!)) found.set(name!, path.relative(PROJECT_ROOT, file));
      }
    }
  }
  return found;
}

function documented(): Set<string> {
  const text = readFileSync(path.join(PROJECT_ROOT, 'docs', 'configuration.md'), 'utf8');
  // The first cell of each table row.
  return new Set([...text.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]!));
}

it('docs/configuration.md has a row for every environment variable the code reads', () => {
  const files = [
    ...sourceFiles(path.join(PROJECT_ROOT, 'src')),
    ...sourceFiles(path.join(PROJECT_ROOT, 'scripts')),
    ...sourceFiles(path.join(PROJECT_ROOT, 'activities')),
  ];
  const read = variablesReadBy(files);
  // The parse finds what loadConfig reads (a sanity check that the patterns still match the code's style).
  for (const name of [
    'TEMPORAL_ADDRESS',
    'PULSE_ALLOW_PRIVATE_NETWORKS',
    'PULSE_WORKER_METRICS_PORT',
    'PULSE_URL',
  ])
    expect(read.has(name), name).toBe(true);
  const rows = documented();
  const missing = [...read]
    .filter(([name]) => !rows.has(name))
    .map(([name, file]) => `${name} (read in ${file})`);
  expect(missing, 'variables read by the code but not in docs/configuration.md').toEqual([]);
  // And no row for a variable nothing reads any more (the OpenTelemetry SDK's own are read by that library).
  const stale = [...rows].filter((name) => !read.has(name) && !name.startsWith('OTEL_'));
  expect(stale, 'rows in docs/configuration.md for variables nothing reads').toEqual([]);
});
