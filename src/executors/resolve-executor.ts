/**
 * The one rule that says which executor runs a task, asked at schedule time by the API (so an unknown or
 * unavailable executor is a 400 now, not a failed run hours later) and again at run time by `executeAgent`: a run
 * names the executor chosen when it was scheduled; a run that names none (a schedule made by hand with
 * `temporal schedule create`) gets the one the API would have chosen for it, by the same reading of its payload.
 */
import type { ExecutorChoice, ExecutorFactory } from './executor-factory.js';

/** What a task says about how it wants to run. */
export interface ExecutorTask {
  readonly scheduleType: string;
  readonly payload: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
  readonly hasWebhook: boolean;
  /** The executor already chosen for it (by name). */
  readonly executor?: string;
}

function stringField(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The SDK's `local: true|false` forces the local or the serverless executor. */
function localFlag(value: unknown): string | undefined {
  if (value === true) return 'local';
  if (value === false) return 'serverless';
  return undefined;
}

export function resolveExecutor(executors: ExecutorFactory, task: ExecutorTask): ExecutorChoice {
  if (task.executor) {
    // Chosen (and found available) when the task was scheduled; only a worker without it refuses it now.
    const named = executors.get(task.executor);
    if (named) return { ok: true, executor: named };
    return {
      ok: false,
      code: 'UNKNOWN_EXECUTOR',
      detail: `executor '${task.executor}' is not registered on this worker (registered: ${executors.names().join(', ') || 'none'})`,
    };
  }
  const { payload } = task;
  const metadata = task.metadata ?? {};
  const requested =
    stringField(payload, 'executor_type') ??
    stringField(metadata, 'executor_type') ??
    localFlag(payload.local ?? metadata.local);
  const hasAgentHost = [
    payload.agent_host,
    payload.agent_port,
    metadata.agent_host,
    metadata.agent_port,
  ].some((v) => v != null);
  return executors.choose({
    scheduleType: task.scheduleType,
    ...(requested !== undefined ? { requested } : {}),
    hasAgentHost,
    hasWebhook: task.hasWebhook,
  });
}
