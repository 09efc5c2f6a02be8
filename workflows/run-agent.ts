/** One run of a task through its executor (the `executeAgent` activity), as a run record. */
import {
  ActivityCancellationType,
  ActivityFailure,
  isCancellation,
  proxyActivities,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { RunAndDeliverOutput } from '../activities/run-and-deliver.js';
import type { ExecutionOutput, ExecutionRequest, RunContext, RunRecord } from '../src/shared/task-types.js';
import type { ResolvedInput } from './task-entity.js';

type Activities = ReturnType<typeof createActivities>;

const DEFAULT_RUN_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;

/** Largest result kept in the memo; the full result stays in the workflow's result. */
const MEMO_RESULT_LIMIT = 16 * 1024;

/**
 * The run as kept in the memo, so listing a task's runs is one visibility query instead of one call per run.
 * Large results are left out of the memo (flagged), and read from the workflow result when asked for.
 */
export function summarize(run: RunRecord): RunRecord & { resultOmitted?: boolean } {
  const size = JSON.stringify(run.result ?? null).length;
  return size > MEMO_RESULT_LIMIT ? { ...run, result: null, resultOmitted: true } : run;
}

/** A run, and (when the run's own activity made it) the first attempt at its callback. */
export interface RunOutcome {
  readonly run: RunRecord;
  readonly firstAttempt?: RunAndDeliverOutput['callback'];
}

/**
 * Runs the task once; an executor's failure (after its retries) is a failed run, a cancellation is thrown on.
 * With `callbackUrl`, the run's activity also makes the callback's first attempt (`runAndDeliver`). With
 * `notBeforeMs` the run is handed out ahead (`run-ahead.ts`): its activity waits in the worker until then.
 */
export async function runAgent(
  input: ResolvedInput,
  executionId: string,
  scheduledFor: string,
  callbackUrl?: string,
  runContext?: RunContext,
  notBeforeMs?: number,
): Promise<RunOutcome> {
  const timeoutMs = input.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const retry = input.retry;
  const activities = proxyActivities<Activities>({
    // What the Web UI shows for the activity: the call the run makes, not the activity's name.
    summary:
      runSummary(input) +
      (callbackUrl ? ', then its callback' : '') +
      (notBeforeMs !== undefined ? `; waits for ${new Date(notBeforeMs).toISOString()}` : ''),
    // A run handed out ahead holds its activity until the due time: the run's own timeout starts then.
    startToCloseTimeout: timeoutMs + Math.max(0, (notBeforeMs ?? 0) - Date.now()),
    // The activity heartbeats every second: a dead worker is noticed after this long, not after the run timeout,
    // and the attempt is retried on another worker.
    heartbeatTimeout: input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    // A cancelled task is reported cancelled only once its executor has actually stopped.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: retry?.maximumAttempts ?? 3,
      initialInterval: retry?.initialIntervalMs ?? 1000,
      backoffCoefficient: retry?.backoffCoefficient ?? 2,
      maximumInterval: retry?.maximumIntervalMs ?? 60_000,
    },
  });
  const request: ExecutionRequest = {
    taskId: input.taskId,
    executionId,
    scheduleType: input.scheduleType,
    executor: input.executor,
    payload: withContext(input, runContext),
    metadata: input.metadata ?? {},
    scheduledFor,
    timeoutMs,
    ...(input.webhook ? { webhook: input.webhook } : {}),
    ...(runContext ? { runContext } : {}),
    ...(input.adaptive ? { adaptive: true as const } : {}),
    ...(input.tenant ? { tenant: input.tenant } : {}),
    ...(input.budget ? { usage: input.budget.usagePath ? { path: input.budget.usagePath } : {} } : {}),
    ...(notBeforeMs !== undefined ? { notBeforeMs } : {}),
  };
  const startedAtMs = Math.max(Date.now(), notBeforeMs ?? 0);
  const ran = { executionId, scheduledFor, startedAtMs };
  const succeeded = (output: ExecutionOutput): RunRecord => ({
    ...ran,
    status: 'success',
    finishedAtMs: Date.now(),
    executionTimeMs: output.executionTimeMs,
    result: output.result,
    ...(output.resultHash ? { resultHash: output.resultHash } : {}),
    ...(output.nothingToReport ? { nothingToReport: true } : {}),
    ...(output.nextRun ? { nextRunRequest: output.nextRun } : {}),
    ...(output.usage ? { usage: output.usage } : {}),
  });
  try {
    if (callbackUrl) {
      const output = await activities.runAndDeliver({ request, callbackUrl });
      return { run: succeeded(output), firstAttempt: output.callback };
    }
    return { run: succeeded(await activities.executeAgent(request)) };
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    const finishedAtMs = Date.now();
    // A run handed out ahead may fail before its due time (its attempts ran out while it was held).
    const failedFromMs = Math.min(startedAtMs, finishedAtMs);
    return {
      run: {
        ...ran,
        startedAtMs: failedFromMs,
        status: 'failed',
        finishedAtMs,
        executionTimeMs: finishedAtMs - failedFromMs,
        result: null,
        error: err.cause?.message ?? err.message,
      },
    };
  }
}

/** An agent task's payload with the run context among its keyword arguments, under the name the task chose. */
function withContext(input: ResolvedInput, context: RunContext | undefined): Record<string, unknown> {
  const kwarg = input.runContext?.kwarg;
  if (!context || !kwarg) return input.payload;
  const params = (input.payload.params as Record<string, unknown> | null | undefined) ?? {};
  return { ...input.payload, params: { ...params, [kwarg]: context } };
}

/** One line saying what a run does: `POST https://…`, `agent a1 · main (local)`, `crawl → external worker`. */
export function runSummary(input: ResolvedInput): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const payload = input.payload;
  const executor = input.executor ?? 'auto';
  let line: string;
  if (input.webhook) line = `POST ${input.webhook.url} (${input.scheduleType} payload)`;
  else if (text(payload.url)) line = `${(text(payload.method) ?? 'GET').toUpperCase()} ${text(payload.url)}`;
  else if (text(payload.agent_id)) {
    line = `agent ${text(payload.agent_id)} · ${text(payload.entrypoint_tag) ?? 'default'} (${executor})`;
  } else line = `${input.scheduleType} (${executor})`;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
