import { Context } from '@temporalio/activity';
import { DEFAULT_MAX_RESULT_BYTES, boundResult } from '../src/executors/bound-result.js';
import { ApplicationFailure } from '@temporalio/common';
import { taskLogger, type Logger } from '../src/observability/logger.js';
import { metricScheduleType, type PulseMetrics } from '../src/observability/metrics.js';
import { permanentFailure } from '../src/errors.js';
import type { Executor } from '../src/executors/executor.js';
import type { RunSlots } from '../src/tenants/run-slots.js';
import type { ExecutorFactory } from '../src/executors/executor-factory.js';
import { resolveExecutor } from '../src/executors/resolve-executor.js';
import { readNextRun, readUsage, resultHash, saysNothingToReport } from '../src/executors/agent-signals.js';
import { FailureType } from '../src/shared/failure-types.js';
import { holdUntilDue } from './run-ahead.js';
import type { ExecutionOutput, ExecutionRequest, Usage } from '../src/shared/task-types.js';

/** Heartbeat often enough that a cancellation or a dead worker is noticed within seconds, not minutes. */
const HEARTBEAT_EVERY_MS = 1000;

/** The executor a run names, or the one the API would have chosen for a run that names none. */
function executorFor(executors: ExecutorFactory, request: ExecutionRequest): Executor {
  const choice = resolveExecutor(executors, { ...request, hasWebhook: request.webhook !== undefined });
  if (!choice.ok) throw permanentFailure(FailureType.UnknownExecutor, choice.detail);
  return choice.executor;
}

const withNextRun = (nextRun: ReturnType<typeof readNextRun>) => (nextRun ? { nextRun } : {});

/** The usage a budgeted task's run reported, counted in the task's spend metrics. */
function spent(request: ExecutionRequest, metrics: PulseMetrics, usage: Usage | undefined) {
  if (!usage) return {};
  if (usage.tokens) metrics.spendTokens.inc({ task_id: request.taskId }, usage.tokens);
  if (usage.cost) metrics.spendCost.inc({ task_id: request.taskId }, usage.cost);
  return { usage };
}

export function createExecuteAgent(
  executors: ExecutorFactory,
  maxResultBytes = DEFAULT_MAX_RESULT_BYTES,
  observability: { readonly logger: Logger; readonly metrics: PulseMetrics },
  slots?: RunSlots,
) {
  /** Runs one task through the executor it names and returns the executor's JSON result. */
  return async function executeAgent(request: ExecutionRequest): Promise<ExecutionOutput> {
    await holdUntilDue(request);
    const executor = executorFor(executors, request);
    const problems = executor.validateParams(request);
    if (problems.length > 0) {
      throw permanentFailure(
        FailureType.InvalidParams,
        `executor '${executor.name}' refused the task: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      );
    }
    const context = Context.current();
    const { attempt, retryPolicy, workflowExecution } = context.info;
    const log = taskLogger(observability.logger, {
      taskId: request.taskId,
      workflowId: workflowExecution?.workflowId ?? request.taskId,
      executionId: request.executionId,
    });
    const { metrics } = observability;
    const labels = { schedule_type: metricScheduleType(request.scheduleType), executor: executor.name };
    const finishedLabels = request.tenant ? { ...labels, tenant: request.tenant } : labels;
    if (attempt === 1) {
      const lateMs = Date.now() - Date.parse(request.scheduledFor);
      metrics.fireLateness.observe(
        { schedule_type: metricScheduleType(request.scheduleType) },
        Math.max(0, lateMs) / 1000,
      );
    }
    log.info({ executor: executor.name, attempt, scheduled_for: request.scheduledFor }, 'run started');
    // The ticker repeats the executor's last progress: a heartbeat replaces the details Temporal shows.
    let progress: unknown;
    const ticker = setInterval(() => context.heartbeat(progress), HEARTBEAT_EVERY_MS);
    // A tenant at its concurrent_runs limit: the run waits (heartbeating, so a cancel reaches it) for a slot.
    let release: (() => void) | undefined;
    try {
      if (slots && request.tenant) release = await slots.acquire(request.tenant, context.cancellationSignal);
    } catch (err) {
      clearInterval(ticker);
      throw err;
    }
    const startedAt = performance.now();
    try {
      const result = await executor.execute(request, {
        signal: context.cancellationSignal,
        heartbeat: (details) => {
          progress = details;
          context.heartbeat(details);
        },
      });
      const executionTimeMs = Math.round(performance.now() - startedAt);
      metrics.runDuration.observe({ ...labels, status: 'success' }, executionTimeMs / 1000);
      metrics.runsFinished.inc({ ...finishedLabels, status: 'success' });
      log.info({ execution_time_ms: executionTimeMs, attempt }, 'run succeeded');
      const bounded = boundResult(result ?? null, maxResultBytes);
      return {
        result: bounded,
        executionTimeMs,
        resultHash: resultHash(bounded),
        ...(saysNothingToReport(bounded) ? { nothingToReport: true } : {}),
        ...(request.adaptive ? withNextRun(readNextRun(bounded)) : {}),
        ...(request.usage ? spent(request, metrics, readUsage(result, request.usage.path)) : {}),
      };
    } catch (err) {
      const seconds = (performance.now() - startedAt) / 1000;
      metrics.runDuration.observe({ ...labels, status: 'failed' }, seconds);
      const final =
        (err instanceof ApplicationFailure && err.nonRetryable) ||
        (retryPolicy?.maximumAttempts !== undefined &&
          retryPolicy.maximumAttempts > 0 &&
          attempt >= retryPolicy.maximumAttempts);
      if (final) metrics.runsFinished.inc({ ...finishedLabels, status: 'failed' });
      log.warn(
        { attempt, final, error: err instanceof Error ? err.message : String(err) },
        'run attempt failed',
      );
      throw err;
    } finally {
      release?.();
      clearInterval(ticker);
    }
  };
}
