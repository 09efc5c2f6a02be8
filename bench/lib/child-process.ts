/**
 * The benchmark's own processes (Pulse's worker, Pulse's API, the baseline worker, the hello server) run apart
 * from the load generator, so each one's RSS can be read on its own and none shares an event loop with the
 * receivers that time the callbacks. They talk over Node's IPC channel: `ready`, `memory`, `stop`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rssBytes } from './proc.js';

const PROCESSES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'processes');
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ChildMemory {
  readonly rssBytes: number;
  /** V8 heap in use after a full GC. */
  readonly heapUsedBytes: number;
}

type ParentMessage = { type: 'memory' } | { type: 'stop' };
type ChildMessage =
  | { type: 'ready'; info: Record<string, unknown> }
  | { type: 'memory'; memory: ChildMemory }
  | { type: 'failed'; error: string };

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  readonly info: Record<string, unknown>;
  rssBytes(): number;
  memory(): Promise<ChildMemory>;
  stop(): Promise<void>;
}

/** Starts `bench/processes/<script>.ts` with `config` and waits for it to report ready. */
export async function startChild(name: string, script: string, config: unknown): Promise<BenchChild> {
  const child: ChildProcess = fork(path.join(PROCESSES_DIR, `${script}.ts`), [], {
    execArgv: [
      '--expose-gc',
      '--import',
      'tsx',
      // BENCH_CPU_PROF_DIR=dir: each thread of each child writes a V8 CPU profile there when it exits (for
      // diagnostics), named by Node (process and thread ids): one fixed name per child had the loader's and the
      // workflow threads' profiles overwrite the main thread's.
      ...(process.env.BENCH_CPU_PROF_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`]
        : []),
    ],
    env: { ...process.env, BENCH_CHILD_CONFIG: JSON.stringify(config) },
    // Pulse's JSON logs (three info lines per run) go nowhere, as they would to a log shipper.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message.info);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${name} failed to start: ${message.error}`));
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} during start-up`));
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });

  return {
    name,
    pid: child.pid!,
    info,
    rssBytes: () => rssBytes(child.pid!),
    memory: () =>
      new Promise<ChildMemory>((resolve, reject) => {
        const onMessage = (message: ChildMessage) => {
          if (message.type !== 'memory') return;
          child.off('message', onMessage);
          resolve(message.memory);
        };
        child.on('message', onMessage);
        if (!child.send({ type: 'memory' } satisfies ParentMessage)) reject(new Error(`${name} is gone`));
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ type: 'stop' } satisfies ParentMessage);
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(killer);
      }
      process.removeListener('exit', killOnExit);
    },
  };
}

/**
 * The child's side: reads its config, runs `start`, reports ready, answers memory requests, and on `stop` runs
 * the returned closer and exits.
 */
export function runChild<Config>(
  start: (config: Config) => Promise<{ info?: Record<string, unknown>; stop: () => Promise<void> }>,
): void {
  const send = (message: ChildMessage) => process.send?.(message);
  const config = JSON.parse(process.env.BENCH_CHILD_CONFIG ?? '{}') as Config;
  start(config).then(
    ({ info, stop }) => {
      process.on('message', (message: ParentMessage) => {
        if (message.type === 'memory') {
          (globalThis as { gc?: () => void }).gc?.();
          const usage = process.memoryUsage();
          send({ type: 'memory', memory: { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed } });
        } else if (message.type === 'stop') {
          void stop()
            .catch((err: unknown) => console.error(err))
            .finally(() => process.exit(0));
        }
      });
      // The parent going away (a crash, Ctrl-C) takes this process with it.
      process.on('disconnect', () => process.exit(0));
      send({ type: 'ready', info: info ?? {} });
    },
    (err: unknown) => {
      send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exit(1);
    },
  );
}
