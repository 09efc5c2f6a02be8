/**
 * The occurrence ledger on the dev server: each outcome with its exact reason, from what Temporal really did:
 * succeeded and failed runs, a time skipped behind a slow run, times held by a pause, a cancelled one-time task,
 * upcoming times from the schedule's own matching times; and, across a stop of the whole service (`npm start`'s
 * embedded dev server on its SQLite file) longer than the catch-up window, missed times, counted as Temporal does.
 */
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PulseClient } from '../src/client/pulse-client.js';
import { START_GRACE_MS } from '../src/ledger/occurrences.js';
import { serviceEnv, startService, stopService, type ServiceProcess } from './helpers/service.js';
import { useStack } from './helpers/stack.js';
import { sleep, until } from './helpers/wait.js';

const { pulse, receiver } = useStack();

interface Occurrence {
  task_id: string;
  at: string;
  local_at: string;
  status: string;
  reason: string;
  manual: boolean;
  run: {
    workflow_id: string;
    execution_id: string | null;
    error: string | null;
    duration_ms: number | null;
    result_summary: string | null;
    callback: { status: string; attempts: number } | null;
    ui_url: string;
  } | null;
  blocked_by: { workflow_id: string } | null;
}

async function schedule(body: Record<string, unknown>) {
  const response = await pulse.call('POST', '/tasks/schedule', { schedule_type: 'http_request', ...body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as { task_id: string; next_execution: string };
}

async function occurrencesOf(taskId: string, from: number, to: number, timezone = 'UTC') {
  const query = new URLSearchParams({
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    timezone,
  });
  const response = await pulse.call('GET', `/tasks/${taskId}/occurrences?${query}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.occurrences as Occurrence[];
}

describe.concurrent('the occurrence ledger', () => {
  it('one-time tasks: succeeded, failed with its error, cancelled before due, upcoming', async () => {
    receiver.respond('/ok', 200, { done: true });
    receiver.respond('/broken', 500, { error: 'agent crashed' });
    const start = Date.now();
    const ok = await schedule({
      when: 'in 1 second',
      payload: { url: `${receiver.url}/ok` },
      callback_url: `${receiver.url}/ok-cb`,
    });
    const broken = await schedule({
      when: 'in 1 second',
      payload: { url: `${receiver.url}/broken` },
      retry: { max_attempts: 1 },
    });
    const later = await schedule({ when: 'in 2 hours', payload: { url: `${receiver.url}/ok` } });
    const cancelled = await schedule({ when: 'in 3 hours', payload: { url: `${receiver.url}/ok` } });
    expect((await pulse.call('DELETE', `/tasks/${cancelled.task_id}`)).status).toBe(200);

    const window = [start - 60_000, start + 4 * 3_600_000] as const;
    const [okRun] = await until('the ok task ran and delivered its callback', async () => {
      const list = await occurrencesOf(ok.task_id, ...window);
      return list[0]?.status === 'succeeded' && list[0].run?.callback ? list : undefined;
    });
    expect(okRun!.reason).toBe('ran and succeeded');
    expect(okRun!.run?.ui_url).toContain(`/workflows/${ok.task_id}/`);
    // The run as the task's own result tells it: execution, duration, a summary of the result, the callback.
    const result = (await pulse.call('GET', `/tasks/${ok.task_id}/result`)).body;
    expect(okRun!.run).toMatchObject({
      execution_id: result.execution_id,
      duration_ms: expect.any(Number),
      callback: { status: 'delivered', attempts: 1 },
    });
    expect(okRun!.run?.result_summary).toContain('done');
    const [failed] = await until('the broken task failed', async () => {
      const list = await occurrencesOf(broken.task_id, ...window);
      return list[0]?.status === 'failed' ? list : undefined;
    });
    expect(failed!.reason).toMatch(/^ran and failed: .*500/);
    expect(failed!.run?.error).toMatch(/500/);

    // The typed client reads the same ledger.
    const client = new PulseClient({ baseUrl: pulse.baseUrl });
    const viaClient = await client.occurrences({
      taskId: broken.task_id,
      from: new Date(window[0]),
      to: new Date(window[1]),
    });
    expect(viaClient.occurrences[0]).toMatchObject({ status: 'failed', task_id: broken.task_id });

    const [upcoming] = await occurrencesOf(later.task_id, ...window, 'Europe/Berlin');
    expect(upcoming).toMatchObject({ status: 'upcoming', at: new Date(later.next_execution).toISOString() });
    expect(upcoming!.local_at).toMatch(/\+0[12]:00$/);
    const [gone] = await occurrencesOf(cancelled.task_id, ...window);
    expect(gone).toMatchObject({ status: 'cancelled' });
    expect(gone!.reason).toMatch(/^cancelled at .*, before it was due$/);

    // The whole ledger holds them all, and filters by status.
    const all = await pulse.call(
      'GET',
      `/occurrences?from=${new Date(window[0]).toISOString()}&to=${new Date(window[1]).toISOString()}&status=failed`,
    );
    expect(all.status).toBe(200);
    expect(all.body.occurrences.map((o: Occurrence) => o.task_id)).toContain(broken.task_id);
    expect(all.body.occurrences.every((o: Occurrence) => o.status === 'failed')).toBe(true);

    // And by schedule type: a task left to external workers, apart from the HTTP calls.
    const crawl = await schedule({
      schedule_type: 'crawl',
      when: 'in 2 hours',
      payload: { site: 'a.example' },
    });
    const range = `from=${new Date(window[0]).toISOString()}&to=${new Date(window[1]).toISOString()}`;
    // The whole ledger lists tasks from visibility, which takes in a new task a moment after it is made.
    const crawls = await until('the crawl task in the ledger', async () => {
      const { occurrences } = (await pulse.call('GET', `/occurrences?${range}&schedule_type=crawl`)).body;
      return occurrences.some((o: Occurrence) => o.task_id === crawl.task_id) ? occurrences : undefined;
    });
    expect(crawls.map((o: Occurrence) => o.task_id)).not.toContain(later.task_id);
    const calls = (await pulse.call('GET', `/occurrences?${range}&schedule_type=http_request`)).body
      .occurrences;
    expect(calls.map((o: Occurrence) => o.task_id)).toContain(later.task_id);
    expect(calls.map((o: Occurrence) => o.task_id)).not.toContain(crawl.task_id);
  });

  it('a time that came while the previous run was still going (overlap skip) is skipped, naming that run', async ({
    expect,
  }) => {
    receiver.respond('/slow', 200, { ok: true }, 5000);
    const start = Date.now();
    const task = await schedule({
      when: 'every 2 seconds',
      payload: { url: `${receiver.url}/slow`, timeout: 30 },
      policy: { overlap: 'skip' },
    });
    await receiver.waitFor('/slow', 2, 30_000);
    await sleep(500);
    const list = await occurrencesOf(task.task_id, start - 5000, Date.now() + 10_000);
    await pulse.call('DELETE', `/tasks/${task.task_id}`);
    const skipped = list.filter((o) => o.status === 'skipped');
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    const ran = list.filter((o) => o.run);
    const blocker = ran.find((o) => o.run!.workflow_id === skipped[0]!.blocked_by?.workflow_id);
    expect(blocker, JSON.stringify(list, null, 1)).toBeDefined();
    expect(skipped[0]!.reason).toBe(
      `skipped: the run for ${blocker!.at} (workflow ${blocker!.run!.workflow_id}, started ${skipped[0]!.reason.match(/started (\S+)\)/)![1]}) was still running, and the overlap policy is skip`,
    );
    expect(Date.parse(skipped[0]!.at)).toBeGreaterThan(Date.parse(blocker!.at));
    // After the cancel, the task has no times to come.
    const after = await occurrencesOf(task.task_id, Date.now(), Date.now() + 60_000);
    expect(after).toEqual([]);

    // A month view asks for busy days as counts: the same occurrences, counted per local day and status.
    const past = `from=${new Date(start - 5000).toISOString()}&to=${new Date(Date.now() - 1000).toISOString()}&timezone=Asia/Kathmandu`;
    const tally = (pairs: [string, number][]) => JSON.stringify(pairs.sort(([a], [b]) => (a < b ? -1 : 1)));
    await expect
      .poll(async () => {
        const whole = (await pulse.call('GET', `/tasks/${task.task_id}/occurrences?${past}`)).body;
        const folded = (await pulse.call('GET', `/tasks/${task.task_id}/occurrences?${past}&collapse_over=0`))
          .body;
        const counts = new Map<string, number>();
        for (const o of whole.occurrences as Occurrence[]) {
          const key = `${o.local_at.slice(0, 10)} ${o.status}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        const groups = (folded.collapsed as { date: string; status: string; count: number }[]).map(
          (g) => [`${g.date} ${g.status}`, g.count] as [string, number],
        );
        return folded.occurrences.length === 0 && counts.size > 0 && tally(groups) === tally([...counts])
          ? 'same'
          : JSON.stringify({ counts: [...counts], folded });
      })
      .toBe('same');
    const roomy = (await pulse.call('GET', `/tasks/${task.task_id}/occurrences?${past}&collapse_over=1000`))
      .body;
    expect(roomy.collapsed).toEqual([]);
    expect(roomy.occurrences.length).toBeGreaterThan(0);
    expect((await pulse.call('GET', `/occurrences?collapse_over=-1`)).status).toBe(422);
  });

  it('times while paused through the API are paused, with the period; upcoming times follow the spec', async () => {
    receiver.respond('/tick', 200, { ok: true });
    const start = Date.now();
    const task = await schedule({ when: 'every 2 seconds', payload: { url: `${receiver.url}/tick` } });
    await receiver.waitFor('/tick', 1, 20_000);
    expect((await pulse.call('PATCH', `/tasks/${task.task_id}`, { status: 'paused' })).status).toBe(200);
    await sleep(6000);
    expect((await pulse.call('PATCH', `/tasks/${task.task_id}`, { status: 'active' })).status).toBe(200);
    await sleep(3000);
    const list = await occurrencesOf(task.task_id, start - 5000, Date.now() + 9000);
    const paused = list.filter((o) => o.status === 'paused');
    expect(paused.length, JSON.stringify(list, null, 1)).toBeGreaterThanOrEqual(2);
    // A time due a moment before the pause, which Temporal's scheduler had not yet taken, is paused too, saying so.
    for (const o of paused) {
      expect(o.reason).toMatch(
        /^the task was paused from \S+Z to \S+Z(; the pause began \d+ ms after this time, before Temporal's scheduler had started its run)?$/,
      );
    }
    // Nothing past is unexplained: every past time ran, was paused, or (on a loaded machine, a run lasting past the
    // next time) was skipped behind the run before it. A time still within the ledger's start grace may also be
    // starting or running: on a loaded machine the time at the resume once had no run yet 3 s later.
    const listedAt = Date.now();
    const past = list.filter((o) => Date.parse(o.at) < listedAt - 3000);
    const explained = (o: (typeof list)[number]) =>
      ['succeeded', 'paused', 'skipped'].includes(o.status) ||
      (['due', 'running'].includes(o.status) && Date.parse(o.at) > listedAt - START_GRACE_MS);
    expect(past.every(explained), JSON.stringify(past, null, 1)).toBe(true);
    const upcoming = list.filter((o) => o.status === 'upcoming');
    expect(upcoming.length).toBeGreaterThanOrEqual(3);
    for (const o of upcoming) expect(Date.parse(o.at) % 2000).toBe(Date.parse(upcoming[0]!.at) % 2000);
    await pulse.call('DELETE', `/tasks/${task.task_id}`);
  });

  it('answers 404 for an unknown task and 400 for a bad window or zone', async () => {
    expect((await pulse.call('GET', '/tasks/nope-nope/occurrences')).status).toBe(404);
    const backwards = await pulse.call('GET', '/occurrences?from=2026-03-02&to=2026-03-01');
    expect(backwards.status).toBe(400);
    expect(backwards.body.code).toBe('INVALID_TIME_RANGE');
    expect((await pulse.call('GET', '/occurrences?timezone=Mars/Olympus')).body.code).toBe(
      'INVALID_TIMEZONE',
    );
    expect((await pulse.call('GET', '/occurrences?from=yesterday')).status).toBe(400);
  });
});

describe.concurrent('missed occurrences across a restart', () => {
  it('times while the service was down longer than the catch-up window are missed; Temporal counts as many', async ({
    expect,
  }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-ledger-'));
    const { env, api, ports } = await serviceEnv(dir);
    receiver.respond('/beat', 200, { ok: true });
    let service: ServiceProcess | undefined = await startService(env);
    try {
      const created = await fetch(`${api}/tasks/schedule`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          schedule_type: 'http_request',
          when: 'every 3 seconds',
          payload: { url: `${receiver.url}/beat` },
          policy: { catchup_window: '10s' },
        }),
      }).then((r) => r.json() as Promise<{ task_id: string }>);
      const since = Date.now() - 5000;
      await receiver.waitFor('/beat', 2, 30_000);
      await stopService(service);
      service = undefined;
      const downAt = Date.now();
      // Down long enough that, with the start, four or more times are older than the 10 s window when it is back.
      await sleep(24_000);
      service = await startService(env);
      const upAt = Date.now();
      await sleep(5000);

      const query = new URLSearchParams({
        from: new Date(since).toISOString(),
        to: new Date().toISOString(),
      });
      const answer = (await fetch(`${api}/tasks/${created.task_id}/occurrences?${query}`).then((r) =>
        r.json(),
      )) as { occurrences: Occurrence[] };
      const missed = answer.occurrences.filter((o) => o.status === 'missed');
      const dump = JSON.stringify(answer.occurrences, null, 1);
      expect(missed.length, dump).toBeGreaterThanOrEqual(3);
      for (const o of missed) {
        expect(Date.parse(o.at)).toBeGreaterThan(downAt - 3000);
        // Older than the catch-up window when Temporal came back.
        expect(Date.parse(o.at)).toBeLessThan(upAt - 10_000 + 3000);
        expect(o.reason).toMatch(
          /^missed: Temporal's scheduler did not get to this time until \S+Z, \d+ s later \(Temporal or Pulse was down\), past the catch-up window of 10 s$/,
        );
      }
      // The ledger's missed times are the ones Temporal itself counted as missing the catch-up window.
      const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
      try {
        // Read together, and again until they agree: the scheduler may still be working through the times it
        // missed when the ledger first looked (its counters and its history move together, a moment later).
        const client = new Client({ connection });
        const counts = async () => {
          const described = await client.schedule.getHandle(created.task_id).describe();
          const now = (await fetch(`${api}/tasks/${created.task_id}/occurrences?${query}`).then((r) =>
            r.json(),
          )) as { occurrences: Occurrence[] };
          const count = (status: string) => now.occurrences.filter((o) => o.status === status).length;
          return {
            missed: [described.info.numActionsMissedCatchupWindow, count('missed')],
            skipped: [described.info.numActionsSkippedOverlap, count('skipped')],
          };
        };
        await expect
          .poll(
            async () => {
              const { missed: m, skipped: k } = await counts();
              const same = (pair: number[]) => pair[0] === pair[1];
              return same(m) && same(k) ? 'agree' : JSON.stringify({ missed: m, skipped: k });
            },
            { timeout: 20_000, interval: 1000 },
          )
          .toBe('agree');
      } finally {
        await connection.close();
      }
      // Nothing past is unexplained.
      const past = answer.occurrences.filter((o) => Date.parse(o.at) < Date.now() - 15_000);
      expect(
        past.every((o) => ['succeeded', 'missed', 'skipped'].includes(o.status)),
        dump,
      ).toBe(true);
    } finally {
      if (service) await stopService(service);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
