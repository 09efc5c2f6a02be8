#!/usr/bin/env node
/**
 * Runs one of Pulse's TypeScript entry points: `node scripts/run-bundled.mjs src/main/api.ts [args…]`.
 *
 * The entry and Pulse's own sources it imports are bundled by esbuild into `.pulse-build/` (git-ignored) and the
 * bundle is imported; packages stay outside it and load as Node loads them. The bundle is rebuilt only when a
 * source it was made from changed (size or modification time), which takes about a third of a second. Loading the
 * service through tsx's loader costs about 1.5 CPU seconds a process, since every module Node loads passes through
 * its hooks; the bundle about 0.7 (BENCHMARKS.md, "The test suite's own time").
 *
 * Where the bundle cannot be written (an install the user may not write to), the entry runs through tsx instead:
 * the same code, started more slowly.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(ROOT, '.pulse-build');
// Files that change what esbuild makes of the sources without being among them.
const SETTINGS = ['tsconfig.json', 'package.json', 'scripts/run-bundled.mjs'];

/** `.pulse-build/src__main__api.mjs` for `src/main/api.ts`. */
function bundleFor(entry) {
  const name = path
    .relative(ROOT, entry)
    .replace(/\.[cm]?tsx?$/, '')
    .split(path.sep)
    .join('__');
  return path.join(OUT_DIR, `${name}.mjs`);
}

function stamp(file) {
  const stat = statSync(path.join(ROOT, file));
  return [stat.size, stat.mtimeMs];
}

/** True when every file the bundle was made from is as it was then. */
function isFresh(bundle) {
  try {
    statSync(bundle);
    const made = JSON.parse(readFileSync(`${bundle}.inputs.json`, 'utf8'));
    return Object.entries(made).every(([file, [size, mtimeMs]]) => {
      const [nowSize, nowMtimeMs] = stamp(file);
      return nowSize === size && nowMtimeMs === mtimeMs;
    });
  } catch {
    return false;
  }
}

/** Writes `file` whole or not at all: a process starting meanwhile reads the old one or the new one. */
function replace(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

/**
 * Each source keeps its own `import.meta.url` (and `dirname`, `filename`) in the bundle, so code that finds files
 * beside it (src/project-root.ts, the local executor's Python runner) finds them as it does when run unbundled.
 */
const ownLocation = {
  name: 'own-location',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?tsx?$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const own = {
        url: JSON.stringify(pathToFileURL(args.path).href),
        dirname: JSON.stringify(path.dirname(args.path)),
        filename: JSON.stringify(args.path),
      };
      const contents = readFileSync(args.path, 'utf8').replace(
        /\bimport\.meta\.(url|dirname|filename)\b/g,
        (_, key) => own[key],
      );
      return { contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
    });
  },
};

async function build(entry, bundle) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: bundle,
    write: false,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [ownLocation],
  });
  mkdirSync(OUT_DIR, { recursive: true });
  const inputs = Object.fromEntries(
    [...Object.keys(result.metafile.inputs), ...SETTINGS].map((file) => [file, stamp(file)]),
  );
  // The map first and the list of inputs last, so a bundle is taken as fresh only once it is all there.
  for (const output of result.outputFiles.sort((a) => (a.path.endsWith('.map') ? -1 : 1))) {
    replace(output.path, output.contents);
  }
  replace(`${bundle}.inputs.json`, JSON.stringify(inputs));
}

/**
 * Imports `entry` (a TypeScript file of this project) from its bundle, made or remade first when needed, as if Node
 * had been started on it with `args`.
 */
export async function runBundled(entry, args) {
  const bundle = bundleFor(entry);
  process.argv = [process.argv[0], entry, ...args];
  let ready = isFresh(bundle);
  if (!ready) {
    try {
      await build(entry, bundle);
      ready = true;
    } catch (err) {
      if (!['EACCES', 'EPERM', 'EROFS'].includes(err?.code)) throw err;
    }
  }
  if (!ready) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(entry).href);
    return;
  }
  // Stack traces name the TypeScript sources, as they do under tsx.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(bundle).href);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [entry, ...args] = process.argv.slice(2);
  if (!entry) {
    process.stderr.write('usage: node scripts/run-bundled.mjs <entry.ts> [args…]\n');
    process.exit(2);
  }
  await runBundled(path.resolve(ROOT, entry), args);
}
