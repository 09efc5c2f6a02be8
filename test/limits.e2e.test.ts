/**
 * Idempotency keys and result bounds, against the dev server (the rate limit needs no Temporal:
 * test/api-validation.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/stack.js';

const { pulse, receiver } = useStack({ activities: { maxResultBytes: 1000 } });

const body = (path: string, when = 'in 1 hour') => ({
  schedule_type: 'http_request',
  when,
  payload: { url: `http://127.0.0.1:9${path}`, method: 'POST' },
});

/**
 * One-time tasks on this test's task queue. (Recurring tasks are Temporal Schedules, which visibility cannot scope to
 * a task queue: on a server shared with other test files, their schedules would count too.)
 */
async function countTasks(): Promise<number> {
  const { tasks } = (await pulse.call('GET', '/tasks?limit=1000')).body as { tasks: Array<{ kind: string }> };
  return tasks.filter((task) => task.kind === 'once').length;
}

describe('Idempotency-Key', () => {
  it('the same key and body return the original task and start nothing, even under concurrent duplicates', async () => {
    const before = await countTasks();
    const key = `order-${Date.now()}`;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        pulse.call('POST', '/tasks/schedule', body('/idem'), { 'idempotency-key': key }),
      ),
    );
    for (const r of responses) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const ids = new Set(responses.map((r) => r.body.task_id));
    expect(ids.size).toBe(1);
    const again = await pulse.call(
      'POST',
      '/tasks/schedule',
      { ...body('/idem') },
      { 'idempotency-key': key },
    );
    expect(again.body.task_id).toBe([...ids][0]);
    expect(again.body.next_execution).toBe(responses[0]!.body.next_execution);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await countTasks()).toBe(before + 1);

    const conflict = await pulse.call('POST', '/tasks/schedule', body('/other'), { 'idempotency-key': key });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const reordered = await pulse.call(
      'POST',
      '/tasks/schedule',
      { payload: body('/idem').payload, when: 'in 1 hour', schedule_type: 'http_request' },
      { 'idempotency-key': key },
    );
    expect(reordered.body.task_id).toBe([...ids][0]);
  });

  it('a finished task is not started again by a late retry with the same key', async () => {
    const key = `late-${Date.now()}`;
    const first = await pulse.call(
      'POST',
      '/tasks/schedule',
      { ...body('/late', 'now'), payload: { url: `${receiver.url}/late` } },
      {
        'idempotency-key': key,
      },
    );
    await receiver.waitFor('/late');
    for (let i = 0; i < 50; i++) {
      if ((await pulse.call('GET', `/tasks/${first.body.task_id}`)).body.status === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const retry = await pulse.call(
      'POST',
      '/tasks/schedule',
      { ...body('/late', 'now'), payload: { url: `${receiver.url}/late` } },
      {
        'idempotency-key': key,
      },
    );
    expect(retry.status).toBe(200);
    expect(retry.body.task_id).toBe(first.body.task_id);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.at('/late')).toHaveLength(1);
  });

  it('recurring tasks are idempotent too; a malformed key is a 400', async () => {
    const key = `recurring-${Date.now()}`;
    const recurring = { ...body('/rec'), when: 'every 1 hour' };
    const a = await pulse.call('POST', '/tasks/schedule', recurring, { 'idempotency-key': key });
    const b = await pulse.call('POST', '/tasks/schedule', recurring, { 'idempotency-key': key });
    expect(a.status).toBe(200);
    expect(b.body.task_id).toBe(a.body.task_id);
    expect((await pulse.call('POST', '/tasks/schedule', body('/x'), { 'idempotency-key': key })).status).toBe(
      409,
    );
    const bad = await pulse.call('POST', '/tasks/schedule', body('/x'), {
      'idempotency-key': 'x'.repeat(300),
    });
    expect(bad.status).toBe(400);
    await pulse.call('DELETE', `/tasks/${a.body.task_id}`);
  });
});

describe('result bounds', () => {
  it('a large output is kept up to the configured size and marked truncated, the run still succeeds', async () => {
    receiver.respond('/big', 200, {
      items: Array.from({ length: 500 }, (_, i) => ({ i, text: 'lorem ipsum' })),
    });
    const created = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `${receiver.url}/big`, method: 'GET' },
    });
    let result: { status?: string; result?: { truncated?: boolean; size_bytes?: number; preview?: string } } =
      {};
    for (let i = 0; i < 50; i++) {
      result = (await pulse.call('GET', `/tasks/${created.body.task_id}/result`)).body;
      if (result.status !== 'pending') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(result.status).toBe('completed');
    expect(result.result).toMatchObject({ truncated: true, size_bytes: expect.any(Number) });
    expect(result.result!.size_bytes!).toBeGreaterThan(1000);
    expect(Buffer.byteLength(result.result!.preview!)).toBeLessThanOrEqual(1000);
  });
});
