/**
 * Tenant fairness (issue 18): tenant A has N runs due at one instant, tenant B one run at the same instant. How late
 * is B's run, against B's run alone, with Temporal's fairness (the tenant as fairness key, the server's
 * `matching.enableFairness`) and without it? Each case on a fresh server (the dev server, or the production-shaped
 * cluster with `--server=cluster`), with one Pulse worker in this process and the tasks scheduled through Pulse's
 * task service in each tenant's scope. Lateness is when the target was called, less the due time.
 *
 *   npx tsx bench/tenant-fairness.ts [--server=cluster] [--burst=2000] [--only=<part of a case's name>] [--timeline]
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { createLogger } from '../src/observability/logger.js';
import { PROJECT_ROOT } from '../src/project-root.js';
import { createDestinationGuard } from '../src/security/ssrf-guard.js';
import { PULSE_SEARCH_ATTRIBUTES } from '../src/shared/search-attributes.js';
import { TEMPORAL_CLI, defaultInstallDir, findBinary } from '../src/temporal/binaries.js';
import { createPulseWorker } from '../src/temporal/worker.js';
import { createTaskService } from '../src/tasks/task-service.js';
import { withTenantScope } from '../src/tenants/tenant-scope.js';
import { DEFAULT_RUN_LEAD_MS } from '../src/config.js';
import { FAIR_WORKER_OPTIONS } from '../src/tenants/tenant-tasks.js';
import { startClusterBenchServer } from './lib/cluster-server.js';
import { startChild } from './lib/child-process.js';
import { machineInfo } from './lib/machine.js';
import { benchServer } from './lib/options.js';
import { benchDynamicConfig, freePort } from './lib/temporal-server.js';

const BURST = Number(process.argv.find((a) => a.startsWith('--burst='))?.slice(8) ?? 2000);
const TASK_QUEUE = 'fairness';

Runtime.install({
  logger: {
    log: () => undefined,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  } as never,
});

interface Case {
  readonly name: string;
  readonly fairness: boolean;
  readonly burst: number;
  /**
   * The worker's settings: the SDK's defaults; `no-sticky`, no workflow cache, so no task goes to its sticky queue
   * (what session 8 shipped); `tenants`, what Pulse's worker runs with tenants (FAIR_WORKER_OPTIONS).
   */
  readonly worker: 'default' | 'no-sticky' | 'tenants';
  /** A's `concurrent_runs`: each of its runs asks A's slots workflow for a slot (the cost of the limit). */
  readonly acmeConcurrentRuns?: number;
  /** Runs handed to the worker this long ahead of their due time (`PULSE_RUN_LEAD`); 0: when due. */
  readonly runLeadMs: number;
}

const SERVER = benchServer();

/** A fresh server for one case, fairness on or off. */
async function startServer(fairness: boolean): Promise<{ address: string; stop: () => Promise<void> }> {
  if (SERVER === 'cluster') {
    // A tenants file in its environment is what turns the cluster's fairness on, as it does for `npm start`.
    const tenants = path.join(mkdtempSync(path.join(os.tmpdir(), 'pulse-fairness-')), 'tenants.json');
    const tenant = (id: string) => ({
      id,
      keys: [`sha256:${createHash('sha256').update(id).digest('hex')}`],
    });
    writeFileSync(tenants, JSON.stringify({ tenants: [tenant('acme'), tenant('bravo')] }));
    const server = await startClusterBenchServer(
      'default',
      'shipped',
      freePort,
      fairness ? { PULSE_TENANTS_FILE: tenants } : {},
    );
    return { address: server.address, stop: () => server.stop() };
  }
  const binary = findBinary(TEMPORAL_CLI, { installDir: defaultInstallDir(PROJECT_ROOT) });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: binary ? { type: 'existing-path', path: binary.path } : { type: 'cached-download' },
      searchAttributes: PULSE_SEARCH_ATTRIBUTES,
      extraArgs: benchDynamicConfig(fairness ? ['matching.enableFairness=true'] : []).flatMap((value) => [
        '--dynamic-config-value',
        value,
      ]),
    },
  });
  return { address: env.address, stop: () => env.teardown() };
}

async function runCase(c: Case) {
  const server = await startServer(c.fairness);
  // Torn down whatever happens: a case that fails must not leave its server running under the next.
  let stop = server.stop;
  try {
    // The target runs in a process of its own: an arrival is timed when it arrives, not when the worker's event
    // loop (busy with a burst) lets the target see it.
    const targetChild = await startChild('call target', 'call-target', {});
    const target = {
      url: targetChild.info.url as string,
      calls: new Map<string, number[]>(),
      /** Reads every arrival so far into `calls`. */
      async read() {
        const response = await fetch(`${this.url}/__calls`);
        const all = (await response.json()) as Record<string, number[]>;
        for (const [key, times] of Object.entries(all)) this.calls.set(key, times);
      },
      close: () => targetChild.stop(),
    };
    const guard = createDestinationGuard({ allowPrivateNetworks: true, allowedHosts: [] });
    const executors = createExecutorFactory({ guard });
    const address = server.address;
    const worker = await createPulseWorker({
      connection: await NativeConnection.connect({ address }),
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      executors,
      logger: createLogger({ logLevel: 'error' }),
      activities: {
        dispatcherFor: () => guard.dispatcher,
        ...(c.acmeConcurrentRuns
          ? { runLimitFor: (tenant: string) => (tenant === 'acme' ? c.acmeConcurrentRuns : undefined) }
          : {}),
      },
      options: { default: {}, 'no-sticky': { maxCachedWorkflows: 0 }, tenants: FAIR_WORKER_OPTIONS }[
        c.worker
      ],
    });
    const running = worker.run();
    const teardown = stop;
    stop = async () => {
      worker.shutdown();
      await running;
      await client.connection.close();
      await target.close();
      await teardown();
    };
    const client = new Client({ connection: await Connection.connect({ address }) });
    const tasks = createTaskService({
      client,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      executors,
      uiUrl: 'http://localhost',
      defaultTimezone: 'UTC',
      destinationGuard: guard,
      runLeadMs: c.runLeadMs,
    });
    const scheduleFor = (tenant: string, dueAt: Date) =>
      withTenantScope({ tenantId: tenant, admin: false }, () =>
        tasks.schedule({
          schedule_type: 'http_request',
          when: dueAt.toISOString(),
          payload: { url: `${target.url}/${tenant}`, method: 'GET' },
        }),
      );
    // One run first, not measured, so that no case pays for the first run of a process (its first connection to
    // the target, code not yet compiled): a worker in service is warm.
    await scheduleFor('warmup', new Date());
    const warmDeadline = Date.now() + 30_000;
    while (!target.calls.get('warmup') && Date.now() < warmDeadline) {
      await new Promise((r) => setTimeout(r, 50));
      await target.read();
    }
    // Due once every task is in: scheduling 2,000 takes some seconds on this machine.
    const dueAt = new Date(Date.now() + 10_000 + c.burst * 30);
    const started = Date.now();
    for (let i = 0; i < c.burst; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, c.burst - i) }, () => scheduleFor('acme', dueAt)));
    }
    const bravoTask = await scheduleFor('bravo', dueAt);
    const scheduledMs = Date.now() - started;
    if (Date.now() >= dueAt.getTime())
      throw new Error(`scheduling took ${scheduledMs} ms, past the due time`);
    const deadline = dueAt.getTime() + 600_000;
    while (
      ((target.calls.get('acme')?.length ?? 0) < c.burst || !target.calls.get('bravo')) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 250));
      // Read once the due time has passed, so the reads are no load on anything before it.
      if (Date.now() > dueAt.getTime() + 1000) await target.read();
    }
    const due = dueAt.getTime();
    const b = (target.calls.get('bravo')?.[0] ?? NaN) - due;
    const a = (target.calls.get('acme') ?? []).map((t) => t - due).sort((x, y) => x - y);
    const result = {
      server: SERVER,
      case: c.name,
      fairness: c.fairness,
      burst: c.burst,
      scheduled_ms: scheduledMs,
      bravo_lateness_ms: Math.round(b),
      acme_runs: a.length,
      acme_p50_ms: Math.round(a[Math.floor(a.length / 2)] ?? NaN),
      acme_last_ms: Math.round(a[a.length - 1] ?? NaN),
      bravo_rank: a.filter((t) => t < b).length + 1,
      worker: c.worker,
      run_lead_ms: c.runLeadMs,
      ...(c.acmeConcurrentRuns ? { acme_concurrent_runs: c.acmeConcurrentRuns } : {}),
    };
    console.log(JSON.stringify(result));
    if (process.argv.includes('--timeline')) {
      // Where B's run waited: each event of its workflow, in ms after the due time.
      const history = await client.workflow.getHandle(bravoTask.task_id).fetchHistory();
      for (const event of history.events ?? []) {
        const t =
          Number(event.eventTime?.seconds ?? 0) * 1000 + Math.round((event.eventTime?.nanos ?? 0) / 1e6);
        console.log(`  ${String(t - due).padStart(7)} ms  ${String(event.eventType)}`);
      }
    }
    return result;
  } finally {
    await stop();
  }
}

const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const LEAD = DEFAULT_RUN_LEAD_MS;
const allCases: Case[] = [
  { name: 'B alone, no fairness', fairness: false, burst: 0, worker: 'default', runLeadMs: 0 },
  { name: 'B alone, fairness, tenant worker', fairness: true, burst: 0, worker: 'tenants', runLeadMs: 0 },
  {
    name: 'B alone, fairness, tenant worker, run lead',
    fairness: true,
    burst: 0,
    worker: 'tenants',
    runLeadMs: LEAD,
  },
  {
    name: `B with A's burst of ${BURST}, no fairness`,
    fairness: false,
    burst: BURST,
    worker: 'default',
    runLeadMs: 0,
  },
  {
    name: `B with A's burst of ${BURST}, fairness`,
    fairness: true,
    burst: BURST,
    worker: 'default',
    runLeadMs: 0,
  },
  {
    name: `B with A's burst of ${BURST}, fairness, no sticky`,
    fairness: true,
    burst: BURST,
    worker: 'no-sticky',
    runLeadMs: 0,
  },
  {
    name: `B with A's burst of ${BURST}, fairness, tenant worker`,
    fairness: true,
    burst: BURST,
    worker: 'tenants',
    runLeadMs: 0,
  },
  {
    name: `B with A's burst of ${BURST}, fairness, tenant worker, run lead`,
    fairness: true,
    burst: BURST,
    worker: 'tenants',
    runLeadMs: LEAD,
  },
  {
    // A limit A never reaches: what asking for slots costs a burst.
    name: `B with A's burst of ${BURST}, fairness, tenant worker, A's concurrent_runs ${BURST}`,
    fairness: true,
    burst: BURST,
    worker: 'tenants',
    acmeConcurrentRuns: BURST,
    runLeadMs: 0,
  },
];
const cases = only
  ? allCases.filter((c) => (only.endsWith('$') ? c.name.endsWith(only.slice(0, -1)) : c.name.includes(only)))
  : allCases;
const results = [];
for (const c of cases) results.push(await runCase(c));
// Only a whole run replaces the recorded results.
if (!only) {
  const name = SERVER === 'cluster' ? 'tenant-fairness-cluster.json' : 'tenant-fairness.json';
  const out = path.join(PROJECT_ROOT, 'bench', 'results', name);
  writeFileSync(out, `${JSON.stringify({ machine: machineInfo(), results }, null, 2)}\n`);
  console.log(`wrote ${path.relative(PROJECT_ROOT, out)}`);
}
process.exit(0);
