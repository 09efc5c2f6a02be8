/**
 * Callbacks that are never lost: retried with backoff until the receiver answers 2xx (honouring Retry-After),
 * the same `webhook-id` and `execution_id` on every attempt, final on 4xx, and a delivery that never gets through
 * recorded where users look (the API, the run record, the PulseCallbackStatus search attribute).
 */
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { useStack } from './helpers/stack.js';
import { sleep } from './helpers/wait.js';

const SECRET = `whsec_${Buffer.from('pulse-test-secret-0123456789abcdef').toString('base64')}`;

const { env, pulse, receiver } = useStack({ activities: { webhookSecret: SECRET } });

async function scheduleWithCallback(path: string, extra: Record<string, unknown> = {}) {
  const response = await pulse.call('POST', '/tasks/schedule', {
    schedule_type: 'http_request',
    when: 'now',
    payload: { url: `${receiver.url}/target${path}`, method: 'POST' },
    callback_url: `${receiver.url}${path}`,
    ...extra,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

async function waitForCallbackStatus(taskId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = (await pulse.call('GET', `/tasks/${taskId}`)).body;
    if (task.last_run?.callback && task.last_run.callback.status !== 'retrying') return task;
    if (Date.now() > deadline) throw new Error(`no callback outcome for ${taskId}: ${JSON.stringify(task)}`);
    await sleep(200);
  }
}

describe.concurrent('callback delivery', () => {
  it('a receiver that is down, then back, gets the result once per run, signed, with one webhook-id', async ({
    expect,
  }) => {
    receiver.respond('/flaky-cb', 503, { down: true });
    const taskId = await scheduleWithCallback('/flaky-cb');
    await receiver.waitFor('/flaky-cb', 3, 20_000);
    // While it is retried, every reader says the same: the run is over (completed), its callback is retrying.
    const during = (await pulse.call('GET', `/tasks/${taskId}`)).body;
    expect(during.status).toBe('completed');
    expect(during.last_run.callback).toMatchObject({ status: 'retrying', attempts: 1 });
    expect(during.last_run.callback.error).toMatch(/503/);
    const listed = async (status: string) =>
      (await pulse.call('GET', `/tasks?status=${status}&limit=100`)).body.tasks.some(
        (t: { id: string }) => t.id === taskId,
      );
    await expect.poll(() => listed('completed'), { timeout: 10_000 }).toBe(true);
    expect(await listed('processing')).toBe(false);
    const window = new URLSearchParams({
      from: new Date(Date.now() - 600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    await expect
      .poll(
        async () => (await pulse.call('GET', `/tasks/${taskId}/occurrences?${window}`)).body.occurrences[0],
        {
          timeout: 10_000,
        },
      )
      .toMatchObject({
        status: 'succeeded',
        reason: expect.stringContaining('its callback is being retried'),
      });
    receiver.respond('/flaky-cb', 200, { ok: true });
    const task = await waitForCallbackStatus(taskId);
    expect(task.last_run.callback).toMatchObject({ status: 'delivered' });
    expect(task.last_run.callback.attempts).toBeGreaterThanOrEqual(4);

    const attempts = receiver.at('/flaky-cb');
    const ids = new Set(attempts.map((a) => a.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const executionIds = new Set(attempts.map((a) => (a.json as { execution_id: string }).execution_id));
    expect(executionIds.size).toBe(1);
    expect([...ids][0]).toBe([...executionIds][0]);
    // Verified with the Standard Webhooks reference library, not with our own code.
    const verifier = new Webhook(SECRET);
    for (const attempt of attempts) {
      const headers = {
        'webhook-id': String(attempt.headers['webhook-id']),
        'webhook-timestamp': String(attempt.headers['webhook-timestamp']),
        'webhook-signature': String(attempt.headers['webhook-signature']),
      };
      expect(verifier.verify(attempt.body, headers)).toMatchObject({ task_id: taskId, status: 'success' });
    }
    // Backoff grows between attempts (1 s, 2 s, 4 s, ... with jitter).
    const gaps = attempts.slice(1).map((a, i) => a.receivedAt - attempts[i]!.receivedAt);
    expect(gaps[0]).toBeGreaterThanOrEqual(400);
    expect(Math.max(...gaps)).toBeGreaterThan(gaps[0]!);
    await sleep(2000);
    expect(receiver.at('/flaky-cb')).toHaveLength(attempts.length);
  });

  it('honours Retry-After', async () => {
    receiver.respond('/busy-cb', 429, { slow: 'down' }, 0, { 'retry-after': '3' });
    const taskId = await scheduleWithCallback('/busy-cb');
    await receiver.waitFor('/busy-cb', 1, 10_000);
    receiver.respond('/busy-cb', 200, { ok: true });
    await receiver.waitFor('/busy-cb', 2, 15_000);
    const [first, second] = receiver.at('/busy-cb');
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(2900);
    expect((await waitForCallbackStatus(taskId)).last_run.callback.status).toBe('delivered');
  });

  it('a 4xx other than 408/429 is final: one attempt, recorded as failed', async () => {
    receiver.respond('/gone-cb', 410, { gone: true });
    const taskId = await scheduleWithCallback('/gone-cb');
    const task = await waitForCallbackStatus(taskId);
    expect(task.last_run.callback).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/HTTP 410/),
    });
    await sleep(2500);
    expect(receiver.at('/gone-cb')).toHaveLength(1);
    expect(task.status).toBe('completed');
  });

  it('a receiver that never comes back: a failed delivery in the task, its history and Temporal visibility', async () => {
    receiver.respond('/dead-cb', 503, { down: true });
    const taskId = await scheduleWithCallback('/dead-cb', { callback_window: '4s' });
    const task = await waitForCallbackStatus(taskId, 30_000);
    expect(task.last_run.callback).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/delivery failed/),
    });
    expect(task.status).toBe('completed');
    const history = (await pulse.call('GET', `/tasks/${taskId}/history`)).body.history;
    expect(history[0]).toMatchObject({ status: 'success', callback_status: 'failed' });
    let found: string[] = [];
    for (let i = 0; i < 30 && !found.includes(taskId); i++) {
      found = [];
      for await (const info of env.client.workflow.list({ query: "PulseCallbackStatus = 'failed'" })) {
        found.push(info.workflowId);
      }
      await sleep(200);
    }
    expect(found).toContain(taskId);
    expect(receiver.at('/dead-cb').length).toBeGreaterThanOrEqual(2);
  });

  it('a generic task pushed to its webhook_url: signed, retried per webhook_retries, honest when it fails', async () => {
    receiver.respond('/push', 503, { down: true });
    const created = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'report_ready',
      when: 'now',
      payload: { report: 42 },
      webhook_url: `${receiver.url}/push`,
      webhook_retries: 2,
      webhook_timeout: 5,
    });
    expect(created.status).toBe(200);
    for (let i = 0; i < 100; i++) {
      const task = (await pulse.call('GET', `/tasks/${created.body.task_id}`)).body;
      if (task.status === 'failed') break;
      await sleep(200);
    }
    const pushes = receiver.at('/push');
    expect(pushes).toHaveLength(3);
    const verifier = new Webhook(SECRET);
    for (const push of pushes) {
      expect(
        verifier.verify(push.body, {
          'webhook-id': String(push.headers['webhook-id']),
          'webhook-timestamp': String(push.headers['webhook-timestamp']),
          'webhook-signature': String(push.headers['webhook-signature']),
        }),
      ).toMatchObject({ task_id: created.body.task_id, payload: { report: 42 } });
    }
    expect(new Set(pushes.map((p) => p.headers['webhook-id'])).size).toBe(1);
  });
});
