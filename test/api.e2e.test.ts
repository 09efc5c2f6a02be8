/**
 * End to end on a real Temporal dev server: the HTTP API on 127.0.0.1, the real worker and executors, and a real
 * HTTP receiver standing in for the user's endpoints.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkHealth } from '../src/api/health.js';
import { cliPath } from './helpers/temporal.js';
import { useStack } from './helpers/stack.js';
import { sleep } from './helpers/wait.js';

const { env, pulse, receiver } = useStack();

async function waitForStatus(taskId: string, status: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await pulse.call('GET', `/tasks/${taskId}`);
    if (body.status === status || Date.now() > deadline) return body;
    await sleep(100);
  }
}

function httpTask(path: string, when: unknown, extra: Record<string, unknown> = {}) {
  return {
    schedule_type: 'http_request',
    when,
    payload: { url: `${receiver.url}${path}`, method: 'POST', body: { from: path } },
    ...extra,
  };
}

describe.concurrent('one-time tasks through the API', () => {
  it('"in 2 seconds" with a callback: one callback with the contract payload, on time; result and history agree', async () => {
    const scheduled = await pulse.call(
      'POST',
      '/tasks/schedule',
      httpTask('/t1', 'in 2 seconds', { metadata: { callback_url: `${receiver.url}/cb1`, team: 'growth' } }),
    );
    expect(scheduled.status).toBe(200);
    const { task_id: taskId, next_execution: nextExecution } = scheduled.body;
    expect(scheduled.body).toMatchObject({
      schedule_type: 'http_request',
      status: 'active',
      workflow_id: taskId,
    });
    expect(scheduled.body.ui_url).toBe(
      `http://localhost:8233/namespaces/${env.namespace ?? 'default'}/workflows/${taskId}`,
    );
    const dueMs = Date.parse(nextExecution);
    expect(dueMs - Date.now()).toBeGreaterThan(1000);

    const pending = await pulse.call('GET', `/tasks/${taskId}`);
    expect(pending.body).toMatchObject({
      id: taskId,
      status: 'active',
      next_execution: Math.floor(dueMs / 1000),
    });
    expect((await pulse.call('GET', `/tasks/${taskId}/result`)).body).toMatchObject({ status: 'pending' });

    const [callback] = await receiver.waitFor('/cb1', 1, 15_000);
    const lateness = callback!.receivedAt - dueMs;
    console.log(`[measure] callback arrived ${lateness} ms after the due time`);
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(1500);
    expect(receiver.at('/t1')[0]!.receivedAt).toBeGreaterThanOrEqual(dueMs);

    const body = callback!.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ['execution_id', 'execution_time_ms', 'result', 'status', 'task_id', 'timestamp'].sort(),
    );
    expect(body).toMatchObject({ task_id: taskId, status: 'success' });
    expect(body.result).toMatchObject({ status_code: 200, body: { ok: true } });
    expect(typeof body.execution_time_ms).toBe('number');
    expect(Math.abs((body.timestamp as number) - Date.now() / 1000)).toBeLessThan(10);

    const task = await waitForStatus(taskId, 'completed');
    expect(task).toMatchObject({
      status: 'completed',
      next_execution: null,
      metadata: { team: 'growth' },
      payload: { url: `${receiver.url}/t1` },
      executor: 'http',
    });
    expect(task.runs).toHaveLength(1);
    expect(task.last_run).toMatchObject({ execution_id: body.execution_id, status: 'success' });

    const result = await pulse.call('GET', `/tasks/${taskId}/result`);
    expect(result.body).toEqual({
      status: 'completed',
      result: body.result,
      execution_id: body.execution_id,
      stored_at: expect.any(String),
    });
    const byId = await pulse.call('GET', `/tasks/${taskId}/result?execution_id=${body.execution_id}`);
    expect(byId.body.status).toBe('completed');
    const unknownRun = await pulse.call('GET', `/tasks/${taskId}/result?execution_id=nope`);
    expect(unknownRun.body.status).toBe('not_found');

    const history = await pulse.call('GET', `/tasks/${taskId}/history`);
    expect(history.body.history).toEqual([
      {
        execution_id: body.execution_id,
        executed_at: expect.any(Number),
        executed_at_iso: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        status: 'success',
        execution_time_ms: body.execution_time_ms,
        error: null,
        callback_status: 'delivered',
      },
    ]);
    await sleep(1000);
    expect(receiver.at('/cb1')).toHaveLength(1);
    expect(receiver.at('/t1')).toHaveLength(1);
    expect(receiver.at('/t1')[0]!.headers['x-pulse-execution-id']).toBe(body.execution_id);
  });

  // Alone: it pages through every active task of this Pulse, which the other tests here add to and cancel.
  it.sequential(
    'lists tasks from Temporal visibility with the contract filters, and the temporal CLI finds them',
    async () => {
      const a = await pulse.call('POST', '/tasks/schedule', httpTask('/list-a', '1h'));
      const b = await pulse.call(
        'POST',
        '/tasks/schedule',
        httpTask('/list-b', '2h', { schedule_type: 'nightly_report', webhook_url: `${receiver.url}/push` }),
      );
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      let listed: { tasks: Array<{ id: string; status: string; schedule_type: string }> } = { tasks: [] };
      for (let i = 0; i < 50; i++) {
        listed = (await pulse.call('GET', '/tasks?schedule_type=nightly_report')).body;
        if (listed.tasks.length > 0) break;
        await sleep(100);
      }
      expect(listed.tasks.map((t) => t.id)).toEqual([b.body.task_id]);
      expect(listed.tasks[0]).toMatchObject({ schedule_type: 'nightly_report', status: 'active' });

      const active = (await pulse.call('GET', '/tasks?status=active&limit=1000')).body;
      expect(active.tasks.map((t: { id: string }) => t.id)).toEqual(
        expect.arrayContaining([a.body.task_id, b.body.task_id]),
      );
      expect(active.count).toBe(active.tasks.length);

      const firstPage = (await pulse.call('GET', '/tasks?status=active&limit=1')).body;
      expect(firstPage.tasks).toHaveLength(1);
      expect(firstPage.next_cursor).toEqual(expect.any(String));
      const secondPage = (
        await pulse.call('GET', `/tasks?status=active&limit=1&cursor=${firstPage.next_cursor}`)
      ).body;
      expect(secondPage.tasks).toHaveLength(1);
      expect(secondPage.tasks[0].id).not.toBe(firstPage.tasks[0].id);
      const offsetPage = (await pulse.call('GET', '/tasks?status=active&limit=1&offset=1')).body;
      expect(offsetPage.tasks[0].id).toBe(secondPage.tasks[0].id);
      // The cursor is tied to its filters (not to the query, which holds the time of each request).
      const elsewhere = await pulse.call(
        'GET',
        `/tasks?status=paused&limit=1&cursor=${firstPage.next_cursor}`,
      );
      expect(elsewhere).toMatchObject({ status: 400, body: { code: 'INVALID_CURSOR' } });

      const cli = cliPath();
      expect(cli, 'the temporal CLI is provisioned by npm test').toBeDefined();
      const out = spawnSync(
        cli!,
        [
          'workflow',
          'list',
          '--address',
          env.address,
          '--namespace',
          env.namespace ?? 'default',
          '--query',
          "PulseScheduleType='nightly_report'",
          '--output',
          'json',
        ],
        { encoding: 'utf8' },
      );
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout).toContain(b.body.task_id);
      expect(out.stdout).not.toContain(a.body.task_id);

      for (const id of [a.body.task_id, b.body.task_id]) {
        expect((await pulse.call('DELETE', `/tasks/${id}`)).status).toBe(200);
      }
    },
  );

  it('GET /tasks?start_time=&end_time= bounds the next execution, of one-time and recurring tasks alike', async ({
    expect,
  }) => {
    const type = `window_${Date.now()}`;
    const schedule = async (when: unknown, extra: Record<string, unknown> = {}) => {
      const response = await pulse.call(
        'POST',
        '/tasks/schedule',
        httpTask('/window', when, { schedule_type: type, ...extra }),
      );
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return response.body as { task_id: string; next_execution: string };
    };
    const inOneHour = await schedule('1h');
    const inThreeHours = await schedule('3h');
    const everyFiveMinutes = await schedule('every 5 minutes');
    const yearly = await schedule({ type: 'cron', cron: '0 0 1 1 *' });
    const nowS = Math.floor(Date.now() / 1000);
    const ids = async (query: string, expected: number) => {
      let body: { tasks: Array<{ id: string }>; next_cursor: string | null } = {
        tasks: [],
        next_cursor: null,
      };
      for (let i = 0; i < 50; i++) {
        const response = await pulse.call('GET', `/tasks?schedule_type=${type}&${query}`);
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        body = response.body;
        if (body.tasks.length >= expected) break;
        await sleep(100);
      }
      return body;
    };
    const all = await ids('limit=100', 4);
    expect(all.tasks).toHaveLength(4);

    const firstHours = await ids(`start_time=${nowS + 1800}&end_time=${nowS + 2 * 3600}`, 1);
    expect(firstHours.tasks.map((t) => t.id)).toEqual([inOneHour.task_id]);
    const soon = await ids(`start_time=${nowS}&end_time=${nowS + 600}`, 1);
    expect(soon.tasks.map((t) => t.id)).toEqual([everyFiveMinutes.task_id]);
    const later = await ids(`start_time=${nowS + 2 * 3600}`, 2);
    expect(later.tasks.map((t) => t.id).sort()).toEqual([inThreeHours.task_id, yearly.task_id].sort());
    // The bounds are inclusive, to the second of the next execution.
    const exact = Math.floor(Date.parse(inThreeHours.next_execution) / 1000);
    const onTheSecond = await ids(`start_time=${exact}&end_time=${exact}`, 1);
    expect(onTheSecond.tasks.map((t) => t.id)).toEqual([inThreeHours.task_id]);
    const upTo = await ids(`end_time=${nowS + 2 * 3600}`, 2);
    expect(upTo.tasks.map((t) => t.id).sort()).toEqual([inOneHour.task_id, everyFiveMinutes.task_id].sort());
    // A task ended outside Pulse (terminated from the Temporal CLI) keeps the PulseDueAt it had, and has no next
    // execution any more.
    await env.client.workflow.getHandle(inThreeHours.task_id).terminate('ended from the CLI');
    await expect
      .poll(async () => (await ids(`start_time=${nowS + 2 * 3600}`, 1)).tasks.map((t) => t.id), {
        timeout: 10_000,
      })
      .toEqual([yearly.task_id]);

    // A cursor belongs to its time range too.
    const page = await ids(`start_time=${nowS}&limit=1`, 1);
    expect(page.next_cursor).toEqual(expect.any(String));
    const next = await pulse.call(
      'GET',
      `/tasks?schedule_type=${type}&start_time=${nowS}&limit=1&cursor=${page.next_cursor}`,
    );
    expect(next.status).toBe(200);
    const moved = await pulse.call(
      'GET',
      `/tasks?schedule_type=${type}&start_time=${nowS + 1}&limit=1&cursor=${page.next_cursor}`,
    );
    expect(moved).toMatchObject({ status: 400, body: { code: 'INVALID_CURSOR' } });

    const reversed = await pulse.call('GET', `/tasks?start_time=${nowS + 10}&end_time=${nowS}`);
    expect(reversed.status).toBe(400);
    expect(reversed.body).toMatchObject({
      code: 'INVALID_TIME_RANGE',
      detail: expect.stringContaining('start_time'),
      errors: [{ field: 'query.start_time', message: expect.any(String) }],
    });

    for (const task of [inOneHour, inThreeHours, everyFiveMinutes, yearly]) {
      expect((await pulse.call('DELETE', `/tasks/${task.task_id}`)).status).toBe(200);
    }
  });

  it("GET /tasks/{id}/result says when the result was stored (the run's finish, ISO-8601 UTC)", async () => {
    // Nothing is stored before a run: a task due in an hour (one due now may have run by the time it is read).
    const waiting = await pulse.call('POST', '/tasks/schedule', httpTask('/not-stored', '1h'));
    expect(waiting.status).toBe(200);
    const pending = (await pulse.call('GET', `/tasks/${waiting.body.task_id}/result`)).body;
    expect(pending).toMatchObject({ status: 'pending' });
    expect(pending).not.toHaveProperty('stored_at');
    await pulse.call('DELETE', `/tasks/${waiting.body.task_id}`);
    const scheduled = await pulse.call('POST', '/tasks/schedule', httpTask('/stored', 'now'));
    expect(scheduled.status).toBe(200);
    const taskId = scheduled.body.task_id;
    const task = await waitForStatus(taskId, 'completed');
    expect(task.status).toBe('completed');
    const result = (await pulse.call('GET', `/tasks/${taskId}/result`)).body;
    expect(result).toMatchObject({
      status: 'completed',
      stored_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    const storedMs = Date.parse(result.stored_at);
    expect(storedMs).toBeGreaterThanOrEqual(task.last_run.executed_at * 1000);
    expect(storedMs).toBeLessThanOrEqual(Date.now());
    const byId = (await pulse.call('GET', `/tasks/${taskId}/result?execution_id=${result.execution_id}`))
      .body;
    expect(byId.stored_at).toBe(result.stored_at);
  });

  it('repeat {"cron": "0 */4 * * *"} (the original tool model\'s example) makes a recurring task on that cron', async () => {
    const scheduled = await pulse.call(
      'POST',
      '/tasks/schedule',
      httpTask('/four-hourly', 'now', { repeat: { cron: '0 */4 * * *', times: null } }),
    );
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
    const taskId = scheduled.body.task_id;
    expect(scheduled.body.ui_url).toContain('/schedules/');
    const preview = (await pulse.call('GET', `/tasks/${taskId}/preview?count=3`)).body;
    expect(preview.kind).toBe('recurring');
    expect(preview.next).toHaveLength(3);
    for (const at of preview.next) {
      const date = new Date(at);
      expect(date.getUTCHours() % 4, at).toBe(0);
      expect(date.getUTCMinutes(), at).toBe(0);
    }
    expect(Date.parse(preview.next[1]) - Date.parse(preview.next[0])).toBe(4 * 3_600_000);
    const both = await pulse.call(
      'POST',
      '/tasks/schedule',
      httpTask('/four-hourly', 'now', { repeat: { cron: '0 */4 * * *', interval: '4h' } }),
    );
    expect(both).toMatchObject({ status: 400, body: { code: 'INVALID_WHEN' } });
    const badCron = await pulse.call(
      'POST',
      '/tasks/schedule',
      httpTask('/x', 'now', { repeat: { cron: '0 */4 * *' } }),
    );
    expect(badCron).toMatchObject({ status: 400, body: { code: 'INVALID_WHEN' } });
    expect((await pulse.call('DELETE', `/tasks/${taskId}`)).status).toBe(200);
  });

  it('DELETE while sleeping: cancelled, no run and no callback after the due time', async () => {
    const scheduled = await pulse.call(
      'POST',
      '/tasks/schedule',
      httpTask('/never', '2s', { callback_url: `${receiver.url}/never-cb` }),
    );
    const taskId = scheduled.body.task_id;
    const cancelled = await pulse.call('DELETE', `/tasks/${taskId}`);
    expect(cancelled).toEqual({ status: 200, body: { status: 'cancelled', task_id: taskId } });
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.status).toBe('cancelled');
    await sleep(3500);
    expect(receiver.at('/never')).toHaveLength(0);
    expect(receiver.at('/never-cb')).toHaveLength(0);
    expect((await pulse.call('DELETE', `/tasks/${taskId}`)).status).toBe(200);
    const result = await pulse.call('GET', `/tasks/${taskId}/result`);
    expect(result.body).toMatchObject({ status: 'not_found', execution_id: null });
    const cancelledList = (await pulse.call('GET', '/tasks?status=cancelled')).body;
    expect(cancelledList.tasks.map((t: { id: string }) => t.id)).toContain(taskId);
  });

  it('a failed run reads failed, with the error, in the task, the result and the callback', async () => {
    receiver.respond('/fails', 404, { error: 'no such thing' });
    const scheduled = await pulse.call(
      'POST',
      '/tasks/schedule',
      httpTask('/fails', 'now', { callback_url: `${receiver.url}/fails-cb` }),
    );
    const [callback] = await receiver.waitFor('/fails-cb');
    expect(callback!.json).toMatchObject({ status: 'failed', error: expect.stringContaining('HTTP 404') });
    const task = await waitForStatus(scheduled.body.task_id, 'failed');
    expect(task.status).toBe('failed');
    const result = await pulse.call('GET', `/tasks/${scheduled.body.task_id}/result`);
    expect(result.body).toMatchObject({ status: 'failed', error: expect.stringContaining('no such thing') });
    expect(receiver.at('/fails')).toHaveLength(1);
    expect((await pulse.call('DELETE', `/tasks/${scheduled.body.task_id}`)).status).toBe(409);
  });

  it('DELETE while the callback is being retried stops the retries; the run stays on record', async () => {
    receiver.respond('/down-cb', 503, { error: 'down' });
    const scheduled = await pulse.call(
      'POST',
      '/tasks/schedule',
      httpTask('/cb-target', 'now', { callback_url: `${receiver.url}/down-cb` }),
    );
    const taskId = scheduled.body.task_id;
    await receiver.waitFor('/down-cb', 2, 15_000);
    expect((await pulse.call('DELETE', `/tasks/${taskId}`)).body).toEqual({
      status: 'cancelled',
      task_id: taskId,
    });
    const attempts = receiver.at('/down-cb').length;
    await sleep(5000);
    expect(receiver.at('/down-cb')).toHaveLength(attempts);
    const task = (await pulse.call('GET', `/tasks/${taskId}`)).body;
    expect(task.status).toBe('cancelled');
    expect(task.last_run).toMatchObject({
      status: 'success',
      callback: { status: 'failed', error: expect.stringMatching(/cancelled/) },
    });
    expect(receiver.at('/cb-target')).toHaveLength(1);
  });

  it('pushes a generic task to its webhook_url with the contract body', async () => {
    const scheduled = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'daily_digest',
      when: { type: 'once', delay: '1s' },
      payload: { list: 'subscribers' },
      metadata: { source: 'test' },
      webhook_url: `${receiver.url}/digest`,
      webhook_timeout: 5,
      webhook_retries: 1,
    });
    expect(scheduled.status).toBe(200);
    const [push] = await receiver.waitFor('/digest');
    expect(push!.json).toEqual({
      task_id: scheduled.body.task_id,
      schedule_type: 'daily_digest',
      scheduled_for: expect.stringMatching(/Z$/),
      execution_id: expect.any(String),
      payload: { list: 'subscribers' },
      metadata: { source: 'test' },
    });
    expect((await waitForStatus(scheduled.body.task_id, 'completed')).status).toBe('completed');
  });

  it('the Python SDK shape (nulls, callback in metadata and webhook_url) delivers once', async () => {
    const scheduled = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'http_request',
      when: { type: 'once', natural: 'in 1 second' },
      payload: { url: `${receiver.url}/sdk`, method: 'GET', body: null, headers: null, timeout: 10 },
      repeat: null,
      metadata: { callback_url: `${receiver.url}/sdk-cb` },
      webhook_url: `${receiver.url}/sdk-cb`,
      webhook_timeout: null,
      webhook_retries: null,
    });
    expect(scheduled.status).toBe(200);
    await receiver.waitFor('/sdk-cb');
    await waitForStatus(scheduled.body.task_id, 'completed');
    await sleep(500);
    expect(receiver.at('/sdk-cb')).toHaveLength(1);
    expect(receiver.at('/sdk')[0]!.method).toBe('GET');
  });

  it('accepts every one-time form of when', async () => {
    const now = Date.now();
    // Due this far after the request (`relative`), at this instant (`at`), or at once (`now`).
    const cases: Array<[unknown, { relative: number } | { at: number } | 'now']> = [
      ['now', 'now'],
      ['90s', { relative: 90_000 }],
      ['5m', { relative: 300_000 }],
      ['in 3 hours', { relative: 3 * 3_600_000 }],
      ['in 2 days', { relative: 2 * 86_400_000 }],
      [new Date(now + 600_000).toISOString(), { at: now + 600_000 }],
      [{ type: 'once', time: new Date(now + 60_000).toISOString() }, { at: now + 60_000 }],
      [{ type: 'once', delay: '2h' }, { relative: 7_200_000 }],
      [{ type: 'once', natural: 'in 5 minutes' }, { relative: 300_000 }],
      ['2020-01-01T00:00:00Z', 'now'],
    ];
    for (const [when, expected] of cases) {
      const sent = Date.now();
      const response = await pulse.call('POST', '/tasks/schedule', httpTask('/forms', when));
      const answered = Date.now();
      expect(response.status, JSON.stringify(when)).toBe(200);
      const due = Date.parse(response.body.next_execution);
      // Within the request's own time (however long a loaded machine took), give or take a second.
      const [earliest, latest] =
        expected === 'now'
          ? [sent, answered]
          : 'at' in expected
            ? [expected.at, expected.at]
            : [sent + expected.relative, answered + expected.relative];
      expect(due, JSON.stringify({ when, earliest, latest })).toBeGreaterThanOrEqual(earliest - 1000);
      expect(due, JSON.stringify({ when, earliest, latest })).toBeLessThanOrEqual(latest + 1000);
      await pulse.call('DELETE', `/tasks/${response.body.task_id}`);
    }
  });
});

// The bad-input table, content types, body limits, auth, the rate limit and the OpenAPI document need no Temporal:
// test/api-validation.test.ts checks them in process.
describe.concurrent('errors that come from Temporal', () => {
  it('a cursor that GET /tasks did not hand out, or one used with other filters, is a 400', async () => {
    for (const cursor of ['AAAA', 'not-base64!', Buffer.from('{"q":"x","t":"AAAA"}').toString('base64url')]) {
      const response = await pulse.call('GET', `/tasks?cursor=${encodeURIComponent(cursor)}`);
      expect(response.status, cursor).toBe(400);
      expect(response.body.code).toBe('INVALID_CURSOR');
    }
  });

  it('a task Temporal does not know is a 404 on every route that reads one', async () => {
    expect(await pulse.call('GET', '/tasks/task_doesnotexist')).toMatchObject({
      status: 404,
      body: { code: 'TASK_NOT_FOUND', detail: expect.stringContaining('task_doesnotexist') },
    });
    expect((await pulse.call('DELETE', '/tasks/task_doesnotexist')).status).toBe(404);
    expect((await pulse.call('GET', '/tasks/task_doesnotexist/result')).status).toBe(404);
    expect((await pulse.call('GET', '/tasks/task_doesnotexist/history')).status).toBe(404);
  });
});

describe.concurrent('service surface', () => {
  it("/health counts a worker's long-polls on every partition of its task queue, not only the root's", async () => {
    // Twenty long-polls on a fresh queue, as a worker's pollers: the server spreads them over the queue's
    // partitions, and the root partition alone saw 8 to 16 of them in four runs. A busy worker's polls, answered
    // where they land, can all miss the root: /health then said 'degraded' for a Pulse that was working (seen once,
    // in this file's /health test, with its other tests running beside it).
    const taskQueue = `health-${Date.now()}`;
    const namespace = env.namespace ?? 'default';
    const polls = Array.from({ length: 20 }, (_, n) =>
      env.client.connection
        .withDeadline(Date.now() + 3000, () =>
          env.client.workflowService.pollWorkflowTaskQueue({
            namespace,
            taskQueue: { name: taskQueue },
            identity: `poller-${n}`,
          }),
        )
        .catch(() => undefined),
    );
    await sleep(1000);
    const health = await checkHealth({ client: env.client, namespace, taskQueue });
    expect(health.worker).toMatchObject({ polling: true, pollers: 20 });
    await Promise.all(polls);
  });

  it('/health reports Temporal and the worker', async () => {
    const health = await pulse.call('GET', '/health');
    expect(health).toMatchObject({
      status: 200,
      body: { status: 'ok', temporal: { reachable: true }, worker: { polling: true } },
    });
  });
});
