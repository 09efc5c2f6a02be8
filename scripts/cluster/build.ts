/**
 * Builds the cluster's Go binaries from the Go module proxy: the Temporal server and its SQL schema tool, and
 * the Web UI's server. Each is built in a throwaway module under `<dir>/build`, with the module and build caches
 * under `<dir>/go`, so nothing outside the project folder changes. The versions built are written next to the
 * binaries; a build runs again only when a pin in options.ts changes or a binary is missing.
 *
 * Why from source rather than release archives: the proxy is reachable wherever `go` works (CI, air-gapped
 * machines with a module mirror), GitHub release downloads often are not.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VERSIONS, cachePaths } from './options.js';
import { tail } from './processes.js';

export interface ClusterBinaries {
  readonly server: string;
  readonly sqlTool: string;
  readonly uiServer: string;
}

interface BuiltVersions {
  readonly temporalServer?: string;
  readonly uiServer?: string;
  readonly goToolchain?: string;
}

export function clusterBinaries(cacheDir: string): ClusterBinaries {
  const { bin } = cachePaths(cacheDir);
  return {
    server: path.join(bin, 'temporal-server'),
    sqlTool: path.join(bin, 'temporal-sql-tool'),
    uiServer: path.join(bin, 'temporal-ui-server'),
  };
}

function builtVersions(dir: string): BuiltVersions {
  try {
    return JSON.parse(readFileSync(cachePaths(dir).versions, 'utf8')) as BuiltVersions;
  } catch {
    return {};
  }
}

/** What a build would have to do: nothing, the server, the UI, or both. */
export function staleBinaries(dir: string, withUi: boolean): { server: boolean; ui: boolean } {
  const built = builtVersions(dir);
  const binaries = clusterBinaries(dir);
  const sameToolchain = built.goToolchain === VERSIONS.goToolchain;
  return {
    server:
      !sameToolchain ||
      built.temporalServer !== VERSIONS.temporalServer ||
      !existsSync(binaries.server) ||
      !existsSync(binaries.sqlTool),
    ui: withUi && (!sameToolchain || built.uiServer !== VERSIONS.uiServer || !existsSync(binaries.uiServer)),
  };
}

/** Runs `go`, its output kept quiet unless it fails. */
function go(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', (err) =>
      reject(new Error(`go ${args.join(' ')}: ${err.message} (is Go installed?)`)),
    );
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`go ${args.join(' ')} failed (exit ${code}) in ${cwd}:\n${tail(output, 40)}`)),
    );
  });
}

function goEnv(dir: string): NodeJS.ProcessEnv {
  const { go: goDir } = cachePaths(dir);
  return {
    ...process.env,
    GOTOOLCHAIN: VERSIONS.goToolchain,
    GOMODCACHE: path.join(goDir, 'mod'),
    GOCACHE: path.join(goDir, 'cache'),
    // -mod=mod: the throwaway module has no go.sum until `go get` writes one; -modcacherw: the caches stay
    // deletable with a plain `rm -rf`. Static binaries, as Temporal's own images ship.
    GOFLAGS: '-mod=mod -modcacherw -buildvcs=false',
    CGO_ENABLED: '0',
    GOWORK: 'off',
  };
}

async function buildInModule(
  dir: string,
  name: string,
  requirements: readonly string[],
  targets: ReadonlyArray<{ pkg: string; output: string }>,
): Promise<void> {
  const moduleDir = path.join(cachePaths(dir).build, name);
  mkdirSync(moduleDir, { recursive: true });
  const env = goEnv(dir);
  if (!existsSync(path.join(moduleDir, 'go.mod')))
    await go(['mod', 'init', `pulse-cluster/${name}`], moduleDir, env);
  await go(['get', ...requirements], moduleDir, env);
  for (const target of targets)
    await go(['build', '-trimpath', '-o', target.output, target.pkg], moduleDir, env);
}

/**
 * Builds what is stale (or everything with `force`). `step` times and reports each part.
 */
export async function buildBinaries(
  dir: string,
  options: { ui: boolean; force?: boolean },
  step: <T>(label: string, work: () => Promise<T>) => Promise<T>,
): Promise<ClusterBinaries> {
  const stale = options.force ? { server: true, ui: options.ui } : staleBinaries(dir, options.ui);
  const binaries = clusterBinaries(dir);
  const record = (patch: BuiltVersions) => {
    mkdirSync(cachePaths(dir).bin, { recursive: true });
    writeFileSync(
      cachePaths(dir).versions,
      JSON.stringify({ ...builtVersions(dir), ...patch, goToolchain: VERSIONS.goToolchain }, null, 2) + '\n',
    );
  };
  if (stale.server) {
    // A toolchain change invalidates the UI too; clear its stamp before the server's record claims the new one.
    if (builtVersions(dir).goToolchain !== VERSIONS.goToolchain) record({ uiServer: undefined });
    await step(`build temporal-server ${VERSIONS.temporalServer} and temporal-sql-tool (Go proxy)`, () =>
      buildInModule(
        dir,
        'temporal',
        [`go.temporal.io/server@v${VERSIONS.temporalServer}`],
        [
          { pkg: 'go.temporal.io/server/cmd/server', output: binaries.server },
          { pkg: 'go.temporal.io/server/cmd/tools/sql', output: binaries.sqlTool },
        ],
      ),
    );
    record({ temporalServer: VERSIONS.temporalServer });
  }
  if (stale.ui) {
    await step(`build ui-server ${VERSIONS.uiServer} (Go proxy)`, () =>
      buildInModule(
        dir,
        'ui',
        [`github.com/temporalio/ui-server/v2@v${VERSIONS.uiServer}`, ...VERSIONS.uiServerPins],
        [{ pkg: 'github.com/temporalio/ui-server/v2/cmd/server', output: binaries.uiServer }],
      ),
    );
    record({ uiServer: VERSIONS.uiServer });
  }
  if (!stale.server && !stale.ui)
    await step('binaries', async () => `up to date (${path.relative(dir, cachePaths(dir).versions)})`);
  return binaries;
}
