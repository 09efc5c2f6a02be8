#!/usr/bin/env node
/**
 * Runs one of Pulse's TypeScript entry points: `node scripts/run-bundled.mjs src/main/api.ts [args…]`.
 *
 * The entry and Pulse's own sources it imports are bundled by esbuild into `.pulse-build/` (git-ignored) and the
 * bundle is imported; packages stay outside it and load as Node loads them. A module the code imports only when
 * needed (`await import(…)`, as tracing is) stays a separate chunk, loaded only then. The bundle is remade only when
 * a source it was made from changed (size or modification time), which takes about a third of a second. Loading
 * the service through tsx's loader costs about 1.5 CPU seconds a process, since every module Node loads passes
 * through its hooks; the bundle about 0.7 (BENCHMARKS.md, "The test suite's own time").
 *
 * Each build goes to a folder of its own, named by its contents; `<name>.json` says which folder is current and
 * what it was made from, and replacing that one file is what makes a new build current. Processes starting at
 * the same time, even from different versions of the sources, each import a whole build.
 *
 * Where the bundle cannot be written (an install the user may not write to), the entry runs through tsx instead:
 * the same code, started more slowly.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(ROOT, '.pulse-build');
// Files that change what esbuild makes of the sources without being among them.
const SETTINGS = ['tsconfig.json', 'package.json', 'scripts/run-bundled.mjs'];
const MAIN = 'main.mjs';
/** Builds older than this that are no longer current are removed (a process started from one is long done loading). */
const KEEP_OLD_MS = 60 * 60_000;

/** `src__main__api` for `src/main/api.ts`. */
function nameOf(entry) {
  return path
    .relative(ROOT, entry)
    .replace(/\.[cm]?tsx?$/, '')
    .split(path.sep)
    .join('__');
}

function stamp(file) {
  const stat = statSync(path.join(ROOT, file));
  return [stat.size, stat.mtimeMs];
}

/** The current build's folder, when every file it was made from is as it was then. */
function currentBuild(name) {
  try {
    const made = JSON.parse(readFileSync(path.join(OUT_DIR, `${name}.json`), 'utf8'));
    const fresh = Object.entries(made.inputs).every(([file, [size, mtimeMs]]) => {
      const [nowSize, nowMtimeMs] = stamp(file);
      return nowSize === size && nowMtimeMs === mtimeMs;
    });
    const dir = path.join(OUT_DIR, made.build);
    return fresh && existsSync(path.join(dir, MAIN)) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Each source keeps its own `import.meta.url` (and `dirname`, `filename`) in the bundle, so code that finds files
 * beside it (src/project-root.ts, the local executor's Python runner) finds them as it does when run unbundled.
 * Every file's size and time are taken before it is read: one saved during the build makes the build stale.
 */
function ownLocation(stamps) {
  return {
    name: 'own-location',
    setup(build) {
      build.onLoad({ filter: /.*/ }, (args) => {
        const file = path.relative(ROOT, args.path);
        if (file.startsWith('..') || file.split(path.sep).includes('node_modules')) return undefined;
        stamps[file] = stamp(file);
        if (!/\.[cm]?tsx?$/.test(args.path)) return undefined;
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
}

/** Removes builds of `name` that are neither current nor recent, and builds left half-made. */
function removeOld(name, current) {
  for (const entry of readdirSync(OUT_DIR)) {
    if (!entry.startsWith(`${name}-`) || entry === current) continue;
    const file = path.join(OUT_DIR, entry);
    try {
      if (Date.now() - statSync(file).mtimeMs > KEEP_OLD_MS) rmSync(file, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another process.
    }
  }
}

async function build(entry, name) {
  const esbuild = await import('esbuild');
  const stamps = Object.fromEntries(SETTINGS.map((file) => [file, stamp(file)]));
  mkdirSync(OUT_DIR, { recursive: true });
  const scratch = mkdtempSync(path.join(OUT_DIR, `${name}-building-`));
  try {
    await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: { main: entry },
      outdir: scratch,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: [ownLocation(stamps)],
    });
    const hash = createHash('sha256');
    for (const file of readdirSync(scratch).sort())
      hash.update(file).update(readFileSync(path.join(scratch, file)));
    const buildName = `${name}-${hash.digest('hex').slice(0, 16)}`;
    try {
      renameSync(scratch, path.join(OUT_DIR, buildName));
    } catch (err) {
      // The same build is there already (another process made it): that one serves.
      if (!['EEXIST', 'ENOTEMPTY'].includes(err?.code)) throw err;
    }
    const pointer = path.join(OUT_DIR, `${name}.json`);
    writeFileSync(`${pointer}.${process.pid}.tmp`, JSON.stringify({ build: buildName, inputs: stamps }));
    renameSync(`${pointer}.${process.pid}.tmp`, pointer);
    removeOld(name, buildName);
    return path.join(OUT_DIR, buildName);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Imports `entry` (a TypeScript file of this project) from its bundle, made or remade first when needed, as if Node
 * had been started on it with `args`.
 */
export async function runBundled(entry, args) {
  const name = nameOf(entry);
  process.argv = [process.argv[0], entry, ...args];
  let dir = currentBuild(name);
  if (!dir) {
    try {
      dir = await build(entry, name);
    } catch (err) {
      if (!['EACCES', 'EPERM', 'EROFS'].includes(err?.code)) throw err;
    }
  }
  if (!dir) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(entry).href);
    return;
  }
  // Stack traces name the TypeScript sources, as they do under tsx.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(path.join(dir, MAIN)).href);
}

const invoked = process.argv[1] && realpathSync(process.argv[1]);
if (invoked === realpathSync(fileURLToPath(import.meta.url))) {
  const [entry, ...args] = process.argv.slice(2);
  if (!entry) {
    process.stderr.write('usage: node scripts/run-bundled.mjs <entry.ts> [args…]\n');
    process.exit(2);
  }
  await runBundled(path.resolve(ROOT, entry), args);
}
