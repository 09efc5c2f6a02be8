/**
 * `/metrics` scraped like Prometheus would (a text-format parser), counters that move when tasks run, the
 * Temporal worker's own metrics merged in, JSON log lines that carry task ids, and a health check that tells the
 * API, Temporal and the worker apart.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';
import { startPulse, startPulseApiOnly, type PulseUnderTest } from './helpers/pulse.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createDevServerEnv } from './helpers/temporal.js';

interface Family {
  name: string;
  type: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }>;
}

let env: TestWorkflowEnvironment;
let pulse: PulseUnderTest;
let receiver: Receiver;
let sdkMetrics: http.Server;

beforeAll(async () => {
  env = await createDevServerEnv();
  // Stands in for the Temporal SDK's Prometheus exporter of this process.
  sdkMetrics = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(
      '# HELP temporal_worker_task_slots_available Free slots\n# TYPE temporal_worker_task_slots_available gauge\ntemporal_worker_task_slots_available{worker_type="ActivityWorker"} 199\n',
    );
  });
  await new Promise<void>((resolve) => sdkMetrics.listen(0, '127.0.0.1', resolve));
  const { port } = sdkMetrics.address() as AddressInfo;
  pulse = await startPulse(env, { workerMetricsUrl: `http://127.0.0.1:${port}/metrics` });
  receiver = await startReceiver();
});

afterAll(async () => {
  await pulse?.stop();
  await receiver?.close();
  await new Promise((resolve) => sdkMetrics?.close(resolve));
  await env?.teardown();
});

let lastText = '';

async function scrape(): Promise<Map<string, Family>> {
  const response = await fetch(`${pulse.baseUrl}/metrics`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  lastText = await response.text();
  const families = parsePrometheusTextFormat(lastText) as Family[];
  return new Map(families.map((f) => [f.name, f]));
}

/** Sum of a counter's samples with these labels (the parser keeps labels for counters and gauges). */
function sum(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  if (!family) return 0;
  return family.metrics
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((total, m) => total + Number(m.value ?? 0), 0);
}

/** Observations in a histogram, from its +Inf buckets (the parser drops histogram labels, so all series). */
function observations(families: Map<string, Family>, name: string): number {
  const family = families.get(name);
  if (!family) return 0;
  expect(family.type).toBe('HISTOGRAM');
  return family.metrics.reduce((total, m) => total + Number(m.buckets?.['+Inf'] ?? 0), 0);
}

describe('observability', () => {
  it('/metrics parses as Prometheus text and its counters move when tasks run', async () => {
    const before = await scrape();
    const created = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}/m`, method: 'POST' },
      callback_url: `${receiver.url}/m-cb`,
    });
    expect(created.status).toBe(200);
    await receiver.waitFor('/m-cb');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await scrape();

    const delta = (name: string, labels?: Record<string, string>) =>
      sum(after, name, labels) - sum(before, name, labels);
    expect(
      delta('pulse_tasks_scheduled_total', { schedule_type: 'http_request', executor: 'http', kind: 'once' }),
    ).toBe(1);
    expect(delta('pulse_runs_total', { schedule_type: 'http_request', status: 'success' })).toBe(1);
    const histogramDelta = (name: string) => observations(after, name) - observations(before, name);
    expect(histogramDelta('pulse_fire_lateness_seconds')).toBe(1);
    expect(histogramDelta('pulse_run_duration_seconds')).toBe(1);
    expect(delta('pulse_callback_attempts_total', { outcome: 'delivered' })).toBe(1);
    expect(histogramDelta('pulse_api_request_duration_seconds')).toBeGreaterThanOrEqual(1);
    expect(lastText).toMatch(
      /pulse_api_request_duration_seconds_count\{method="POST",route="\/tasks\/schedule",status="200"\} [1-9]/,
    );
    expect(lastText).toMatch(/pulse_fire_lateness_seconds_count\{schedule_type="http_request"\} 1/);
    expect(sum(after, 'temporal_worker_task_slots_available')).toBe(199);
    expect(after.get('pulse_process_resident_memory_bytes')).toBeDefined();
  });

  it('/health tells the API, Temporal and the worker apart', async () => {
    const ok = (await pulse.call('GET', '/health')).body;
    expect(ok).toMatchObject({
      status: 'ok',
      api: 'ok',
      temporal: { reachable: true },
      worker: { polling: true },
    });
    const noWorker = await startPulseApiOnly(env, 'queue-without-workers', pulse.executors);
    try {
      const degraded = await fetch(`${noWorker.baseUrl}/health`);
      expect(degraded.status).toBe(503);
      expect(await degraded.json()).toMatchObject({
        status: 'degraded',
        api: 'ok',
        temporal: { reachable: true },
        worker: { polling: false, pollers: 0 },
      });
    } finally {
      await noWorker.stop();
    }
  });

  it('log lines about a task are JSON with task_id, workflow_id and execution_id', () => {
    const script = [
      "import { loadConfig } from './src/config.ts';",
      "import { createLogger, taskLogger } from './src/observability/logger.ts';",
      'const logger = createLogger(loadConfig());',
      "taskLogger(logger, { taskId: 'task_1', workflowId: 'task_1', executionId: 'task_1:run' }).info({ attempt: 1 }, 'run started');",
    ].join('\n');
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, PULSE_LOG_LEVEL: 'info' },
    });
    expect(out.status, out.stderr).toBe(0);
    const line = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    expect(line).toMatchObject({
      level: 'info',
      service: 'pulse',
      task_id: 'task_1',
      workflow_id: 'task_1',
      execution_id: 'task_1:run',
      attempt: 1,
      msg: 'run started',
    });
    expect(Date.parse(line.time)).toBeGreaterThan(0);
  });
});
