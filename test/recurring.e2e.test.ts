/**
 * Recurring tasks as Temporal Schedules, end to end on the dev server: exact `times`, pause and resume, overlap,
 * DST (as the server itself computes fire times), and the `temporal` CLI as a first-class client whose changes the
 * API reports. (Temporal's time-skipping test server does not implement Schedules, so these run in real time
 * with second-scale intervals.)
 */
import { msToTs, tsToMs } from '@temporalio/common/lib/time.js';
import { Client } from '@temporalio/client';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { withRecords, withUnlisted } from '../src/tasks/kinds/recurring-snapshot.js';
import { startPulseApiOnly } from './helpers/pulse.js';
import { cliPath } from './helpers/temporal.js';
import { useStack } from './helpers/stack.js';
import { sleep, until } from './helpers/wait.js';

const { env, pulse, receiver } = useStack();

function temporal(...args: string[]) {
  const result = spawnSync(
    cliPath()!,
    [...args, '--address', env.address, '--namespace', env.namespace ?? 'default'],
    { encoding: 'utf8' },
  );
  expect(result.status, `temporal ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

async function schedule(body: Record<string, unknown>) {
  const response = await pulse.call('POST', '/tasks/schedule', { schedule_type: 'http_request', ...body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as { task_id: string; next_execution: string; ui_url: string };
}

async function task(id: string) {
  return (await pulse.call('GET', `/tasks/${id}`)).body;
}

async function waitForStatus(id: string, status: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let last: any = {};
  while (Date.now() < deadline) {
    last = await task(id);
    if (last.status === status) return last;
    await sleep(200);
  }
  throw new Error(`task ${id} did not reach ${status} (last: ${JSON.stringify(last)})`);
}

describe.concurrent('recurring tasks', () => {
  it('every 5 seconds, times 3: three callbacks with distinct execution ids, then completed with all runs kept', async () => {
    const created = await schedule({
      when: 'now',
      repeat: { interval: '5s', times: 3 },
      payload: { url: `${receiver.url}/r3`, method: 'POST' },
      callback_url: `${receiver.url}/r3-cb`,
    });
    expect(created.ui_url).toMatch(/\/schedules\/task_/);
    const callbacks = await receiver.waitFor('/r3-cb', 3, 30_000);
    const ids = callbacks.map((c) => (c.json as { execution_id: string }).execution_id);
    expect(new Set(ids).size).toBe(3);
    for (const c of callbacks) expect(c.json).toMatchObject({ task_id: created.task_id, status: 'success' });
    const done = await waitForStatus(created.task_id, 'completed');
    expect(done).toMatchObject({ kind: 'recurring', next_execution: null });
    expect(done.runs).toHaveLength(3);
    // The schedule's own runs are five seconds apart by when each was due, however late a loaded machine
    // delivered them; the first run (due at once, started by hand) comes before them.
    const due = done.runs.map((r: { scheduled_for: string }) => Date.parse(r.scheduled_for));
    expect(due[2] - due[1]).toBe(5000);
    expect(due[1]).toBeGreaterThan(due[0]);
    await sleep(6000);
    expect(receiver.at('/r3')).toHaveLength(3);

    const history = (await pulse.call('GET', `/tasks/${created.task_id}/history`)).body.history;
    expect(history.map((h: { execution_id: string }) => h.execution_id).sort()).toEqual([...ids].sort());
    const results = (await pulse.call('GET', `/tasks/${created.task_id}/results`)).body;
    expect(results.total_executions).toBe(3);
    const byId = await pulse.call('GET', `/tasks/${created.task_id}/result?execution_id=${ids[1]}`);
    expect(byId.body).toMatchObject({ status: 'completed', execution_id: ids[1] });
    expect(temporal('schedule', 'list')).toContain(created.task_id);

    // Temporal removes finished schedules after a while; the task stays readable from its runs.
    temporal('schedule', 'delete', '--schedule-id', created.task_id);
    const rebuilt = await task(created.task_id);
    expect(rebuilt).toMatchObject({
      id: created.task_id,
      status: 'completed',
      schedule_type: 'http_request',
    });
    expect(rebuilt.runs).toHaveLength(3);
  });

  it('repeat starts at when: the first run is the one "when" names, then every interval', async () => {
    const due = Date.now() + 3000;
    const created = await schedule({
      when: new Date(due).toISOString(),
      repeat: { interval: '1h', times: 2 },
      payload: { url: `${receiver.url}/first`, method: 'POST' },
      policy: { overlap: 'buffer_one', catchup_window: '10m', jitter: '1s', pause_on_failure: true },
    });
    expect(Math.abs(Date.parse(created.next_execution) - due)).toBeLessThan(1000);
    const [first] = await receiver.waitFor('/first', 1, 10_000);
    // At the time `when` names (give or take the 1 s jitter, and a loaded machine's lateness), not an interval later.
    expect(first!.receivedAt).toBeGreaterThanOrEqual(due - 1000);
    expect(first!.receivedAt - due).toBeLessThan(5000);
    const described = await env.client.schedule.getHandle(created.task_id).describe();
    expect(described.policies).toMatchObject({
      overlap: 'BUFFER_ONE',
      catchupWindow: 600_000,
      pauseOnFailure: true,
    });
    expect(described.spec.jitter).toBe(1000);
    const after = await task(created.task_id);
    // One interval after the first run, give or take the 1 s jitter.
    const nextMs = Date.parse(after.next_execution_iso);
    expect(Math.abs(nextMs - (Math.floor(due / 1000) * 1000 + 3_600_000))).toBeLessThanOrEqual(1000);
    await pulse.call('DELETE', `/tasks/${created.task_id}`);
  });

  it('pause through the API skips runs; resume continues', async () => {
    const created = await schedule({
      when: 'every 2 seconds',
      payload: { url: `${receiver.url}/pr`, method: 'POST' },
    });
    await receiver.waitFor('/pr', 1, 10_000);
    const paused = await pulse.call('PATCH', `/tasks/${created.task_id}`, { status: 'paused' });
    expect(paused.body).toMatchObject({ status: 'paused', next_execution: null });
    await sleep(1000);
    const during = receiver.at('/pr').length;
    await sleep(5000);
    expect(receiver.at('/pr')).toHaveLength(during);
    const resumed = await pulse.call('PATCH', `/tasks/${created.task_id}`, { status: 'active' });
    expect(resumed.body.status).toMatch(/active|processing/);
    await receiver.waitFor('/pr', during + 2, 10_000);
    await pulse.call('DELETE', `/tasks/${created.task_id}`);
  });

  it('overlap skip: a run still executing is not started twice', async () => {
    receiver.respond('/slow', 200, { ok: true }, 5000);
    const created = await schedule({
      when: 'every 1 second',
      payload: { url: `${receiver.url}/slow`, method: 'POST', timeout: 30 },
    });
    await receiver.waitFor('/slow', 1, 10_000);
    await sleep(3500);
    const calls = receiver
      .at('/slow')
      .map((r) => ({ at: r.receivedAt, execution: r.headers['x-pulse-execution-id'] }));
    expect(calls, JSON.stringify(calls)).toHaveLength(1);
    const busy = await task(created.task_id);
    expect(busy.status).toBe('processing');
    await pulse.call('DELETE', `/tasks/${created.task_id}`);
  });

  it('daily at 9am Europe/Berlin fires at 09:00 local on both sides of a DST change (server-computed)', async () => {
    const created = await schedule({
      when: 'daily at 9am',
      timezone: 'Europe/Berlin',
      payload: { url: `${receiver.url}/daily`, method: 'POST' },
    });
    const preview = (await pulse.call('GET', `/tasks/${created.task_id}/preview?count=3`)).body;
    expect(preview).toMatchObject({ kind: 'recurring', timezone: 'Europe/Berlin' });
    for (const t of preview.next) expect(t).toMatch(/T08:00:00\.000Z$/); // winter: UTC+1
    expect(created.next_execution).toBe(preview.next[0]);

    const matching = await env.client.workflowService.listScheduleMatchingTimes({
      namespace: env.namespace ?? 'default',
      scheduleId: created.task_id,
      startTime: msToTs(Date.UTC(2027, 2, 25)),
      endTime: msToTs(Date.UTC(2027, 2, 31)),
    });
    const fires = (matching.startTime ?? []).map((t) => new Date(tsToMs(t)).toISOString());
    expect(fires).toEqual([
      '2027-03-25T08:00:00.000Z',
      '2027-03-26T08:00:00.000Z',
      '2027-03-27T08:00:00.000Z',
      '2027-03-28T07:00:00.000Z', // DST starts: 09:00 CEST
      '2027-03-29T07:00:00.000Z',
      '2027-03-30T07:00:00.000Z',
    ]);
    await pulse.call('DELETE', `/tasks/${created.task_id}`);
  });

  it('a run whose callback is still being retried shows with its outcome and its callback retrying; the task stays active', async () => {
    receiver.respond('/retried-cb', 503, { error: 'down' });
    const created = await schedule({
      when: 'every 1 hour',
      payload: { url: `${receiver.url}/retried`, method: 'POST' },
      callback_url: `${receiver.url}/retried-cb`,
    });
    expect((await pulse.call('POST', `/tasks/${created.task_id}/trigger`)).status).toBe(200);
    await receiver.waitFor('/retried-cb', 2, 15_000);
    // The run is over (its memo says so once the first attempt failed); only its callback is being retried, which
    // is no run in progress.
    const during = await until('the run recorded with its callback retrying', async () => {
      const read = await task(created.task_id);
      return read.runs[0]?.callback?.status === 'retrying' ? read : undefined;
    });
    expect(during.status).toBe('active');
    expect(during.runs).toHaveLength(1);
    expect(during.runs[0]).toMatchObject({
      status: 'success',
      callback: { status: 'retrying', attempts: 1 },
    });
    receiver.respond('/retried-cb', 200, { ok: true });
    const delivered = await until('the delivered callback on the run', async () => {
      const run = (await task(created.task_id)).runs[0];
      return run?.callback?.status === 'delivered' ? run : undefined;
    });
    expect(delivered).toMatchObject({ status: 'success', callback: { url: `${receiver.url}/retried-cb` } });
    expect((await waitForStatus(created.task_id, 'active')).runs).toHaveLength(1);
    await pulse.call('DELETE', `/tasks/${created.task_id}`);
  });

  it('the temporal CLI pauses, resumes and triggers, and the API reports it', async () => {
    const created = await schedule({
      when: 'every 1 hour',
      payload: { url: `${receiver.url}/cli`, method: 'POST' },
      callback_url: `${receiver.url}/cli-cb`,
    });
    temporal('schedule', 'toggle', '--schedule-id', created.task_id, '--pause', '--reason', 'maintenance');
    expect((await task(created.task_id)).status).toBe('paused');
    temporal('schedule', 'toggle', '--schedule-id', created.task_id, '--unpause', '--reason', 'done');
    expect((await task(created.task_id)).status).toBe('active');
    temporal('schedule', 'trigger', '--schedule-id', created.task_id);
    await receiver.waitFor('/cli-cb', 1, 15_000);
    const after = await waitForStatus(created.task_id, 'active');
    expect(after.runs).toHaveLength(1);
    expect(after.runs[0]).toMatchObject({ status: 'success', callback: { status: 'delivered' } });
    expect(temporal('schedule', 'list')).toContain(created.task_id);

    // Visibility is eventually consistent: on a cluster a run can finish, callback and all, before its listing shows
    // it (a CI run on PostgreSQL saw exactly that here). The schedule's own record of what it started fills the gap;
    // an empty listing stands in for a lagging one, which the dev server cannot be made to produce on demand.
    const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
    const description = await client.schedule.getHandle(created.task_id).describe();
    const unlisted = await withUnlisted(client, description, []);
    expect(unlisted.map((r) => r.record?.executionId)).toEqual([after.runs[0].execution_id]);
    expect(unlisted[0]).toMatchObject({ running: false, record: { status: 'success' } });
    // It can also list the run before the memo the run wrote at its end (the same CI run saw the task 'active', as
    // the schedule knew the run was over, with a listing that still had no record): the run's own description has it.
    const stale = {
      workflowId: unlisted[0]!.workflowId,
      running: true,
      startedAtMs: unlisted[0]!.startedAtMs,
    };
    const [filled] = await withRecords(client, [stale]);
    expect(filled).toMatchObject({ running: false, record: { executionId: after.runs[0].execution_id } });

    const cancelled = await pulse.call('DELETE', `/tasks/${created.task_id}`);
    expect(cancelled.body).toEqual({ status: 'cancelled', task_id: created.task_id });
    expect((await task(created.task_id)).status).toBe('cancelled');
    const described = temporal('schedule', 'describe', '--schedule-id', created.task_id, '--output', 'json');
    expect(described).toContain('Cancelled through the Pulse API');
    expect((await pulse.call('PATCH', `/tasks/${created.task_id}`, { status: 'active' })).status).toBe(409);
  });

  it('a read right after DELETE says cancelled, every time (the search attribute can lag the pause)', async () => {
    // Without reading the pause note too, about two in three of these reads said 'paused' (measured 39 of 60).
    for (let i = 0; i < 10; i++) {
      const created = await schedule({
        when: 'every 1 hour',
        payload: { url: `${receiver.url}/gone`, method: 'POST' },
      });
      expect((await pulse.call('DELETE', `/tasks/${created.task_id}`)).status).toBe(200);
      expect((await task(created.task_id)).status).toBe('cancelled');
      const resumed = await pulse.call('PATCH', `/tasks/${created.task_id}`, { status: 'active' });
      expect(resumed.status).toBe(409);
    }
    expect(receiver.at('/gone')).toHaveLength(0);
  });

  it('triggers sent at the same moment: each one answered "triggered" started its own run, and no more', async () => {
    const created = await schedule({
      when: 'every 1 hour',
      payload: { url: `${receiver.url}/together`, method: 'POST' },
    });
    // Just after a second turns: runs triggered within one second would share a workflow id, so the schedule starts
    // one of them and drops the rest. Before triggers were taken one at a time, all three answered "triggered".
    await sleep(1050 - (Date.now() % 1000));
    const answers = await Promise.all(
      [1, 2, 3].map(() => pulse.call('POST', `/tasks/${created.task_id}/trigger`)),
    );
    const triggered = answers.filter((a) => a.status === 200);
    for (const refused of answers.filter((a) => a.status !== 200)) {
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('TRIGGER_NOT_STARTED');
    }
    expect(triggered.length).toBeGreaterThanOrEqual(1);
    await receiver.waitFor('/together', triggered.length, 15_000);
    await sleep(2000);
    expect(receiver.at('/together')).toHaveLength(triggered.length);
    await pulse.call('DELETE', `/tasks/${created.task_id}`);
  });

  it('POST /tasks/{id}/trigger runs a recurring task once, outside its schedule, beside a run in progress', async () => {
    const created = await schedule({
      when: 'every 1 hour',
      payload: { url: `${receiver.url}/trig`, method: 'POST' },
    });
    // The target holds each call for 4 s: the second trigger comes while the first run is in progress, and the
    // task's overlap policy (skip, the default) does not drop a run asked for by hand.
    receiver.respond('/trig', 200, { ok: true }, 4000);
    const triggered = await pulse.call('POST', `/tasks/${created.task_id}/trigger`);
    expect(triggered.body).toEqual({ status: 'triggered', task_id: created.task_id });
    await receiver.waitFor('/trig', 1, 15_000);
    await sleep(1100);
    const again = await pulse.call('POST', `/tasks/${created.task_id}/trigger`);
    expect(again.body).toEqual({ status: 'triggered', task_id: created.task_id });
    await receiver.waitFor('/trig', 2, 15_000);
    await pulse.call('DELETE', `/tasks/${created.task_id}`);
  });

  it('a schedule made by hand with `temporal schedule create` runs the task and delivers the callback', async () => {
    const input = {
      scheduleType: 'http_request',
      payload: { url: `${receiver.url}/hand`, method: 'POST', body: { by: 'hand' } },
      callbackUrl: `${receiver.url}/hand-cb`,
    };
    const id = `hand-made-${Date.now()}`;
    temporal(
      'schedule',
      'create',
      '--schedule-id',
      id,
      '--workflow-id',
      id,
      '--type',
      'scheduledTask',
      '--task-queue',
      pulse.taskQueue,
      '--interval',
      '1h',
      '--input',
      JSON.stringify(input),
    );
    temporal('schedule', 'trigger', '--schedule-id', id);
    const [callback] = await receiver.waitFor('/hand-cb', 1, 15_000);
    expect(callback!.json).toMatchObject({ task_id: id, status: 'success', result: { status_code: 200 } });
    expect(receiver.at('/hand')[0]!.json).toEqual({ by: 'hand' });
    temporal('schedule', 'delete', '--schedule-id', id);
  });

  it("two Pulses on one namespace (their own task queues) never list each other's recurring tasks", async ({
    expect,
  }) => {
    const other = await startPulseApiOnly(env, `pulse-other-${Date.now()}`, pulse.executors);
    try {
      const mine = await schedule({ when: 'every 1 hour', payload: { url: `${receiver.url}/mine` } });
      const made = await other.call('POST', '/tasks/schedule', {
        schedule_type: 'http_request',
        when: 'every 1 hour',
        payload: { url: `${receiver.url}/theirs` },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(200);
      const theirs = made.body.task_id as string;
      const ids = async (api: { call: typeof pulse.call }) =>
        ((await api.call('GET', '/tasks?limit=1000')).body.tasks as Array<{ id: string }>).map((t) => t.id);
      await expect.poll(() => ids(pulse), { timeout: 15_000 }).toContain(mine.task_id);
      await expect.poll(() => ids(other), { timeout: 15_000 }).toContain(theirs);
      expect(await ids(pulse)).not.toContain(theirs);
      expect(await ids(other)).not.toContain(mine.task_id);
      // By id too: another Pulse's task, recurring or one-time, is a 404 like one that does not exist.
      const once = await other.call('POST', '/tasks/schedule', {
        schedule_type: 'http_request',
        when: 'in 1 hour',
        payload: { url: `${receiver.url}/theirs-once` },
      });
      expect(once.status).toBe(200);
      for (const id of [theirs, once.body.task_id as string]) {
        expect((await pulse.call('GET', `/tasks/${id}`)).status, id).toBe(404);
        expect((await pulse.call('DELETE', `/tasks/${id}`)).status, id).toBe(404);
        expect((await other.call('GET', `/tasks/${id}`)).status, id).toBe(200);
      }
      await other.call('DELETE', `/tasks/${once.body.task_id}`);
      await other.call('DELETE', `/tasks/${theirs}`);
      await pulse.call('DELETE', `/tasks/${mine.task_id}`);
    } finally {
      await other.stop();
    }
  });

  it('lists recurring tasks next to one-time ones', async () => {
    const recurring = await schedule({ when: 'every 2 hours', payload: { url: `${receiver.url}/l1` } });
    const once = await schedule({ when: 'in 2 hours', payload: { url: `${receiver.url}/l2` } });
    let tasks: Array<{ id: string; kind: string }> = [];
    for (let i = 0; i < 30; i++) {
      tasks = (await pulse.call('GET', '/tasks?status=active&limit=1000')).body.tasks;
      if (tasks.some((t) => t.id === recurring.task_id) && tasks.some((t) => t.id === once.task_id)) break;
      await sleep(200);
    }
    expect(tasks.find((t) => t.id === recurring.task_id)?.kind).toBe('recurring');
    expect(tasks.find((t) => t.id === once.task_id)?.kind).toBe('once');
    await pulse.call('DELETE', `/tasks/${recurring.task_id}`);
    await pulse.call('DELETE', `/tasks/${once.task_id}`);
  });
});

describe.concurrent('managing one-time tasks', () => {
  it('PATCH reschedules, pauses, amends the payload; trigger runs it now; unknown keys are 422', async () => {
    const created = await schedule({
      when: 'in 1 hour',
      payload: { url: `${receiver.url}/p1`, method: 'POST' },
    });
    const moved = await pulse.call('PATCH', `/tasks/${created.task_id}`, { when: 'in 2 hours' });
    expect(moved.status).toBe(200);
    expect(moved.body.next_execution - Date.now() / 1000).toBeGreaterThan(7000);
    const preview = (await pulse.call('GET', `/tasks/${created.task_id}/preview`)).body;
    expect(preview).toMatchObject({ kind: 'once', next: [moved.body.next_execution_iso] });

    const paused = await pulse.call('PATCH', `/tasks/${created.task_id}`, { status: 'paused' });
    expect(paused.body.status).toBe('paused');
    const amended = await pulse.call('PATCH', `/tasks/${created.task_id}`, {
      payload: { url: `${receiver.url}/p2`, method: 'PUT', body: { v: 2 } },
      metadata: { owner: 'ops' },
    });
    expect(amended.body).toMatchObject({
      status: 'paused',
      payload: { url: `${receiver.url}/p2` },
      metadata: { owner: 'ops' },
    });

    const bad = await pulse.call('PATCH', `/tasks/${created.task_id}`, { schedule_type: 'other' });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/schedule_type/);
    const badPayload = await pulse.call('PATCH', `/tasks/${created.task_id}`, { payload: { method: 'GET' } });
    expect(badPayload.status).toBe(400);
    expect(badPayload.body.detail).toMatch(/payload\.url/);
    const recurringWhen = await pulse.call('PATCH', `/tasks/${created.task_id}`, { when: 'every 5 minutes' });
    expect(recurringWhen.status).toBe(400);

    const triggered = await pulse.call('POST', `/tasks/${created.task_id}/trigger`);
    expect(triggered.status).toBe(200);
    const [hit] = await receiver.waitFor('/p2', 1, 10_000);
    expect(hit!.method).toBe('PUT');
    expect(hit!.json).toEqual({ v: 2 });
    expect(receiver.at('/p1')).toHaveLength(0);
    await waitForStatus(created.task_id, 'completed');
    expect((await pulse.call('PATCH', `/tasks/${created.task_id}`, { status: 'paused' })).status).toBe(409);
    expect((await pulse.call('POST', `/tasks/${created.task_id}/trigger`)).status).toBe(409);
  });

  it('GET /preview shows the next fire times of a when before anything is scheduled', async () => {
    const response = await pulse.call(
      'GET',
      '/preview?when=every%20weekday%20at%209am&timezone=Europe/Berlin&count=5',
    );
    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('recurring');
    expect(response.body.next).toHaveLength(5);
    for (const t of response.body.next) {
      const day = new Date(t).getUTCDay();
      expect(day).toBeGreaterThanOrEqual(1);
      expect(day).toBeLessThanOrEqual(5);
      expect(t).toMatch(/T08:00:00\.000Z$/);
    }
    const bad = await pulse.call('GET', '/preview?when=whenever');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/whenever/);
  });
});
