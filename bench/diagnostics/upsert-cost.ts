/**
 * Diagnostic (not part of `npm run bench`): where does Pulse's extra server CPU per run come from? For each
 * variant, N tasks due at one instant on a fresh server, with the worker in this process; the server's CPU
 * time from the due instant to the last callback, per run.
 *
 *   npx tsx bench/diagnostics/upsert-cost.ts [--tasks=400] [--variants=baseline,both,...]
 *
 * `folded` and `closing` (both kinds of upsert) move the upserts later in the run (see `UpsertTaskInput.placement`).
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../../activities/index.js';
import { createExecutorFactory } from '../../src/executors/executor-factory.js';
import { SCHEDULED_TASK_WORKFLOW } from '../../src/shared/search-attributes.js';
import { createBaselineActivities } from '../baseline/activities.js';
import { workflowBundles } from '../lib/bundles.js';
import { benchDestinationGuard } from '../lib/guard.js';
import { createInstantExecutor } from '../lib/instant-executor.js';
import { closedLoop } from '../lib/load.js';
import { cpuSeconds, loadAverage } from '../lib/proc.js';
import { startReceiver } from '../lib/receiver.js';
import { printTable } from '../lib/report.js';
import { directInput } from '../lib/stack.js';
import { startBenchServer } from '../lib/temporal-server.js';
import type { UpsertTaskInput } from './upsert-workflows.js';

const ALL = [
  'baseline',
  'search attributes',
  'memo',
  'both',
  'folded',
  'closing',
  'deferred',
  'scheduledTask',
] as const;
type Variant = (typeof ALL)[number];
const variantsFlag = process.argv.find((arg) => arg.startsWith('--variants='));
const VARIANTS: readonly Variant[] = variantsFlag
  ? variantsFlag
      .slice('--variants='.length)
      .split(',')
      .map((name) => {
        const variant = ALL.find((v) => v === name.trim());
        if (!variant) throw new Error(`unknown variant '${name}'; known: ${ALL.join(', ')}`);
        return variant;
      })
  : ALL;
const QUEUE = 'upsert-cost';
const LEAD_MS = 10_000;

const tasksFlag = process.argv.find((arg) => arg.startsWith('--tasks='));
const TASKS = tasksFlag ? Number(tasksFlag.slice('--tasks='.length)) : 400;

async function measure(variant: Variant, bundles: { pulse: string; upserts: string }) {
  const server = await startBenchServer();
  const receiver = await startReceiver();
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const guard = benchDestinationGuard();
    const executors = createExecutorFactory({ guard }).register(createInstantExecutor());
    const pulse = variant === 'scheduledTask';
    const worker = await Worker.create({
      connection: native,
      taskQueue: QUEUE,
      workflowBundle: { codePath: pulse ? bundles.pulse : bundles.upserts },
      activities: pulse
        ? createActivities({ executors, dispatcherFor: () => guard.dispatcher })
        : createBaselineActivities(),
      maxConcurrentActivityTaskExecutions: 200,
    });
    const running = worker.run();
    const dueAtMs = Date.now() + LEAD_MS;
    const ids: string[] = [];
    await closedLoop({
      concurrency: 50,
      count: TASKS,
      operation: async (i) => {
        const id = `run-${i}`;
        ids.push(id);
        if (pulse) {
          await client.workflow.start(SCHEDULED_TASK_WORKFLOW, {
            taskQueue: QUEUE,
            workflowId: id,
            args: [directInput(id, { dueAtMs, kind: 'instant' }, receiver)],
          });
          return;
        }
        const input: UpsertTaskInput = {
          taskId: id,
          dueAtMs,
          callbackUrl: receiver.callbackUrl,
          searchAttributes:
            variant === 'search attributes' ||
            variant.startsWith('both') ||
            variant === 'folded' ||
            variant === 'closing',
          memo:
            variant === 'memo' || variant.startsWith('both') || variant === 'folded' || variant === 'closing',
          placement:
            variant === 'folded' || variant === 'closing' || variant === 'deferred' ? variant : 'pulse',
        };
        await client.workflow.start('baselineWithUpserts', {
          taskQueue: QUEUE,
          workflowId: id,
          args: [input],
        });
      },
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAtMs - Date.now())));
    const serverBefore = cpuSeconds(server.pid);
    const workerBefore = process.cpuUsage();
    const missing = await receiver.waitFor(ids, 180_000);
    const serverMs = ((cpuSeconds(server.pid) - serverBefore) * 1000) / TASKS;
    const used = process.cpuUsage(workerBefore);
    const history = await client.workflow.getHandle(ids[0]!).fetchHistory();
    const last = Math.max(...ids.map((id) => receiver.arrivals.get(id) ?? 0)) - dueAtMs;
    worker.shutdown();
    await running;
    return {
      variant,
      events: history.events?.length ?? 0,
      serverMsPerRun: Math.round(serverMs * 10) / 10,
      workerMsPerRun: Math.round(((used.user + used.system) / 1000 / TASKS) * 10) / 10,
      lastCallbackS: Math.round(last / 100) / 10,
      missing: missing.length,
      load: loadAverage(),
    };
  } finally {
    await native.close();
    await connection.close();
    await receiver.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  // Pulse's task logs would swamp the terminal here; the benchmark's own worker processes discard them.
  process.env.PULSE_LOG_LEVEL ??= 'warn';
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { pulse } = await workflowBundles();
  const here = path.dirname(fileURLToPath(import.meta.url));
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(here, 'upsert-workflows.ts'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  const upserts = path.join(path.dirname(pulse), 'upserts.js');
  (await import('node:fs')).writeFileSync(upserts, code);
  const rows = [];
  for (const variant of VARIANTS) rows.push(await measure(variant, { pulse, upserts }));
  printTable(
    ['variant', 'events', 'server CPU ms/run', 'worker CPU ms/run', 'last callback', 'missing', 'load'],
    rows.map((r) => [
      r.variant,
      String(r.events),
      String(r.serverMsPerRun),
      String(r.workerMsPerRun),
      `${r.lastCallbackS} s`,
      String(r.missing),
      String(r.load),
    ]),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
