/**
 * A callback receiver that is down for over two minutes, then back: on the time-skipping server the backoff
 * between attempts passes in moments, while the receiver, the worker and its activities are real. The result
 * arrives exactly once, under one webhook-id, with a signature the reference library accepts.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { SCHEDULED_TASK_WORKFLOW } from '../src/shared/search-attributes.js';
import { TASK_INPUT_VERSION, type RunRecord, type ScheduledTaskInput } from '../src/shared/task-types.js';
import { createInProcessWorker } from './helpers/pulse.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createTimeSkippingEnv } from './helpers/temporal.js';

const SECRET = `whsec_${Buffer.from('outage-test-secret-0123456789abcdef').toString('base64')}`;
const taskQueue = 'callback-outage';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let receiver: Receiver;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  receiver = await startReceiver();
  worker = await createInProcessWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    executors: createExecutorFactory(),
    activities: { webhookSecret: SECRET },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await receiver?.close();
  await env?.teardown();
});

describe('callback outage', () => {
  it('down for over 2 minutes, then back: delivered exactly once, one webhook-id, valid signature', async () => {
    // Jittered backoff waits at least 0.5+1+2+…+64 s over the first eight retries: nine refusals span > 2 min.
    receiver.script('/cb', (n) =>
      n <= 9 ? { status: 503, body: { down: true } } : { status: 200, body: { ok: true } },
    );
    const taskId = 'task_outage';
    const started = await env.currentTimeMs();
    const input: ScheduledTaskInput = {
      version: TASK_INPUT_VERSION,
      taskId,
      scheduleType: 'http_request',
      executor: 'http',
      payload: { url: `${receiver.url}/work`, method: 'POST' },
      callbackUrl: `${receiver.url}/cb`,
    };
    const handle = await env.client.workflow.start(SCHEDULED_TASK_WORKFLOW, {
      taskQueue,
      workflowId: taskId,
      args: [input],
    });
    const run = (await handle.result()) as RunRecord;

    const attempts = receiver.at('/cb');
    expect((await env.currentTimeMs()) - started).toBeGreaterThan(120_000);
    expect(run.callback).toMatchObject({ status: 'delivered' });
    expect(run.callback!.attempts).toBe(attempts.length);
    expect(attempts).toHaveLength(10);
    expect(new Set(attempts.map((a) => a.headers['webhook-id']))).toEqual(new Set([run.executionId]));
    const verifier = new Webhook(SECRET);
    for (const attempt of attempts) {
      expect(
        verifier.verify(attempt.body, {
          'webhook-id': String(attempt.headers['webhook-id']),
          'webhook-timestamp': String(attempt.headers['webhook-timestamp']),
          'webhook-signature': String(attempt.headers['webhook-signature']),
        }),
      ).toMatchObject({ task_id: taskId, execution_id: run.executionId, status: 'success' });
    }
    expect(receiver.at('/work')).toHaveLength(1);
  });
});
