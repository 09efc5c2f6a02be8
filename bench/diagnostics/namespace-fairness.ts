/**
 * Issue 18, which Temporal mechanism can make a tenant's run on time beside another tenant's burst? Raw Temporal
 * only (the baseline's sleep → run → callback workflow, no Pulse): tenant A has N runs due at one instant, tenant B
 * one run due at the same instant, each tenant with a worker and a task queue of its own. The one thing that differs
 * between the cases is whether B's workflow lives in A's namespace or in a namespace of its own: the history
 * service's task scheduler takes turns between namespaces (its channels are keyed by namespace), so B's timer and
 * workflow task need not wait behind A's thousands. Lateness is when B's target was called, less the due time.
 *
 *   npx tsx bench/diagnostics/namespace-fairness.ts [--server=cluster] [--burst=2000] [--repeat=2]
 */
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import type { BaselineTaskInput } from '../baseline/types.js';
import { workflowBundles } from '../lib/bundles.js';
import { startCallTarget } from '../lib/call-target.js';
import { startChild, type BenchChild } from '../lib/child-process.js';
import type { BaselineWorkerConfig } from '../processes/baseline-worker.js';
import { machineInfo } from '../lib/machine.js';
import { readServerCounters } from '../lib/server-work.js';
import { startBenchServer, NAMESPACE, benchServerDescription } from '../lib/temporal-server.js';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const BURST = arg('burst', 2000);
const REPEAT = arg('repeat', 1);
const OWN_NAMESPACE = 'tenant-b';

interface Case {
  readonly name: string;
  readonly burst: number;
  /** B's namespace: A's own (`default`) or one of its own. */
  readonly bNamespace: string;
}

async function registerNamespace(connection: Connection, namespace: string): Promise<void> {
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs(86_400_000),
  });
  // A new namespace reaches every service's cache after a moment; start nothing in it before it does.
  const client = new Client({ connection, namespace });
  for (const deadline = Date.now() + 60_000; ;) {
    try {
      await client.workflow.count();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function runCase(c: Case) {
  const server = await startBenchServer();
  const target = await startCallTarget();
  const connection = await Connection.connect({ address: server.address });
  const workers: BenchChild[] = [];
  try {
    if (c.bNamespace !== NAMESPACE) await registerNamespace(connection, c.bNamespace);
    // Each tenant's worker is the benchmark's own baseline worker process, on its namespace and queue.
    const bundlePath = (await workflowBundles()).baseline;
    for (const [namespace, taskQueue] of [
      [NAMESPACE, 'tenant-a'],
      [c.bNamespace, 'tenant-b'],
    ] as const) {
      workers.push(
        await startChild(`worker ${taskQueue}`, 'baseline-worker', {
          address: server.address,
          namespace,
          taskQueue,
          bundlePath,
        } satisfies BaselineWorkerConfig),
      );
    }
    const start = (namespace: string, taskQueue: string, taskId: string, dueAtMs: number) =>
      new Client({ connection, namespace }).workflow.start('baselineTask', {
        taskQueue,
        workflowId: taskId,
        args: [
          {
            taskId,
            dueAtMs,
            callbackUrl: `${target.url}/callback/${taskId}`,
            targetUrl: `${target.url}/target/${taskId}`,
          } satisfies BaselineTaskInput,
        ],
      });
    // Enough time to start the burst and for its first workflow tasks to set their timers (about 40 a second here).
    const dueAtMs = Date.now() + 15_000 + c.burst * 35;
    const ids = Array.from({ length: c.burst }, (_, i) => `a-${i}`);
    const done = async () =>
      (await readServerCounters(server.metricsUrl)).get('rpc:history:RespondWorkflowTaskCompleted') ?? 0;
    const doneBefore = await done();
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(ids.slice(i, i + 50).map((id) => start(NAMESPACE, 'tenant-a', id, dueAtMs)));
    }
    // B's run is started last, as in the scenario: its timer is the newest.
    await start(c.bNamespace, 'tenant-b', 'b-0', dueAtMs);
    const startedBeforeDueS = (dueAtMs - Date.now()) / 1000;
    if (startedBeforeDueS < 2)
      throw new Error(`the burst was started only ${startedBeforeDueS} s before due`);
    // Whether every run slept on its timer (its first workflow task done) before it was due.
    await new Promise((r) => setTimeout(r, Math.max(0, dueAtMs - Date.now())));
    const asleepAtDue = Math.min(1, ((await done()) - doneBefore) / (c.burst + 1));
    // Done once every run has called back (its target call comes before).
    const calledBack = () => [...target.calls.keys()].filter((key) => key.startsWith('callback/')).length;
    for (const deadline = dueAtMs + 300_000; calledBack() < c.burst + 1 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const firstCall = (id: string) => target.calls.get(`target/${id}`)?.[0];
    const called = [...ids, 'b-0'].filter((id) => firstCall(id) !== undefined);
    const order = called.sort((x, y) => firstCall(x)! - firstCall(y)!);
    const bAt = firstCall('b-0');
    const aTimes = ids.map(firstCall).filter((t): t is number => t !== undefined);
    return {
      case: c.name,
      bLatenessS: bAt === undefined ? null : Number(((bAt - dueAtMs) / 1000).toFixed(3)),
      bRank: order.indexOf('b-0') + 1,
      calls: order.length,
      aLastS: aTimes.length ? Number(((Math.max(...aTimes) - dueAtMs) / 1000).toFixed(1)) : null,
      aMissing: c.burst - aTimes.length,
      startedBeforeDueS: Number(startedBeforeDueS.toFixed(1)),
      asleepAtDue: Number(asleepAtDue.toFixed(2)),
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await connection.close();
    await target.close();
    await server.stop();
  }
}

const CASES: Case[] = [
  { name: 'B alone, in the shared namespace', burst: 0, bNamespace: NAMESPACE },
  { name: 'B alone, in a namespace of its own', burst: 0, bNamespace: OWN_NAMESPACE },
  { name: `burst of ${BURST}, B in the shared namespace`, burst: BURST, bNamespace: NAMESPACE },
  { name: `burst of ${BURST}, B in a namespace of its own`, burst: BURST, bNamespace: OWN_NAMESPACE },
];

console.log(`namespace fairness: ${benchServerDescription()}; ${JSON.stringify(machineInfo())}`);
for (let round = 1; round <= REPEAT; round++) {
  for (const c of CASES) console.log(JSON.stringify({ round, ...(await runCase(c)) }));
}
process.exit(0);
