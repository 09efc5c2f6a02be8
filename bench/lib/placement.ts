/**
 * `--pin-server-core` (or `BENCH_PIN_SERVER_CORE=1`): the server side (the Temporal server, and on the cluster
 * PostgreSQL) runs on CPU 0 and everything else (this load generator, the workers and the API it starts) on CPU 1,
 * so the server does not share its core with the worker, as in a deployment where they run on separate machines.
 * Off by default: then both stacks share every core, as on one machine.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export const SERVER_CPU = 0;
export const CLIENT_CPU = 1;

export function pinServerCore(argv: readonly string[] = process.argv.slice(2), env = process.env): boolean {
  const flag = argv.includes('--pin-server-core');
  const value = env.BENCH_PIN_SERVER_CORE;
  return flag || value === '1' || value === 'true';
}

/** Pins every thread of each process to `cpu` (`taskset -a -cp`); threads and children made later inherit it. */
export function pinProcesses(pids: readonly number[], cpu: number): void {
  // os.cpus(), not availableParallelism(): the latter is this process's own affinity, one CPU once it is pinned.
  if (os.cpus().length < 2) throw new Error('--pin-server-core needs at least two CPUs');
  for (const pid of pids) {
    const result = spawnSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { encoding: 'utf8' });
    if (result.error) throw new Error(`taskset: ${result.error.message} (util-linux is needed to pin)`);
    if (result.status !== 0) throw new Error(`taskset -a -cp ${cpu} ${pid}: ${result.stderr.trim()}`);
  }
}

/** What placement a run had, for the report. */
export function placementDescription(pinned = pinServerCore()): string {
  return pinned
    ? `server side pinned to CPU ${SERVER_CPU}, workers, API and load generator to CPU ${CLIENT_CPU}`
    : 'every process on every core';
}
