/**
 * The cluster's long-running processes, each detached in its own process group, logging to
 * `<dir>/logs/<name>.log` and recorded in `<dir>/run/<name>.json` with its `ProcessStamp`.
 *
 * A recorded pid alone proves nothing after a crash or a reboot (pids are reused), so a record counts only while
 * the stamp still matches a live process: anything else is a stale record, dropped without signalling anyone.
 * That is what makes `up` after a crash safe and `down` after a reboot a no-op.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { isListening } from '../../src/temporal/port-probe.js';
import { sameProcess, stampOf, type ProcessStamp } from '../../src/temporal/process-stamp.js';

export interface ProcessRecord {
  readonly name: string;
  readonly stamp: ProcessStamp;
  readonly argv: readonly string[];
  readonly logFile: string;
  readonly startedAt: string;
}

export interface SpawnSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface ProcessTable {
  readonly logsDir: string;
  readonly runDir: string;
}

function recordFile(table: ProcessTable, name: string): string {
  return path.join(table.runDir, `${name}.json`);
}

export function logFile(table: ProcessTable, name: string): string {
  return path.join(table.logsDir, `${name}.log`);
}

function readRecord(table: ProcessTable, name: string): ProcessRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(recordFile(table, name), 'utf8')) as ProcessRecord;
    return typeof record.stamp?.pid === 'number' && typeof record.stamp.start === 'string'
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

/** The live process recorded under `name`; a stale record (process gone, pid reused) is removed. */
export function running(table: ProcessTable, name: string): ProcessRecord | undefined {
  const record = readRecord(table, name);
  if (record && sameProcess(record.stamp)) return record;
  rmSync(recordFile(table, name), { force: true });
  return undefined;
}

/** Names with a record, live or stale. */
export function recordedNames(table: ProcessTable): string[] {
  try {
    return readdirSync(table.runDir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

/**
 * Starts `spec` detached, its output appended to its log file, and records it. Returns the record and the log
 * offset where this run's output begins (for waiting on a line it prints).
 */
export function startProcess(
  table: ProcessTable,
  spec: SpawnSpec,
): { record: ProcessRecord; logOffset: number } {
  mkdirSync(table.logsDir, { recursive: true });
  mkdirSync(table.runDir, { recursive: true });
  const file = logFile(table, spec.name);
  const startedAt = new Date().toISOString();
  writeFileSync(file, `--- ${startedAt} starting ${spec.command} ${spec.args.join(' ')}\n`, { flag: 'a' });
  const logOffset = statSync(file).size;
  const fd = openSync(file, 'a');
  try {
    // Its own process group: our Ctrl-C does not reach it, and a stop signals the whole group.
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    child.unref();
    const stamp = child.pid === undefined ? undefined : stampOf(child.pid);
    if (!stamp) throw new Error(`${spec.name}: ${spec.command} did not start`);
    const record: ProcessRecord = {
      name: spec.name,
      stamp,
      argv: [spec.command, ...spec.args],
      logFile: file,
      startedAt,
    };
    writeFileSync(recordFile(table, spec.name), JSON.stringify(record, null, 2) + '\n');
    return { record, logOffset };
  } finally {
    closeSync(fd);
  }
}

function signalGroup(stamp: ProcessStamp, signal: NodeJS.Signals): void {
  // Only a process that is provably the one we started is signalled; its group is its own (detached).
  if (!sameProcess(stamp)) return;
  try {
    process.kill(-stamp.pid, signal);
  } catch {
    try {
      process.kill(stamp.pid, signal);
    } catch {
      // Gone in between.
    }
  }
}

export async function waitGone(stamp: ProcessStamp, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!sameProcess(stamp)) return true;
    await sleep(100);
  }
  return !sameProcess(stamp);
}

/**
 * Stops `name`: SIGTERM, then SIGKILL after `graceMs`. Answers what it did; a missing or stale record is
 * `not running`.
 */
export async function stopProcess(
  table: ProcessTable,
  name: string,
  graceMs: number,
): Promise<'stopped' | 'killed' | 'not running'> {
  const record = running(table, name);
  if (!record) return 'not running';
  signalGroup(record.stamp, 'SIGTERM');
  let outcome: 'stopped' | 'killed' = 'stopped';
  if (!(await waitGone(record.stamp, graceMs))) {
    signalGroup(record.stamp, 'SIGKILL');
    await waitGone(record.stamp, 5_000);
    outcome = 'killed';
  }
  rmSync(recordFile(table, name), { force: true });
  return outcome;
}

/** SIGKILL, as a crash or the OOM killer would: no chance to clean up. The record is left, now stale. */
export async function killProcess(table: ProcessTable, name: string): Promise<boolean> {
  const record = running(table, name);
  if (!record) return false;
  signalGroup(record.stamp, 'SIGKILL');
  await waitGone(record.stamp, 5_000);
  return true;
}

/** Resolves once the log, from `offset` on, holds `text`; rejects if the process dies first or time runs out. */
export async function waitForLogLine(
  record: ProcessRecord,
  offset: number,
  text: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const output = readFileSync(record.logFile).subarray(offset).toString('utf8');
    if (output.includes(text)) return;
    if (!sameProcess(record.stamp))
      throw new Error(`${record.name} exited before it was ready; see ${record.logFile}:\n${tail(output)}`);
    await sleep(200);
  }
  throw new Error(`${record.name} not ready after ${timeoutMs} ms; see ${record.logFile}`);
}

export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A free block of `size` consecutive ports on 127.0.0.1 (the server's internal ports sit right above its frontend
 * port), below Linux's ephemeral range (32768+), where an outgoing connection's local port could take one of them
 * meanwhile.
 */
export async function freePortBlock(size: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const taken = await Promise.all(Array.from({ length: size }, (_, i) => isListening(base + i)));
    if (!taken.some(Boolean)) return base;
  }
  throw new Error(`no ${size} consecutive free ports found`);
}

/**
 * A port from `freePort` outside the block `[base, base + size)`. Each port is free when chosen, but a server takes
 * its block only when it starts, so a port chosen inside it (free a moment before) is the server's by the time its
 * own program starts on it (CI, session 16: "port 21221 (for pulse-api) is in use by another program").
 */
export async function freePortOutsideBlock(
  base: number,
  size: number,
  freePort: () => Promise<number>,
): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < base || port >= base + size) return port;
  }
}
