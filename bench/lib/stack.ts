import { spawnSync } from 'node:child_process';
/**
 * Everything one benchmark runs against: a fresh server (a dev server, or the cluster with `--server=cluster`), the processes of each side, a callback receiver,
 * and one `Side` per contender that schedules a task its own way.
 *
 * - `pulse`: `POST /tasks/schedule` on Pulse's API, which starts `scheduledTask` (queue `pulse`).
 * - `direct`: the same `scheduledTask` with the input the API would build, started with `client.workflow.start`
 *   (queue `pulse-direct`, its own Pulse worker); Pulse minus its API.
 * - `baseline`: `bench/baseline`'s sleep → activity → callback workflow started with `client.workflow.start`
 *   (queue `baseline`, its own worker); raw Temporal.
 */
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { SCHEDULED_TASK_WORKFLOW } from '../../src/shared/search-attributes.js';
import { TASK_INPUT_VERSION, type ScheduledTaskInput } from '../../src/shared/task-types.js';
import type { BaselineTaskInput } from '../baseline/types.js';
import { workflowBundles } from './bundles.js';
import { startChild, type BenchChild } from './child-process.js';
import { INSTANT_EXECUTOR } from './instant-executor.js';
import { cpuSeconds } from './proc.js';
import type { SideName } from './options.js';
import { startReceiver, type CallbackReceiver } from './receiver.js';
import type { BenchServer, SqliteSettings, TimerSettings } from './bench-server.js';
import { NAMESPACE, startBenchServer } from './temporal-server.js';

/** `instant`: the instant executor. `http`: an `http_request` GET to the receiver. */
export type TaskKind = 'instant' | 'http';

export interface TaskSpec {
  readonly dueAtMs: number;
  readonly kind: TaskKind;
}

export interface Side {
  readonly name: SideName;
  /** Schedules one task; resolves with its task id once it is accepted. */
  schedule(task: TaskSpec): Promise<string>;
  /** The processes serving this side (worker, and API for Pulse). */
  readonly processes: readonly BenchChild[];
}

export interface Stack {
  readonly server: BenchServer;
  /** CPU seconds used so far by the server, each side's processes, and this process (the load generator). */
  cpuSeconds(): Record<string, number>;
  readonly receiver: CallbackReceiver;
  readonly client: Client;
  readonly sides: readonly Side[];
  side(name: SideName): Side;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly sides: readonly SideName[];
  readonly timers?: TimerSettings;
  readonly sqlite?: SqliteSettings;
  /** Connections from the load generator to Pulse's API. */
  readonly connections?: number;
  /** Worker processes per side (default 1), all on the side's task queue. */
  readonly workers?: number;
}

const TASK_QUEUE: Record<SideName, string> = { pulse: 'pulse', direct: 'pulse-direct', baseline: 'baseline' };
const AGENT_PAYLOAD = { agent_id: 'bench', entrypoint_tag: 'instant', executor_type: INSTANT_EXECUTOR };

/** The body a client sends to `POST /tasks/schedule`. */
export function scheduleRequestBody(task: TaskSpec, receiver: CallbackReceiver): Record<string, unknown> {
  const when = new Date(task.dueAtMs).toISOString();
  return task.kind === 'instant'
    ? { schedule_type: 'run_agent', when, payload: AGENT_PAYLOAD, callback_url: receiver.callbackUrl }
    : {
        schedule_type: 'http_request',
        when,
        payload: { url: receiver.targetUrl, method: 'GET' },
        callback_url: receiver.callbackUrl,
      };
}

/** The `scheduledTask` input that the API builds for that body (checked in bench/check-equivalence.ts). */
export function directInput(taskId: string, task: TaskSpec, receiver: CallbackReceiver): ScheduledTaskInput {
  const common = {
    version: TASK_INPUT_VERSION,
    taskId,
    metadata: {},
    dueAtMs: task.dueAtMs,
    callbackUrl: receiver.callbackUrl,
  };
  return task.kind === 'instant'
    ? { ...common, scheduleType: 'run_agent', executor: INSTANT_EXECUTOR, payload: AGENT_PAYLOAD }
    : {
        ...common,
        scheduleType: 'http_request',
        executor: 'http',
        payload: { url: receiver.targetUrl, method: 'GET' },
      };
}

function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}

/** `count` worker processes of one side, named `<label>`, then `<label> 2`, `<label> 3`… */
function startWorkers(label: string, script: string, config: unknown, count: number): Promise<BenchChild[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startChild(i === 0 ? label : `${label} ${i + 1}`, script, config),
    ),
  );
}

async function pulseSide(
  server: BenchServer,
  receiver: CallbackReceiver,
  bundlePath: string,
  connections: number,
  workers: number,
): Promise<Side & { close(): Promise<void> }> {
  const config = { address: server.address, namespace: NAMESPACE, taskQueue: TASK_QUEUE.pulse };
  const [[worker, ...more], api] = await Promise.all([
    startWorkers('pulse worker', 'pulse-worker', { ...config, bundlePath }, workers),
    startChild('pulse api', 'pulse-api', config),
  ]);
  const pool = new Pool(`http://127.0.0.1:${String(api.info.port)}`, { connections });
  return {
    name: 'pulse',
    // The first worker, then the API: what memory.ts reads; more workers after them.
    processes: [worker!, api, ...more],
    async schedule(task) {
      const response = await pool.request({
        path: '/tasks/schedule',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(scheduleRequestBody(task, receiver)),
      });
      const text = await response.body.text();
      if (response.statusCode !== 200)
        throw new Error(`POST /tasks/schedule: ${response.statusCode} ${text}`);
      return (JSON.parse(text) as { task_id: string }).task_id;
    },
    close: () => pool.close(),
  };
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const bundles = await workflowBundles();
  // The servers sync every commit: writes still queued from an earlier benchmark's files would stall them.
  spawnSync('sync');
  const server = await startBenchServer(options.timers ?? 'default', options.sqlite);
  const workers = options.workers ?? 1;
  const closers: Array<() => Promise<void>> = [() => server.stop()];
  const stop = async () => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => console.error(err));
  };
  try {
    const receiver = await startReceiver();
    closers.push(() => receiver.close());
    const connection = await Connection.connect({ address: server.address });
    closers.push(() => connection.close());
    const client = new Client({ connection, namespace: NAMESPACE });

    const sides = await Promise.all(
      options.sides.map(async (name): Promise<Side> => {
        const config = { address: server.address, namespace: NAMESPACE, taskQueue: TASK_QUEUE[name] };
        if (name === 'pulse') {
          const side = await pulseSide(server, receiver, bundles.pulse, options.connections ?? 50, workers);
          closers.push(() => side.close(), ...side.processes.map((p) => () => p.stop()));
          return side;
        }
        if (name === 'direct') {
          const processes = await startWorkers(
            'direct worker',
            'pulse-worker',
            { ...config, bundlePath: bundles.pulse },
            workers,
          );
          closers.push(...processes.map((p) => () => p.stop()));
          return {
            name,
            processes,
            async schedule(task) {
              const taskId = newId('direct');
              await client.workflow.start(SCHEDULED_TASK_WORKFLOW, {
                taskQueue: TASK_QUEUE.direct,
                workflowId: taskId,
                args: [directInput(taskId, task, receiver)],
              });
              return taskId;
            },
          };
        }
        const processes = await startWorkers(
          'baseline worker',
          'baseline-worker',
          { ...config, bundlePath: bundles.baseline },
          workers,
        );
        closers.push(...processes.map((p) => () => p.stop()));
        return {
          name,
          processes,
          async schedule(task) {
            const taskId = newId('base');
            const input: BaselineTaskInput = {
              taskId,
              dueAtMs: task.dueAtMs,
              callbackUrl: receiver.callbackUrl,
              ...(task.kind === 'http' ? { targetUrl: receiver.targetUrl } : {}),
            };
            await client.workflow.start('baselineTask', {
              taskQueue: TASK_QUEUE.baseline,
              workflowId: taskId,
              args: [input],
            });
            return taskId;
          },
        };
      }),
    );
    return {
      server,
      receiver,
      client,
      sides,
      cpuSeconds: () => ({
        server: cpuSeconds(server.pid),
        ...server.otherCpuSeconds?.(),
        ...Object.fromEntries(
          sides.flatMap((side) => side.processes.map((p) => [p.name, cpuSeconds(p.pid)])),
        ),
        generator: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
      }),
      side(name) {
        const found = sides.find((side) => side.name === name);
        if (!found) throw new Error(`side ${name} is not running`);
        return found;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A few tasks per side, run to their callback and thrown away: connections, JIT and the workers' caches are
 * warm before anything is timed.
 */
export async function warmUp(stack: Stack, kind: TaskKind, perSide = 10): Promise<void> {
  const dueAtMs = Math.round(Date.now() + 500);
  const ids = await Promise.all(
    stack.sides.flatMap((side) => Array.from({ length: perSide }, () => side.schedule({ dueAtMs, kind }))),
  );
  const missing = await stack.receiver.waitFor(ids, 60_000);
  if (missing.length > 0) throw new Error(`warm-up: ${missing.length} callbacks never arrived`);
}

/** CPU seconds used between two `cpuSeconds()` readings, per process. */
export function cpuUsedBetween(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).map(([name, value]) => [
      name,
      Math.round((value - (before[name] ?? 0)) * 100) / 100,
    ]),
  );
}
