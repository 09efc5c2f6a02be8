/**
 * Benchmark 5, API overhead: latency of a schedule request that Pulse rejects (400, an impossible date) at a
 * fixed rate, against a bare Hono route served the same way, with the same body. An open-loop generator in
 * Node: requests go out on a fixed clock whether or not earlier ones have answered, and each latency counts
 * from its planned send time (no coordinated omission). The two targets take turns in two rounds each.
 */
import { Pool } from 'undici';
import { startChild, type BenchChild } from './lib/child-process.js';
import { createLatencyRecorder, type LatencyRecorder } from './lib/histogram.js';
import { openLoop, type OpenLoopResult } from './lib/load.js';
import { machineInfo } from './lib/machine.js';
import type { BenchOptions } from './lib/options.js';
import { loadAverage } from './lib/proc.js';
import { printLatencyTable, ratio, writeResult, type BenchResult } from './lib/report.js';
import { runIfMain } from './lib/standalone.js';
import { NAMESPACE, startBenchServer } from './lib/temporal-server.js';

const ROUNDS = 2;
const CONNECTIONS = 64;

/** Valid against the schema; refused by `parseWhen` with a 400 before anything reaches Temporal. */
const REJECTED_BODY = JSON.stringify({
  schedule_type: 'http_request',
  when: 'feb 30 at 9am',
  payload: { url: 'http://127.0.0.1:9/never', method: 'GET' },
});

interface Target {
  readonly name: 'pulse' | 'hello';
  readonly path: string;
  readonly pool: Pool;
  readonly latency: LatencyRecorder;
  readonly statuses: Record<string, number>;
  sent: number;
  errors: number;
  rates: number[];
}

export async function apiOverhead(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const loadStart = loadAverage();
  const { rate, durationMs, warmupMs } = options.api;
  console.log(
    `\n== 5. API overhead (${rate} req/s, open loop, ${ROUNDS} rounds of ${durationMs / ROUNDS / 1000} s each) ==`,
  );
  const server = await startBenchServer();
  const children: BenchChild[] = [];
  const targets: Target[] = [];
  try {
    const [api, hello] = await Promise.all([
      startChild('pulse api', 'pulse-api', {
        address: server.address,
        namespace: NAMESPACE,
        taskQueue: 'pulse',
      }),
      startChild('hello api', 'hello-api', {}),
    ]);
    children.push(api, hello);
    const target = (name: Target['name'], child: BenchChild, path: string): Target => ({
      name,
      path,
      pool: new Pool(`http://127.0.0.1:${String(child.info.port)}`, { connections: CONNECTIONS }),
      latency: createLatencyRecorder(),
      statuses: {},
      sent: 0,
      errors: 0,
      rates: [],
    });
    targets.push(target('hello', hello, '/hello'), target('pulse', api, '/tasks/schedule'));
    const probe = await targets[1]!.pool.request({
      path: '/tasks/schedule',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: REJECTED_BODY,
    });
    console.log(`  the rejected request: ${probe.statusCode} ${(await probe.body.text()).slice(0, 120)}…`);

    for (let round = 0; round < ROUNDS; round++) {
      for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
        const run: OpenLoopResult = await openLoop({
          rate,
          durationMs: durationMs / ROUNDS,
          warmupMs,
          request: async () => {
            const response = await t.pool.request({
              path: t.path,
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: REJECTED_BODY,
            });
            await response.body.dump();
            return response.statusCode;
          },
        });
        for (const sample of run.latency.samples) t.latency.record(sample);
        for (const [status, count] of Object.entries(run.statuses))
          t.statuses[status] = (t.statuses[status] ?? 0) + count;
        t.sent += run.sent;
        t.errors += run.errors;
        t.rates.push(Math.round(run.achievedRate));
        console.log(
          `  round ${round + 1} ${t.name}: ${run.achievedRate.toFixed(0)} req/s sent, p99 ${run.latency.summary().p99Ms} ms`,
        );
      }
    }
  } finally {
    for (const t of targets) await t.pool.close();
    for (const child of children) await child.stop();
    await server.stop();
  }
  const bySide = Object.fromEntries(targets.map((t) => [t.name, t.latency.summary()]));
  printLatencyTable('  request latency (from planned send time)', {
    pulse: bySide.pulse!,
    baseline: bySide.hello!,
  });
  const p99Ratio = ratio(bySide.pulse!.p99Ms, bySide.hello!.p99Ms);
  const result: BenchResult = {
    name: 'api',
    title: 'API overhead: rejected schedule request vs bare Hono route',
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machineInfo(),
    options: {
      ...options.api,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      generator: 'open loop (Node, undici)',
    },
    loadAverage: { start: loadStart, end: loadAverage() },
    results: {
      bySide,
      statuses: Object.fromEntries(targets.map((t) => [t.name, t.statuses])),
      errors: Object.fromEntries(targets.map((t) => [t.name, t.errors])),
      achievedRate: Object.fromEntries(targets.map((t) => [t.name, t.rates])),
      ratios: { pulseToHello: { p50: ratio(bySide.pulse!.p50Ms, bySide.hello!.p50Ms), p99: p99Ratio } },
    },
  };
  writeResult(result);
  return result;
}

runIfMain(import.meta.url, apiOverhead);
