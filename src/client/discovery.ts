/**
 * How the command-line tools find the Pulse that `npm start` runs: it writes `<data dir>/service.json` (its API
 * URL, Temporal address, namespace and whether it wants an API key) once it is ready, and removes it when it stops.
 * The key it was started with goes beside it in `<data dir>/api-key`, readable by its owner only (mode 0600): no
 * one the service's own environment (`/proc/<pid>/environ`) is hidden from. `pulse` and `npm run temporal` read
 * them when no URL or address is given, and refuse a file whose process is gone rather than fall back to some other
 * server on the default ports.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SERVICE_FILE = 'service.json';
export const KEY_FILE = 'api-key';
const DEFAULT_DATA_DIR = '.pulse-data';

/** What `npm start` publishes about itself. */
export interface ServiceInfo {
  readonly pid: number;
  /** Where the HTTP API answers, e.g. `http://127.0.0.1:8000`. */
  readonly api_url: string;
  readonly temporal_address: string;
  readonly namespace: string;
  readonly task_queue: string;
  readonly ui_url: string;
  /** Whether the API wants `Authorization: Bearer` (the key is in `KEY_FILE` when it came from the environment). */
  readonly auth: boolean;
  readonly started_at: string;
}

export type Discovery =
  | { readonly state: 'running'; readonly file: string; readonly info: ServiceInfo }
  | { readonly state: 'stale'; readonly file: string; readonly info: ServiceInfo }
  | { readonly state: 'none' };

/** Writes a file atomically (a reader never sees half of it), with `mode` from its creation on. */
function writeAtomically(file: string, text: string, mode: number): void {
  const partial = `${file}.${process.pid}.tmp`;
  rmSync(partial, { force: true });
  writeFileSync(partial, text, { mode, flag: 'wx' });
  renameSync(partial, file);
}

/** Writes the record, and the key beside it (or removes an earlier start's key when there is none to write). */
export function writeServiceFile(dataDir: string, info: ServiceInfo, apiKey?: string): string {
  mkdirSync(dataDir, { recursive: true });
  const keyFile = path.join(dataDir, KEY_FILE);
  if (apiKey) writeAtomically(keyFile, `${apiKey}\n`, 0o600);
  else rmSync(keyFile, { force: true });
  const file = path.join(dataDir, SERVICE_FILE);
  writeAtomically(file, `${JSON.stringify(info, null, 2)}\n`, 0o644);
  return file;
}

/** Removes the record and its key if they are still those process `pid` wrote (a newer start may have replaced them). */
export function removeServiceFile(dataDir: string, pid: number): void {
  const file = path.join(dataDir, SERVICE_FILE);
  const info = readInfo(file);
  if (info?.pid !== pid) return;
  rmSync(path.join(dataDir, KEY_FILE), { force: true });
  rmSync(file, { force: true });
}

/** The key the discovered service was started with, when it wrote one. */
export function discoveredKey(discovery: { file: string }): string | undefined {
  try {
    const key = readFileSync(path.join(path.dirname(discovery.file), KEY_FILE), 'utf8').trim();
    return key || undefined;
  } catch {
    return undefined;
  }
}

function readInfo(file: string): ServiceInfo | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServiceInfo>;
    return typeof parsed.pid === 'number' && typeof parsed.api_url === 'string'
      ? (parsed as ServiceInfo)
      : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The service file for this checkout: `$PULSE_DATA_DIR/service.json` if that is set, else the nearest
 * `.pulse-data/service.json` from `cwd` upwards (so it works from any folder of the repository).
 */
export function discoverService(env: Readonly<Record<string, string | undefined>>, cwd: string): Discovery {
  const file = serviceFilePath(env, cwd);
  const info = file ? readInfo(file) : undefined;
  if (!file || !info) return { state: 'none' };
  return { state: isAlive(info.pid) ? 'running' : 'stale', file, info };
}

function serviceFilePath(env: Readonly<Record<string, string | undefined>>, cwd: string): string | undefined {
  if (env.PULSE_DATA_DIR) {
    const file = path.resolve(cwd, env.PULSE_DATA_DIR, SERVICE_FILE);
    return existsSync(file) ? file : undefined;
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, DEFAULT_DATA_DIR, SERVICE_FILE);
    if (existsSync(file)) return file;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The sentence a tool prints for a service file whose process is gone. */
export function staleMessage(discovery: { file: string; info: ServiceInfo }): string {
  return (
    `${discovery.file} names a Pulse (pid ${discovery.info.pid}, ${discovery.info.api_url}) that is no longer ` +
    'running. Start it with `npm start`, or say which server to use (PULSE_URL, or TEMPORAL_ADDRESS for ' +
    '`npm run temporal`).'
  );
}
