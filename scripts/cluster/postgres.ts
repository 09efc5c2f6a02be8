/**
 * The cluster's PostgreSQL: a data folder made by `initdb`, run by `pg_ctl`, listening on 127.0.0.1 only (no
 * Unix socket), with the `temporal` superuser and password the Docker deployment uses.
 *
 * PostgreSQL refuses to run as root, so under root (CI containers) every PostgreSQL command runs as the
 * `postgres` system user, which then owns the data folder. PostgreSQL keeps its own pidfile
 * (`postmaster.pid`) and clears a stale one itself, so crash recovery needs nothing from us.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PG_USER = 'temporal';
export const PG_PASSWORD = 'temporal';

export interface PostgresOptions {
  readonly dataDir: string;
  readonly logFile: string;
  readonly port: number;
}

/** The folder holding `initdb` and `pg_ctl`: `PG_BIN`, else the newest Debian/Ubuntu install, else `PATH`. */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PG_BIN) return env.PG_BIN;
  const root = '/usr/lib/postgresql';
  try {
    const versions = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = path.join(root, version, 'bin');
      if (existsSync(path.join(dir, 'pg_ctl'))) return dir;
    }
  } catch {
    // Not a Debian layout.
  }
  return undefined;
}

function tool(name: string): string {
  const dir = postgresBinDir();
  return dir ? path.join(dir, name) : name;
}

interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Under root: the `postgres` user to run as (PostgreSQL will not run as root). */
function runAsUser(): SystemUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error('PostgreSQL will not run as root and there is no `postgres` user to run it as');
  return { name: 'postgres', uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function pg(name: string, args: readonly string[]): { status: number | null; output: string } {
  const user = runAsUser();
  const [command, fullArgs] = user
    ? ['runuser', ['-u', user.name, '--', tool(name), ...args]]
    : [tool(name), [...args]];
  const result = spawnSync(command, fullArgs, { encoding: 'utf8', cwd: os.tmpdir() });
  if (result.error) throw new Error(`${name}: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function giveTo(user: SystemUser | undefined, file: string): void {
  if (user) chownSync(file, user.uid, user.gid);
}

/** Creates the data folder once; a folder from an earlier run is kept as it is. */
export function initPostgres(options: PostgresOptions): 'created' | 'exists' {
  if (existsSync(path.join(options.dataDir, 'PG_VERSION'))) return 'exists';
  // A half-made folder from an interrupted initdb would make initdb refuse; it holds nothing worth keeping.
  rmSync(options.dataDir, { recursive: true, force: true });
  // The parents first, with the usual mode: a recursive mkdir would give a new state folder 0700 too, and under
  // root the `postgres` user could then not reach its data folder inside it.
  mkdirSync(path.dirname(options.dataDir), { recursive: true });
  mkdirSync(options.dataDir, { mode: 0o700 });
  const user = runAsUser();
  giveTo(user, options.dataDir);
  const pwFile = path.join(path.dirname(options.dataDir), '.pgpass-init');
  writeFileSync(pwFile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  giveTo(user, pwFile);
  try {
    const result = pg('initdb', [
      '-D',
      options.dataDir,
      '-U',
      PG_USER,
      `--pwfile=${pwFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=peer',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    if (result.status !== 0) throw new Error(`initdb failed:\n${result.output}`);
  } finally {
    rmSync(pwFile, { force: true });
  }
  // Loopback only and no Unix socket: nothing but this machine's TCP clients with the password get in.
  writeFileSync(
    path.join(options.dataDir, 'postgresql.conf'),
    "\n# pulse cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\n",
    { flag: 'a' },
  );
  return 'created';
}

export function postgresRunning(options: PostgresOptions): boolean {
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) return false;
  return pg('pg_ctl', ['status', '-D', options.dataDir]).status === 0;
}

export function startPostgres(options: PostgresOptions): 'started' | 'already running' {
  if (postgresRunning(options)) return 'already running';
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  writeFileSync(options.logFile, `--- ${new Date().toISOString()} pg_ctl start\n`, { flag: 'a' });
  giveTo(runAsUser(), options.logFile);
  const result = pg('pg_ctl', [
    'start',
    '-D',
    options.dataDir,
    '-l',
    options.logFile,
    '-w',
    '-t',
    '60',
    '-o',
    `-p ${options.port}`,
  ]);
  if (result.status !== 0) throw new Error(`pg_ctl start failed (see ${options.logFile}):\n${result.output}`);
  return 'started';
}

/** Fast shutdown: open transactions are rolled back, everything committed is already durable. */
export function stopPostgres(options: PostgresOptions): 'stopped' | 'not running' {
  if (!postgresRunning(options)) return 'not running';
  const result = pg('pg_ctl', ['stop', '-D', options.dataDir, '-m', 'fast', '-w', '-t', '60']);
  if (result.status !== 0) throw new Error(`pg_ctl stop failed:\n${result.output}`);
  return 'stopped';
}
