/**
 * OpenTelemetry tracing end to end. Pulse runs as `npm start` runs it (worker and API in one process, here on the
 * test's dev server), with `PULSE_TRACING=otlp` and `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a real OTLP/HTTP
 * receiver on 127.0.0.1. One task's spans arrive as one trace, joined to the caller's `traceparent`, with every
 * parent link in place. Without `PULSE_TRACING` the same flow sends the receiver nothing.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startTracing } from '../src/observability/tracing.js';
import { PROJECT_ROOT } from '../src/project-root.js';
import { workflowCode } from '../src/temporal/worker.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { freePort, startService, stopService, type ServiceProcess } from './helpers/service.js';
import { createDevServerEnv } from './helpers/temporal.js';

interface Service extends ServiceProcess {
  readonly baseUrl: string;
}

/** One span as the OTLP/HTTP JSON encoding carries it, with its resource's service name. */
interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly service: unknown;
  readonly attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: OtlpAttribute[];
      }>;
    }>;
  }>;
}

let env: TestWorkflowEnvironment;
let receiver: Receiver;

beforeAll(async () => {
  env = await createDevServerEnv();
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await env?.teardown();
});

/** `npm start` against the test's Temporal server, with the OTLP endpoint set either way. */
async function startTracedService(otlpUrl: string, tracing: string | undefined): Promise<Service> {
  const port = await freePort();
  const service = await startService({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    HOST: '127.0.0.1',
    PORT: String(port),
    PULSE_TASK_QUEUE: `pulse-tracing-${randomUUID().slice(0, 8)}`,
    PULSE_WORKER_METRICS_PORT: '0',
    // The receivers live on 127.0.0.1, which the SSRF guard refuses by default.
    PULSE_ALLOW_PRIVATE_NETWORKS: 'true',
    PULSE_TRACING: tracing,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
    OTEL_SERVICE_NAME: undefined,
    OTEL_RESOURCE_ATTRIBUTES: undefined,
  });
  return { ...service, baseUrl: `http://127.0.0.1:${port}` };
}

async function runOneTask(service: Service, headers: Record<string, string> = {}): Promise<string> {
  const tag = randomUUID().slice(0, 8);
  const response = await fetch(`${service.baseUrl}/tasks/schedule`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}/call-${tag}`, method: 'POST' },
      callback_url: `${receiver.url}/callback-${tag}`,
    }),
  });
  const body = (await response.json()) as { task_id: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  const [callback] = await receiver.waitFor(`/callback-${tag}`);
  expect(callback!.json).toMatchObject({ task_id: body.task_id, status: 'success' });
  await env.client.workflow.getHandle(body.task_id).result();
  return body.task_id;
}

function plain(value: OtlpValue | undefined): unknown {
  if (!value) return undefined;
  return value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, plain(a.value)]));
}

function spansIn(otlp: Receiver): ReceivedSpan[] {
  return otlp.at('/v1/traces').flatMap((request) => {
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    return ((request.json as OtlpExport).resourceSpans ?? []).flatMap((resourceSpans) => {
      const service = attributesOf(resourceSpans.resource?.attributes)['service.name'];
      return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
        (scope.spans ?? []).map((span) => ({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || undefined,
          name: span.name,
          service,
          attributes: attributesOf(span.attributes),
        })),
      );
    });
  });
}

describe('tracing', () => {
  it('PULSE_TRACING accepts otlp, console and off, and names them when given anything else', () => {
    expect(loadConfig({}).tracing).toBe('off');
    expect(loadConfig({ PULSE_TRACING: 'OTLP' }).tracing).toBe('otlp');
    expect(loadConfig({ PULSE_TRACING: 'console' }).tracing).toBe('console');
    expect(() => loadConfig({ PULSE_TRACING: 'zipkin' })).toThrow(/otlp.*console.*off.*'zipkin'/);
  });

  it('a bad setting stops `npm run api` with its message and no stack trace', async () => {
    const child = spawn(process.execPath, ['scripts/run-bundled.mjs', 'src/main/api.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, PULSE_TRACING: 'zipkin', TEMPORAL_ADDRESS: '127.0.0.1:1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      "[pulse] failed to start: PULSE_TRACING must be otlp (OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT), console or off, got 'zipkin'",
    );
  });

  it('exports one trace per task: the API start, the workflow, its activity, under the caller', async () => {
    const otlp = await startReceiver();
    otlp.respond('/v1/traces', 200, {});
    const service = await startTracedService(otlp.url, 'otlp');
    let taskId = '';
    let exitCode: number | null = null;
    const callerTrace = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    try {
      expect(service.output.join('')).toContain(`[pulse] tracing on: spans to ${otlp.url}/v1/traces`);
      taskId = await runOneTask(service, { traceparent: `00-${callerTrace}-${callerSpan}-01` });
    } finally {
      exitCode = await stopService(service);
      await otlp.close();
    }
    expect(exitCode, service.output.join('')).toBe(0);

    const spans = spansIn(otlp);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([callerTrace]));
    const one = (name: string): ReceivedSpan => {
      const found = spans.filter((s) => s.name === name);
      expect(found, `${name} in ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
      return found[0]!;
    };
    const start = one('StartWorkflow:scheduledTask');
    const run = one('RunWorkflow:scheduledTask');
    // One activity runs the task and makes the callback's first attempt (which the receiver accepted).
    const startRun = one('StartActivity:runAndDeliver');
    const runRun = one('RunActivity:runAndDeliver');

    expect(start.parentSpanId).toBe(callerSpan);
    expect(run.parentSpanId).toBe(start.spanId);
    expect(startRun.parentSpanId).toBe(run.spanId);
    expect(runRun.parentSpanId).toBe(startRun.spanId);

    expect(start.attributes.temporalWorkflowId).toBe(taskId);
    expect(runRun.attributes).toMatchObject({
      'pulse.task_id': taskId,
      'pulse.schedule_type': 'http_request',
      temporalWorkflowId: taskId,
    });
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['pulse']));

    // Turning tracing off must not break running tasks: the traced history replays on an untraced worker.
    const history = await env.client.workflow.getHandle(taskId).fetchHistory();
    await Worker.runReplayHistory(await workflowCode(), history, taskId);
  });

  it('is off by default: the same flow sends nothing, though an OTLP endpoint is set', async () => {
    const otlp = await startReceiver();
    const service = await startTracedService(otlp.url, undefined);
    let exitCode: number | null = null;
    let taskId = '';
    try {
      expect(service.output.join('')).not.toContain('tracing on');
      taskId = await runOneTask(service, {
        traceparent: `00-${randomBytes(16).toString('hex')}-${'1'.repeat(16)}-01`,
      });
    } finally {
      exitCode = await stopService(service);
      await otlp.close();
    }
    expect(exitCode, service.output.join('')).toBe(0);
    expect(otlp.requests).toEqual([]);

    // Nor turning it on: the untraced history replays with the tracing interceptors in the workflow bundle.
    const history = await env.client.workflow.getHandle(taskId).fetchHistory();
    const tracing = startTracing('console');
    try {
      await Worker.runReplayHistory(await workflowCode(tracing.worker), history, taskId);
    } finally {
      await tracing.shutdown();
    }
  });
});
