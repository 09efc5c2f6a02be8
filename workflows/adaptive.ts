/**
 * Adaptive tasks (`adaptive`, docs/agent-runs.md): after each run the agent's result sets the next one
 * (`next_run_in` / `next_run_at`), kept between the task's `min_interval` and `max_interval` from the end of the
 * run; a failed run, or a result that names no next run, waits `max_interval`. The workflow then continues as new
 * for the next run, carrying a summary of the runs before it. Pure, apart from the ISO formatting.
 */
import type { AdaptivePolicy, EarlierRuns, NextRunDecision, RunRecord } from '../src/shared/task-types.js';

/** Runs an execution carries of the ones before it: as many as delivery and the run context look at. */
export const CARRIED_RUNS = 50;
/** Longest result a carried run keeps (as text): the length of a run context's `result_summary`. */
export const RESULT_SUMMARY_CHARS = 1000;

function words(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** When the task runs next after `run` (its `number`, 1 for the first), which ended at `endedAtMs`. */
export function decideNextRun(
  run: RunRecord,
  policy: AdaptivePolicy,
  number: number,
  endedAtMs: number,
): NextRunDecision {
  const { minIntervalMs: min, maxIntervalMs: max } = policy;
  const at = (ms: number, reason: string): NextRunDecision => ({ at: new Date(ms).toISOString(), reason });
  if (policy.times !== undefined && number >= policy.times) {
    return { at: null, reason: `this was the last of ${policy.times} runs (adaptive.times)` };
  }
  const request = run.nextRunRequest;
  if (run.status !== 'success') return at(endedAtMs + max, `the run failed: max_interval (${words(max)})`);
  if (!request) return at(endedAtMs + max, `the result named no next run: max_interval (${words(max)})`);
  if (request.stop) return { at: null, reason: 'the agent asked for no further run' };
  if (request.invalid) return at(endedAtMs + max, `${request.invalid}: max_interval (${words(max)})`);
  const asked =
    request.inMs !== undefined
      ? `next_run_in ${words(request.inMs)}`
      : `next_run_at ${new Date(request.atMs!).toISOString()}`;
  const delay = request.inMs ?? request.atMs! - endedAtMs;
  if (delay < min)
    return at(endedAtMs + min, `the agent asked for ${asked}; raised to min_interval (${words(min)})`);
  if (delay > max)
    return at(endedAtMs + max, `the agent asked for ${asked}; lowered to max_interval (${words(max)})`);
  return at(endedAtMs + delay, `the agent asked for ${asked}`);
}

/** A result as text (JSON unless it is a string), cut to `RESULT_SUMMARY_CHARS`; null for none. */
export function resultSummary(result: unknown): string | null {
  if (result === null || result === undefined) return null;
  const text = typeof result === 'string' ? result : JSON.stringify(result);
  return text.length > RESULT_SUMMARY_CHARS ? `${text.slice(0, RESULT_SUMMARY_CHARS - 1)}…` : text;
}

/** A run as the next execution carries it: its result cut to its summary. */
function carried(run: RunRecord): RunRecord {
  const { triggerInput: _input, result, ...rest } = run;
  return { ...rest, result: resultSummary(result) };
}

/** What the next execution carries: this execution's runs before the earlier ones, most recent first. */
export function carryOver(runs: readonly RunRecord[], earlier: EarlierRuns | undefined): EarlierRuns {
  return {
    count: (earlier?.count ?? 0) + runs.length,
    runs: [...[...runs].reverse().map(carried), ...(earlier?.runs ?? [])].slice(0, CARRIED_RUNS),
  };
}
