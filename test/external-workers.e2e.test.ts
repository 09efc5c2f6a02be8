/**
 * External workers on the dev server: poll finds due generic tasks, claims are exclusive (workflow updates,
 * serialised by Temporal), leases recover from a dead worker, and acks are fenced to the claim holder.
 */
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowCode } from '../src/temporal/worker.js';
import { useStack } from './helpers/stack.js';
import { sleep } from './helpers/wait.js';

const { env, pulse, receiver } = useStack();

async function scheduleGeneric(type: string, extra: Record<string, unknown> = {}) {
  const response = await pulse.call('POST', '/tasks/schedule', {
    schedule_type: type,
    when: 'now',
    payload: { pages: ['a', 'b'] },
    metadata: { team: 'crawl' },
    ...extra,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

async function pollUntil(types: string, taskId: string, present = true, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await pulse.call('GET', `/tasks/poll?types=${types}&limit=100`);
    const found = body.tasks.some((t: { task_id: string }) => t.task_id === taskId);
    if (found === present) return body;
    if (Date.now() > deadline) throw new Error(`poll never ${present ? 'showed' : 'dropped'} ${taskId}`);
    await sleep(150);
  }
}

describe('external workers', () => {
  it('20 concurrent claimers on one due task: exactly one wins; the holder acks and the task completes', async () => {
    const taskId = await scheduleGeneric('crawl', { callback_url: `${receiver.url}/crawl-cb` });
    expect((await pulse.call('GET', '/executors')).body.available).toContain('external');
    const polled = await pollUntil('crawl,other', taskId);
    expect(polled.tasks.find((t: { task_id: string }) => t.task_id === taskId)).toMatchObject({
      schedule_type: 'crawl',
      payload: { pages: ['a', 'b'] },
      metadata: { team: 'crawl' },
      scheduled_for: expect.stringMatching(/Z$/),
    });
    expect(Date.parse(polled.next_poll_at)).toBeGreaterThan(Date.now() - 5000);

    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pulse.call('POST', `/tasks/${taskId}/claim`, { worker_id: `worker-${i}` }),
      ),
    );
    const winners = claims.filter((c) => c.status === 200);
    const losers = claims.filter((c) => c.status === 409);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    expect(losers[0]!.body.detail).toMatch(/another worker holds it/);
    const winner = claims.indexOf(winners[0]!);
    const executionId = winners[0]!.body.execution_id as string;
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.status).toBe('processing');
    await pollUntil('crawl', taskId, false);

    const intruder = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: `worker-${(winner + 1) % 20}`,
      status: 'success',
      execution_id: executionId,
    });
    expect(intruder.status).toBe(409);
    expect(intruder.body.detail).toMatch(/does not hold/);

    const ack = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: `worker-${winner}`,
      status: 'success',
      execution_id: executionId,
      execution_time_ms: 1234,
      result: { crawled: 2 },
    });
    expect(ack).toEqual({ status: 200, body: { next_execution: null } });
    const [callback] = await receiver.waitFor('/crawl-cb');
    expect(callback!.json).toMatchObject({
      task_id: taskId,
      execution_id: executionId,
      status: 'success',
      result: { crawled: 2 },
      execution_time_ms: 1234,
    });
    const result = (await pulse.call('GET', `/tasks/${taskId}/result`)).body;
    expect(result).toMatchObject({ status: 'completed', result: { crawled: 2 }, execution_id: executionId });
    const again = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: `worker-${winner}`,
      status: 'success',
      execution_id: executionId,
    });
    expect(again.status).toBe(409);

    // Twenty updates landed together: the recorded history must replay deterministically.
    const history = await env.client.workflow.getHandle(taskId).fetchHistory();
    await Worker.runReplayHistory(await workflowCode(), history, taskId);
  });

  it('a claimer that dies without acking loses its lease; the task is claimable again; the dead worker is fenced off', async () => {
    const taskId = await scheduleGeneric('index');
    await pollUntil('index', taskId);
    const first = await pulse.call('POST', `/tasks/${taskId}/claim`, {
      worker_id: 'doomed',
      lease_seconds: 2,
    });
    expect(first.status).toBe(200);
    expect((await pulse.call('POST', `/tasks/${taskId}/claim`, { worker_id: 'eager' })).status).toBe(409);
    await sleep(2500);
    await pollUntil('index', taskId);
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.status).toBe('active');
    const second = await pulse.call('POST', `/tasks/${taskId}/claim`, { worker_id: 'survivor' });
    expect(second.status).toBe(200);
    expect(second.body.execution_id).not.toBe(first.body.execution_id);
    const late = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: 'doomed',
      status: 'success',
      execution_id: first.body.execution_id,
    });
    expect(late.status).toBe(409);
    const failed = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: 'survivor',
      status: 'failed',
      execution_id: second.body.execution_id,
      error: 'disk full',
    });
    expect(failed.status).toBe(200);
    for (let i = 0; i < 50; i++) {
      if ((await pulse.call('GET', `/tasks/${taskId}`)).body.status === 'failed') break;
      await sleep(100);
    }
    expect((await pulse.call('GET', `/tasks/${taskId}/result`)).body).toMatchObject({
      status: 'failed',
      error: 'disk full',
    });
  });

  it('the holder renews its lease by claiming again', async () => {
    const taskId = await scheduleGeneric('renew');
    await pollUntil('renew', taskId);
    // A 4 s lease, renewed at 2.5 s and used at 4.5 s (after the first lease ran out): 2 s to spare for the calls
    // after it on a loaded machine (a 2 s lease with 0.8 s to spare failed so in CI).
    const first = await pulse.call('POST', `/tasks/${taskId}/claim`, {
      worker_id: 'steady',
      lease_seconds: 4,
    });
    await sleep(2500);
    const renewed = await pulse.call('POST', `/tasks/${taskId}/claim`, {
      worker_id: 'steady',
      lease_seconds: 4,
    });
    expect(renewed.body.execution_id).toBe(first.body.execution_id);
    await sleep(2000);
    expect((await pulse.call('POST', `/tasks/${taskId}/claim`, { worker_id: 'other' })).status).toBe(409);
    const ack = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: 'steady',
      status: 'success',
      execution_id: first.body.execution_id,
    });
    expect(ack.status).toBe(200);
  });

  it('an ack without execution_id (absent or null) is for the claim the worker holds; others are refused', async () => {
    const taskId = await scheduleGeneric('implicit');
    await pollUntil('implicit', taskId);
    const stranger = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: 'nobody',
      status: 'success',
    });
    expect(stranger.status).toBe(409);
    expect(stranger.body).toMatchObject({
      code: 'NOT_CLAIM_HOLDER',
      detail: expect.stringContaining('nobody'),
    });

    const claim = await pulse.call('POST', `/tasks/${taskId}/claim`, { worker_id: 'holder' });
    expect(claim.status).toBe(200);
    const impostor = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: 'impostor',
      status: 'success',
      execution_id: null,
    });
    expect(impostor.status).toBe(409);

    const ack = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: 'holder',
      status: 'success',
      execution_id: null,
      result: { pages: 2 },
    });
    expect(ack).toEqual({ status: 200, body: { next_execution: null } });
    const result = (await pulse.call('GET', `/tasks/${taskId}/result`)).body;
    expect(result).toMatchObject({
      status: 'completed',
      execution_id: claim.body.execution_id,
      result: { pages: 2 },
    });

    // The Python SDK's form, without the field at all, on a second task; and the task already acked refuses.
    const second = await scheduleGeneric('implicit');
    await pollUntil('implicit', second);
    const secondClaim = await pulse.call('POST', `/tasks/${second}/claim`, { worker_id: 'holder' });
    const bare = await pulse.call('POST', `/tasks/${second}/ack`, { worker_id: 'holder', status: 'failed' });
    expect(bare.status).toBe(200);
    expect((await pulse.call('GET', `/tasks/${second}/result`)).body).toMatchObject({
      status: 'failed',
      execution_id: secondClaim.body.execution_id,
    });
    const again = await pulse.call('POST', `/tasks/${taskId}/ack`, {
      worker_id: 'holder',
      status: 'success',
    });
    expect(again.status).toBe(409);
    expect(
      (await pulse.call('POST', '/tasks/task_missing/ack', { worker_id: 'w', status: 'success' })).status,
    ).toBe(404);
  });

  it('refuses claims that cannot be honoured, with the reason', async () => {
    const future = await scheduleGeneric('later', { when: 'in 1 hour' });
    const notDue = await pulse.call('POST', `/tasks/${future}/claim`, { worker_id: 'w' });
    expect(notDue.status).toBe(409);
    expect(notDue.body.detail).toMatch(/not due until/);
    const httpTask = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'in 1 hour',
      payload: { url: 'http://127.0.0.1:9/x' },
    });
    const wrongKind = await pulse.call('POST', `/tasks/${httpTask.body.task_id}/claim`, { worker_id: 'w' });
    expect(wrongKind.status).toBe(409);
    expect(wrongKind.body.detail).toMatch(/not handed to external workers/);
    expect((await pulse.call('POST', '/tasks/task_missing/claim', { worker_id: 'w' })).status).toBe(404);
    expect((await pulse.call('POST', `/tasks/${future}/claim`, {})).status).toBe(422);
    expect(
      (await pulse.call('POST', `/tasks/${future}/ack`, { worker_id: 'w', status: 'done' })).status,
    ).toBe(422);
    await pulse.call('DELETE', `/tasks/${future}`);
    await pulse.call('DELETE', `/tasks/${httpTask.body.task_id}`);
  });
});

describe('pulse.work', () => {
  it('polls, claims, runs the handler and acks: results and failures reach the task', async () => {
    const { PulseClient } = await import('../src/client/index.js');
    const client = new PulseClient({ baseUrl: pulse.baseUrl });
    const ok = await scheduleGeneric('thumbnail', { payload: { image: 'a.png' } });
    const bad = await scheduleGeneric('thumbnail', { payload: { image: 'corrupt.png' } });
    const controller = new AbortController();
    const seen: string[] = [];
    const working = client.work(
      ['thumbnail'],
      async (task) => {
        seen.push(task.task_id);
        const image = (task.payload as { image: string }).image;
        if (image.startsWith('corrupt')) throw new Error(`cannot decode ${image}`);
        return { thumbnail: `thumb-${image}` };
      },
      { workerId: 'thumbnailer', leaseSeconds: 30, pollIntervalMs: 100, signal: controller.signal },
    );
    const okResult = await client.waitForResult(ok, { timeoutMs: 20_000, pollMs: 100 });
    const badResult = await client.waitForResult(bad, { timeoutMs: 20_000, pollMs: 100 });
    controller.abort();
    await working;
    expect(okResult).toMatchObject({ status: 'completed', result: { thumbnail: 'thumb-a.png' } });
    expect(badResult).toMatchObject({ status: 'failed', error: 'cannot decode corrupt.png' });
    expect(seen.sort()).toEqual([ok, bad].sort());
  });
});
