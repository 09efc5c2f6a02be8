/**
 * Worker settings for an experiment, from the environment: `BENCH_WORKER_OPTIONS` (both sides) and
 * `BENCH_PULSE_WORKER_OPTIONS` / `BENCH_BASELINE_WORKER_OPTIONS` (one side), each a JSON object of SDK worker
 * options, e.g. `{"maxCachedWorkflows":12000}`. Unset: the bench's workers as they are.
 */
import type { WorkerOptions } from '@temporalio/worker';

export function experimentWorkerOptions(side: 'pulse' | 'baseline'): Partial<WorkerOptions> {
  const own =
    side === 'pulse' ? process.env.BENCH_PULSE_WORKER_OPTIONS : process.env.BENCH_BASELINE_WORKER_OPTIONS;
  return { ...parse(process.env.BENCH_WORKER_OPTIONS), ...parse(own) };
}

function parse(text: string | undefined): Partial<WorkerOptions> {
  if (!text) return {};
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`worker options must be a JSON object, got ${text}`);
  }
  return value as Partial<WorkerOptions>;
}
