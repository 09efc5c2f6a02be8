/**
 * `policy.missed` across a stop of the whole service (`npm start`'s embedded dev server on its SQLite file) longer
 * than Temporal's minimum catch-up window: `skip` runs none of the times that passed while it was down, `latest`
 * runs one of them, `all` runs every one, in turn. Each run's time is its `scheduled_for` in `/results`; the target
 * knows each call by the execution id the HTTP executor sends (`x-pulse-execution-id`).
 */
import { describe, expect, it } from 'vitest';
import { restartHarness } from './helpers/restart-harness.js';
import type { ReceivedRequest } from './helpers/receiver.js';
import { serviceEnv, startService, stopService } from './helpers/service.js';
import { sleep, until } from './helpers/wait.js';

const harness = restartHarness();
const EVERY_MS = 20_000;
/**
 * The stop comes 1-3 s after a time and takes a few seconds, so the next time is at most 19 s after it; it is older
 * than Temporal's 10 s minimum catch-up window when the service is back if the outage lasts longer than 30 s.
 */
const DOWN_MS = 30_000;

interface Execution {
  readonly execution_id: string;
  readonly scheduled_for: string;
  readonly status: string;
}

/** A task's runs as `/results` lists them. */
async function executionsOf(api: string, taskId: string): Promise<Execution[]> {
  const results = (await fetch(`${api}/tasks/${taskId}/results`).then((r) => r.json())) as {
    executions: Execution[];
  };
  return results.executions;
}

/**
 * The scheduled times of a task's runs, from Temporal (`/results`), in order; each run reached the target once.
 * Runs go on while this reads (`all` keeps its grid), so it reads the target's requests before and after the
 * results, and reads again until they agree: every run that succeeded reached the target, and whatever reached it
 * before is recorded.
 */
async function runTimes(api: string, taskId: string, requests: () => readonly ReceivedRequest[]) {
  const ids = () => requests().map((r) => String(r.headers['x-pulse-execution-id']));
  type Read = { before: string[]; after: string[]; executions: Execution[] };
  const read = async (): Promise<Read> => {
    const before = ids();
    const executions = await executionsOf(api, taskId);
    return { before, after: ids(), executions };
  };
  const agrees = ({ before, after, executions }: Read) => {
    const recorded = new Set(executions.map((run) => run.execution_id));
    return (
      executions.every((run) => run.status !== 'success' || after.includes(run.execution_id)) &&
      before.every((id) => recorded.has(id))
    );
  };
  let last = await read();
  for (let tries = 0; tries < 40 && !agrees(last); tries++) {
    await sleep(250);
    last = await read();
  }
  const { before, after, executions } = last;
  // A run the stop caught before its call (a tick during a slow shutdown) is recorded without reaching the
  // target; every run that succeeded reached it once, and nothing else did. Every recorded run counts below.
  const succeeded = executions.filter((run) => run.status === 'success').map((run) => run.execution_id);
  expect(after.slice().sort(), JSON.stringify(executions)).toEqual(expect.arrayContaining(succeeded));
  expect(new Set(after).size, 'no run called the target twice').toBe(after.length);
  const recorded = new Set(executions.map((run) => run.execution_id));
  expect(
    before.filter((id) => !recorded.has(id)),
    'nothing but recorded runs called',
  ).toEqual([]);
  return executions.map((run) => Date.parse(run.scheduled_for)).sort((a, b) => a - b);
}

describe('policy.missed', () => {
  it('after downtime past the catch-up window: skip runs none of the missed times, latest one, all each', async () => {
    const { receiver, running } = harness;
    const { env, api } = await serviceEnv(harness.newDataDir());
    const first = await startService(env);
    running.push(first);
    const ids: Record<string, string> = {};
    // All three on one grid of times, from a first time a few seconds ahead (an interval otherwise starts one
    // interval after it is made, each task on its own grid).
    const firstAt = Math.ceil((Date.now() + 3000) / 1000) * 1000;
    for (const missed of ['skip', 'latest', 'all'] as const) {
      const response = await fetch(`${api}/tasks/schedule`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          schedule_type: 'http_request',
          when: new Date(firstAt).toISOString(),
          repeat: { interval: `${EVERY_MS / 1000}s` },
          payload: { url: `${receiver.url}/${missed}` },
          policy: { missed },
        }),
      });
      const body = (await response.json()) as { task_id: string };
      expect(response.status, JSON.stringify(body)).toBe(200);
      const task = (await fetch(`${api}/tasks/${body.task_id}`).then((r) => r.json())) as {
        schedule_config: { policy: unknown };
      };
      expect(task.schedule_config.policy).toEqual({ missed });
      ids[missed] = body.task_id;
    }
    for (const missed of ['skip', 'latest', 'all']) await receiver.waitFor(`/${missed}`, 1, 30_000);
    // Stopped with no run in flight: a run still open across the outage would make Temporal skip the catch-up run
    // of `latest` as overlapping it (correctly). So: every run recorded, and a time 1-3 s ago (times are on a 20 s
    // grid), leaving the shutdown 17 s before the next (on a loaded machine a stop once took more than 7 s).
    await until(
      'every run recorded, just after a time',
      async () => {
        const phase = (Date.now() - firstAt) % EVERY_MS;
        if (phase < 1000 || phase > 3000) return undefined;
        for (const missed of ['skip', 'latest', 'all'] as const) {
          const results = (await fetch(`${api}/tasks/${ids[missed]}/results`).then((r) => r.json())) as {
            total_executions: number;
          };
          if (results.total_executions !== receiver.at(`/${missed}`).length) return undefined;
        }
        return true;
      },
      { timeoutMs: 60_000, everyMs: 100 },
    );

    expect(await stopService(first)).toBe(0);
    const downAt = Date.now();
    await sleep(DOWN_MS);
    // The server can come back no sooner than this (how long the start takes depends on the machine's load), so a
    // time older than the catch-up window now is outside it whenever the scheduler wakes.
    const startAt = Date.now();
    const second = await startService(env);
    running.push(second);
    const upAt = Date.now();

    // Times that passed while down and were older than Temporal's 10 s minimum window when it came back.
    const missedTimes = (times: number[]) => times.filter((t) => t > downAt && t < startAt - 11_000);
    const downTimes = (times: number[]) => times.filter((t) => t > downAt && t < upAt);
    const allDown = Math.floor((upAt - downAt) / EVERY_MS) - 1;
    const scheduledTimes = async (taskId: string) =>
      (await executionsOf(api, taskId)).map((run) => Date.parse(run.scheduled_for));
    // Catch-up happens as the scheduler wakes, and `all` runs its missed times one after another: until `latest`
    // and `all` have theirs, then a few seconds more, in which a wrong catch-up of `skip`, woken with them, shows.
    await until(
      'latest and all caught up',
      async () => {
        const [latestNow, allNow] = await Promise.all([ids.latest!, ids.all!].map(scheduledTimes));
        return downTimes(latestNow!).length >= 1 && downTimes(allNow!).length >= allDown ? true : undefined;
      },
      { timeoutMs: 40_000, everyMs: 500 },
    );
    await sleep(3000);
    const [skip, latest, all] = await Promise.all(
      (['skip', 'latest', 'all'] as const).map((missed) =>
        runTimes(api, ids[missed]!, () => receiver.at(`/${missed}`)),
      ),
    );
    const dump = (times: number[]) => JSON.stringify({ downAt, startAt, upAt, times });

    expect(missedTimes(skip!), dump(skip!)).toEqual([]);
    const ledgerOf = async (taskId: string) => {
      const window = new URLSearchParams({
        from: new Date(downAt).toISOString(),
        to: new Date(upAt).toISOString(),
      });
      return JSON.stringify(
        await fetch(`${api}/tasks/${taskId}/occurrences?${window}`).then((r) => r.json()),
      );
    };
    expect(downTimes(latest!), dump(latest!) + (await ledgerOf(ids.latest!))).toHaveLength(1);
    // Every time from before the stop to after the start ran: no gap in the grid.
    expect(downTimes(all!).length, dump(all!)).toBeGreaterThanOrEqual(allDown);
    for (let i = 1; i < all!.length; i++) expect(all![i]! - all![i - 1]!, dump(all!)).toBe(EVERY_MS);

    // The ledger names the times skip dropped as missed.
    const query = new URLSearchParams({
      from: new Date(downAt).toISOString(),
      to: new Date(startAt - 11_000).toISOString(),
    });
    const ledger = (await fetch(`${api}/tasks/${ids.skip}/occurrences?${query}`).then((r) => r.json())) as {
      occurrences: Array<{ status: string }>;
    };
    expect(ledger.occurrences.length).toBeGreaterThan(0);
    expect(
      ledger.occurrences.every((o) => o.status === 'missed'),
      JSON.stringify(ledger),
    ).toBe(true);
    expect(await stopService(second)).toBe(0);
  }, 240_000);
});
