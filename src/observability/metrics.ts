/**
 * Pulse's Prometheus metrics, in one registry per process (`createMetrics`): tasks scheduled, runs by outcome, fire lateness, run
 * duration, callback attempts and failures, API latency. `GET /metrics` serves them together with the Temporal
 * worker's own metrics (scraped from the SDK's exporter) in the Prometheus text format.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface PulseMetrics {
  readonly registry: Registry;
  /**
   * The text for `GET /metrics`: Pulse's registry, then the Temporal SDK's own metrics when this process runs a
   * worker with the SDK exporter on `workerMetricsUrl`.
   */
  render(): Promise<string>;
  readonly tasksScheduled: Counter<'schedule_type' | 'executor' | 'kind' | 'tenant'>;
  readonly runsFinished: Counter<'schedule_type' | 'executor' | 'status' | 'tenant'>;
  readonly fireLateness: Histogram<'schedule_type'>;
  readonly runDuration: Histogram<'schedule_type' | 'executor' | 'status'>;
  readonly callbackAttempts: Counter<'outcome'>;
  /** What runs of tasks with a budget reported they used, per task (only those: their ids are long-lived). */
  readonly spendTokens: Counter<'task_id'>;
  readonly spendCost: Counter<'task_id'>;
  readonly apiRequests: Histogram<'method' | 'route' | 'status'>;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];

export interface MetricsOptions {
  /** The Temporal SDK's Prometheus exporter in this process, appended to `/metrics`. */
  readonly workerMetricsUrl?: string;
}

/**
 * One registry for the process: the composition root makes it once and hands it to the API and the activities
 * (API and worker in one process, as with npm start, share it).
 */
export function createMetrics(options: MetricsOptions = {}): PulseMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pulse_' });
  return {
    registry,
    render: () => renderMetrics(registry, options.workerMetricsUrl),
    tasksScheduled: new Counter({
      name: 'pulse_tasks_scheduled_total',
      help: 'Tasks accepted by POST /tasks/schedule (with tenants: per tenant)',
      labelNames: ['schedule_type', 'executor', 'kind', 'tenant'],
      registers: [registry],
    }),
    runsFinished: new Counter({
      name: 'pulse_runs_total',
      help: 'Runs finished by an executor, by outcome (success or failed, after retries; with tenants: per tenant)',
      labelNames: ['schedule_type', 'executor', 'status', 'tenant'],
      registers: [registry],
    }),
    fireLateness: new Histogram({
      name: 'pulse_fire_lateness_seconds',
      help: 'How long after its due time a run started',
      labelNames: ['schedule_type'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    runDuration: new Histogram({
      name: 'pulse_run_duration_seconds',
      help: 'Duration of one run attempt in its executor',
      labelNames: ['schedule_type', 'executor', 'status'],
      buckets: SECONDS,
      registers: [registry],
    }),
    callbackAttempts: new Counter({
      name: 'pulse_callback_attempts_total',
      help: 'Callback delivery attempts by outcome (delivered, retry, final_failure)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    spendTokens: new Counter({
      name: 'pulse_spend_tokens_total',
      help: 'Tokens the runs of a task with a budget reported using',
      labelNames: ['task_id'],
      registers: [registry],
    }),
    spendCost: new Counter({
      name: 'pulse_spend_cost_total',
      help: 'Cost the runs of a task with a budget reported (in the unit its agent reports, e.g. USD)',
      labelNames: ['task_id'],
      registers: [registry],
    }),
    apiRequests: new Histogram({
      name: 'pulse_api_request_duration_seconds',
      help: 'HTTP API request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

async function renderMetrics(registry: Registry, workerMetricsUrl?: string): Promise<string> {
  const own = await registry.metrics();
  if (!workerMetricsUrl) return own;
  try {
    const response = await fetch(workerMetricsUrl, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return own;
    return `${own}\n${await response.text()}`;
  } catch {
    return own;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const KNOWN_SCHEDULE_TYPES = new Set(['run_agent', 'execute_agent', 'http_request']);

/** Users name generic task types freely; as label values those would grow the metrics without bound. */
export function metricScheduleType(scheduleType: string): string {
  return KNOWN_SCHEDULE_TYPES.has(scheduleType) ? scheduleType : 'generic';
}
