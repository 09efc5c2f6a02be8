/**
 * `POST /tasks/{id}/trigger` with input (issue 17, part 2): one run uses the given payload (or, for agents, params)
 * instead of the task's, records it as `trigger_input`, and the task keeps its own payload for every other run.
 * Temporal's own schedule trigger cannot carry input, so a recurring task's run with input is started by Pulse
 * beside the schedule's runs; every reader of the task's runs (results, ledger, cancel) finds it.
 */
import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/stack.js';

const { pulse, receiver } = useStack();

async function schedule(body: Record<string, unknown>) {
  const response = await pulse.call('POST', '/tasks/schedule', body);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

describe('trigger with input', () => {
  it('a one-time task runs now with the given payload, records it on the run, and keeps its own', async () => {
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'in 1 hour',
      payload: { url: `${receiver.url}/once`, method: 'POST', body: { from: 'task' } },
    });
    const override = { url: `${receiver.url}/once`, method: 'POST', body: { from: 'trigger' } };
    const triggered = await pulse.call('POST', `/tasks/${taskId}/trigger`, { payload: override });
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(200);
    expect(triggered.body).toEqual({ status: 'triggered', task_id: taskId });
    const [call] = await receiver.waitFor('/once', 1, 15_000);
    expect(call!.json).toEqual({ from: 'trigger' });

    await expect
      .poll(async () => (await pulse.call('GET', `/tasks/${taskId}`)).body.status, { timeout: 15_000 })
      .toBe('completed');
    const task = (await pulse.call('GET', `/tasks/${taskId}`)).body;
    expect(task.payload.body).toEqual({ from: 'task' });
    expect(task.runs).toHaveLength(1);
    expect(task.runs[0].trigger_input).toEqual({ payload: override });
  });

  it('a recurring task: the run with input is used once and recorded; the next trigger runs the task as it is', async () => {
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'every 1 hour',
      payload: { url: `${receiver.url}/every`, method: 'POST', body: { n: 'scheduled' } },
    });
    const override = { url: `${receiver.url}/every`, method: 'POST', body: { n: 'triggered' } };
    const triggered = await pulse.call('POST', `/tasks/${taskId}/trigger`, { payload: override });
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(200);
    await receiver.waitFor('/every', 1, 15_000);
    const plain = await pulse.call('POST', `/tasks/${taskId}/trigger`);
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    const calls = await receiver.waitFor('/every', 2, 15_000);
    expect(calls.map((c) => c.json)).toEqual([{ n: 'triggered' }, { n: 'scheduled' }]);

    // Both runs are the task's: in its results (newest first), with the input on the one that had it.
    await expect
      .poll(async () => (await pulse.call('GET', `/tasks/${taskId}/results`)).body.total_executions, {
        timeout: 20_000,
      })
      .toBe(2);
    const results = (await pulse.call('GET', `/tasks/${taskId}/results`)).body;
    expect(results.executions.map((run: { trigger_input: unknown }) => run.trigger_input)).toEqual([
      null,
      { payload: override },
    ]);
    // The ledger lists both as runs started by hand; the task itself is unchanged.
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    await expect
      .poll(
        async () => {
          const answer = await pulse.call('GET', `/tasks/${taskId}/occurrences?from=${from}&to=${to}`);
          return answer.body.occurrences
            .filter((o: { manual: boolean; status: string }) => o.manual)
            .map((o: { status: string }) => o.status);
        },
        { timeout: 20_000 },
      )
      .toEqual(['succeeded', 'succeeded']);
    const task = (await pulse.call('GET', `/tasks/${taskId}`)).body;
    expect(task.payload.body).toEqual({ n: 'scheduled' });
    expect(task.status).toBe('active');
    expect((await pulse.call('DELETE', `/tasks/${taskId}`)).status).toBe(200);
  });

  it('input is checked as the task would be: a precise 400 or 422, and nothing runs', async () => {
    const taskId = await schedule({
      schedule_type: 'http_request',
      when: 'in 1 hour',
      payload: { url: `${receiver.url}/checked`, method: 'POST' },
    });
    const badUrl = await pulse.call('POST', `/tasks/${taskId}/trigger`, { payload: { url: 'ftp://x' } });
    expect(badUrl.status).toBe(400);
    expect(JSON.stringify(badUrl.body)).toMatch(/payload\.url/);
    const params = await pulse.call('POST', `/tasks/${taskId}/trigger`, { params: { topic: 'x' } });
    expect(params.status).toBe(400);
    expect(JSON.stringify(params.body)).toMatch(/applies to agent tasks only, not http_request/);
    const unknown = await pulse.call('POST', `/tasks/${taskId}/trigger`, { paylod: {} });
    expect(unknown.status).toBe(422);

    const external = await schedule({ schedule_type: 'crawl', when: 'in 1 hour', payload: { pages: ['a'] } });
    const refused = await pulse.call('POST', `/tasks/${external}/trigger`, { payload: { pages: ['b'] } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'TRIGGER_INPUT_UNSUPPORTED' });

    expect(receiver.at('/checked')).toHaveLength(0);
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.status).toBe('active');
  });
});
