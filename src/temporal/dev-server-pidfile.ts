/**
 * The embedded dev server's pidfile, beside its SQLite file: which `temporal server start-dev` process uses that
 * file and which Pulse process started it, each as a `ProcessStamp`.
 *
 * Why: the watchdog in dev-server.ts stops the server when Pulse dies, but it needs a moment to do so, and it can
 * itself be killed. The next `npm start` must then neither give up ("port in use") nor kill a stranger. With this
 * record it can prove that whatever still holds the port is ours: the very process recorded (pid, boot and start
 * time), running the recorded binary as `server start-dev` on this same db file, started by a Pulse that is gone.
 * Only such an orphan is stopped. A live owner means another Pulse uses this data: refuse. Anything else (the pid
 * gone or reused, a power cut, a torn or foreign file) proves nothing, so the record is dropped and the port check
 * decides. A power cut's other leftover, the SQLite write-ahead log, needs nothing from us: SQLite replays it when
 * the server next opens the file, and `synchronous=FULL` means every acknowledged commit is in it.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sameProcess, type ProcessStamp } from './process-stamp.js';

export interface DevServerRecord {
  /** The `temporal server start-dev` process. */
  readonly server: ProcessStamp;
  /** The Pulse process that started it. */
  readonly owner: ProcessStamp;
  readonly cliPath: string;
  readonly dbFile: string;
}

const STOP_GRACE_MS = 10_000;
const GONE_TIMEOUT_MS = 5_000;

/** `<data dir>/temporal.pid`, next to `temporal.db`. */
export function devServerPidFile(dbFile: string): string {
  return path.join(path.dirname(dbFile), 'temporal.pid');
}

function isStamp(value: unknown): value is ProcessStamp {
  const stamp = value as ProcessStamp | undefined;
  return typeof stamp?.pid === 'number' && typeof stamp.start === 'string';
}

/** The record, or undefined when there is none or it is not one of ours. */
export function readDevServerRecord(file: string): DevServerRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevServerRecord>;
    if (!isStamp(record.server) || !isStamp(record.owner)) return undefined;
    if (typeof record.cliPath !== 'string' || typeof record.dbFile !== 'string') return undefined;
    return record as DevServerRecord;
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (rename is atomic), so a crash mid-write cannot leave half a record. */
export function writeDevServerRecord(file: string, record: DevServerRecord): void {
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(record)}\n`);
  renameSync(partial, file);
}

export function removeDevServerRecord(file: string): void {
  rmSync(file, { force: true });
}

/** True when `argv` is the recorded binary running `server start-dev` on `dbFile`. */
function runsDevServerOn(argv: readonly string[], cliPath: string, dbFile: string): boolean {
  const db = argv.indexOf('--db-filename');
  return (
    argv[0] === cliPath &&
    argv[1] === 'server' &&
    argv[2] === 'start-dev' &&
    db > 0 &&
    argv[db + 1] === dbFile
  );
}

async function waitUntilGone(stamp: ProcessStamp, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (sameProcess(stamp)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone in the meantime: nothing left to stop.
  }
}

/**
 * Clears what an earlier Pulse on `dbFile` left behind before a new server starts: stops its dev server if that
 * Pulse is gone and the server is provably ours, and drops the record. Throws if that Pulse is still running.
 */
export async function reclaimDevServer(dbFile: string, log: (line: string) => void): Promise<void> {
  const file = devServerPidFile(dbFile);
  const record = readDevServerRecord(file);
  if (!record) {
    removeDevServerRecord(file);
    return;
  }
  if (sameProcess(record.owner)) {
    throw new Error(
      `${path.dirname(dbFile)} is in use by a running Pulse (pid ${record.owner.pid}); ` +
        'stop it first, or give this one its own PULSE_DATA_DIR.',
    );
  }
  const server = sameProcess(record.server);
  if (server && record.dbFile === dbFile && runsDevServerOn(server.argv, record.cliPath, dbFile)) {
    log(
      `[temporal] an earlier Pulse (pid ${record.owner.pid}) ended without stopping its dev server ` +
        `(pid ${record.server.pid}); stopping it`,
    );
    signal(record.server.pid, 'SIGTERM');
    if (!(await waitUntilGone(record.server, STOP_GRACE_MS))) {
      log(
        `[temporal] dev server (pid ${record.server.pid}) ignored SIGTERM for ${STOP_GRACE_MS} ms; killing it`,
      );
      signal(record.server.pid, 'SIGKILL');
      if (!(await waitUntilGone(record.server, GONE_TIMEOUT_MS))) {
        throw new Error(`the earlier dev server (pid ${record.server.pid}) did not exit after SIGKILL`);
      }
    }
  }
  removeDevServerRecord(file);
}
