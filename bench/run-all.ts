/**
 * `npm run bench`: every benchmark in turn, each against its own dev server (or cluster, `--server=cluster`), then
 * the summary table, printed and written to bench/results/summary.json (bench/results/cluster/ for a cluster run)
 * and into BENCHMARKS.md.
 *
 *   npm run bench                                  # all six (about 12 minutes on 2 cores)
 *   BENCH_SCALE=0.1 npm run bench                  # a quick run
 *   npm run bench -- --only=lateness,herd --sides=pulse,direct,baseline
 *   npm run bench -- --server=cluster              # on the production-shaped cluster (`npm run cluster -- build`)
 *   npm run bench -- --server=cluster --only=herd --herd-workers=1,2,4
 *   npm run bench -- --only=herd --pin-server-core # the server on CPU 0, workers and load on CPU 1 (bench/lib/placement.ts)
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { apiOverhead } from './api-overhead.js';
import { checkDirectInputs } from './check-equivalence.js';
import { fireLateness } from './fire-lateness.js';
import { workflowBundles } from './lib/bundles.js';
import { machineInfo } from './lib/machine.js';
import { readOptions, type BenchmarkName } from './lib/options.js';
import { loadAverage } from './lib/proc.js';
import {
  BENCHMARKS_MD,
  RESULTS_DIR,
  RESULTS_LABEL,
  type BenchResult,
  type BenchmarkRun,
} from './lib/report.js';
import { printSummary, summaryMarkdown, summaryRows, updateBenchmarksMd } from './lib/summary.js';
import { sqliteSettingsFromEnv } from './lib/bench-server.js';
import { benchServerDescription } from './lib/temporal-server.js';
import { memoryPerSleepingTask } from './memory.js';
import { dueToCallbackOverhead } from './overhead.js';
import { schedulingThroughput } from './throughput.js';
import { thunderingHerd } from './thundering-herd.js';

const BENCHMARKS: Record<BenchmarkName, BenchmarkRun> = {
  lateness: fireLateness,
  throughput: schedulingThroughput,
  overhead: dueToCallbackOverhead,
  memory: memoryPerSleepingTask,
  api: apiOverhead,
  herd: thunderingHerd,
};

function commandLine(): string {
  const env = Object.entries(process.env)
    .filter(([key]) => key.startsWith('BENCH_'))
    .map(([key, value]) => `${key}=${value}`);
  const args = process.argv.slice(2);
  return [...env, 'npm run bench', ...(args.length ? ['--', ...args] : [])].join(' ');
}

async function main(): Promise<void> {
  const options = readOptions();
  const started = Date.now();
  const loadStart = loadAverage();
  const machine = machineInfo();
  console.log(`Pulse benchmarks: ${commandLine()}`);
  console.log(
    `${machine.nproc} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, temporal ${machine.temporalCli}; load ${loadStart}`,
  );
  console.log(`server: ${benchServerDescription(options.server)}`);
  console.log(
    `scale ${options.scale}; benchmarks: ${options.only.join(', ')}; sides: ${options.sides.join(', ')}`,
  );
  const mismatches = checkDirectInputs();
  if (mismatches.length > 0)
    console.warn(`!! the direct side's input differs from the API's:\n${mismatches.join('\n')}`);
  await workflowBundles();

  const results: BenchResult[] = [];
  const failures: Record<string, string> = {};
  for (const name of options.only) {
    try {
      results.push(await BENCHMARKS[name](options));
    } catch (err) {
      // One benchmark failing (a busy machine, a timeout) should not throw away the others' figures.
      failures[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(`\n!! ${name} failed: ${failures[name]}`);
    }
  }

  const rows = summaryRows(results);
  printSummary(rows);
  const durationS = Math.round((Date.now() - started) / 1000);
  const run = {
    date: new Date(started).toISOString(),
    command: commandLine(),
    durationS,
    machine: machineInfo(),
    sqlite: sqliteSettingsFromEnv(),
    server: benchServerDescription(options.server),
    loadAverage: { start: loadStart, end: loadAverage() },
  };
  writeFileSync(
    path.join(RESULTS_DIR, 'summary.json'),
    `${JSON.stringify({ ...run, options, rows, failures }, null, 2)}\n`,
  );
  updateBenchmarksMd(BENCHMARKS_MD, summaryMarkdown(rows, run));
  console.log(
    `\ndone in ${Math.floor(durationS / 60)} min ${durationS % 60} s; results in ${RESULTS_DIR}, table in BENCHMARKS.md (${RESULTS_LABEL})`,
  );
  if (Object.keys(failures).length > 0) process.exitCode = 1;
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
