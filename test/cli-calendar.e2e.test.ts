/**
 * `pulse calendar` (`runCli`, in this process) against a live API on a real dev server: the occurrence ledger printed as an
 * agenda by day in a time zone, a past run with its outcome and reason, `--json`, and its usage errors.
 */
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './helpers/cli.js';
import { useStack } from './helpers/stack.js';
import { until } from './helpers/wait.js';

const { pulse, receiver } = useStack();

const pulseCli = (args: readonly string[]) =>
  runCliInProcess(args, { ...process.env, PULSE_URL: pulse.baseUrl, PULSE_API_KEY: '', NO_COLOR: '1' });

async function schedule(body: Record<string, unknown>): Promise<string> {
  const response = await pulse.call('POST', '/tasks/schedule', { schedule_type: 'http_request', ...body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

describe('pulse calendar', () => {
  it('prints a week as an agenda by day, in the time zone asked for', async () => {
    const daily = await schedule({
      when: 'daily at 9am',
      timezone: 'Europe/Berlin',
      payload: { url: `${receiver.url}/never` },
      metadata: { name: 'morning digest' },
    });
    const once = await schedule({
      when: '2030-01-03T14:30:00Z',
      payload: { url: `${receiver.url}/never` },
      metadata: { name: 'invoice run' },
    });

    // The ledger reads Temporal's visibility, which has a new task a moment after it was made (docs/ledger.md).
    const run = await until(
      'both tasks in the ledger',
      async () => {
        const printed = await pulseCli([
          'calendar',
          '--week',
          '--from',
          '2030-01-01',
          '--timezone',
          'Europe/Berlin',
          '--type',
          'http_request',
        ]);
        return printed.code !== 0 || (printed.stdout.includes(daily) && printed.stdout.includes(once))
          ? printed
          : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const digest = `09:00  upcoming  morning digest (http_request)  ${daily}`;
    expect(run.stdout).toBe(
      [
        'Tue 2030-01-01 to Mon 2030-01-07 (Europe/Berlin): 8 occurrences',
        '',
        'Tue 2030-01-01',
        `  ${digest}`,
        '',
        'Wed 2030-01-02',
        `  ${digest}`,
        '',
        'Thu 2030-01-03',
        `  ${digest}`,
        `  15:30  upcoming  invoice run (http_request)     ${once}`,
        ...['Fri 2030-01-04', 'Sat 2030-01-05', 'Sun 2030-01-06', 'Mon 2030-01-07'].flatMap((day) => [
          '',
          day,
          `  ${digest}`,
        ]),
        '',
      ].join('\n'),
    );

    const day = await pulseCli([
      'calendar',
      '--day',
      '--from',
      '2030-01-03',
      '--timezone',
      'America/New_York',
    ]);
    expect(day.code, day.stderr).toBe(0);
    expect(day.stdout.split('\n').slice(0, 5)).toEqual([
      'Thu 2030-01-03 (America/New_York): 2 occurrences',
      '',
      'Thu 2030-01-03',
      `  03:00  upcoming  morning digest (http_request)  ${daily}`,
      `  09:30  upcoming  invoice run (http_request)     ${once}`,
    ]);

    const json = await pulseCli([
      'calendar',
      '--json',
      '--from',
      '2030-01-01',
      '--to',
      '2030-01-02',
      '--task',
      daily,
    ]);
    expect(json.code, json.stderr).toBe(0);
    const answer = JSON.parse(json.stdout);
    expect(answer).toMatchObject({ count: 1, occurrences: [{ task_id: daily, status: 'upcoming' }] });

    await Promise.all([daily, once].map((id) => pulse.call('DELETE', `/tasks/${id}`)));
  });

  it('shows what became of a past run, with its reason', async () => {
    receiver.respond('/broken', 500, { error: 'agent crashed' });
    const broken = await schedule({
      when: 'in 1 second',
      payload: { url: `${receiver.url}/broken` },
      retry: { max_attempts: 1 },
      metadata: { name: 'flaky sync' },
    });
    const run = await until('the run failed and the agenda says so', async () => {
      const result = await pulseCli(['calendar', '--day', '--timezone', 'UTC', '--task', broken]);
      return result.stdout.includes(' failed ') ? result : undefined;
    });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^\w{3} \d{4}-\d{2}-\d{2} \(UTC\): 1 occurrence$/);
    expect(lines[3]).toMatch(
      new RegExp(`^  \\d{2}:\\d{2}  failed  flaky sync \\(http_request\\)  ${broken}$`),
    );
    expect(lines[4]).toMatch(/^ {9}ran and failed: .*500/);
  });

  it('usage errors exit 2; an empty window says so', async () => {
    const [both, instant, zone, empty] = await Promise.all([
      pulseCli(['calendar', '--day', '--month']),
      pulseCli(['calendar', '--from', '2030-01-01T00:00:00Z']),
      pulseCli(['calendar', '--timezone', 'Mars/Olympus']),
      pulseCli(['calendar', '--month', '--from', '2031-02-01', '--timezone', 'UTC']),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("'--day' cannot be used with option '--month'");
    expect(instant.code).toBe(2);
    expect(instant.stderr).toContain('--from needs --to unless it is a date');
    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain("'Mars/Olympus' is not an IANA time zone");
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe(
      'Sat 2031-02-01 to Fri 2031-02-28 (UTC): 0 occurrences\nNothing is scheduled in this window.\n',
    );
  });
});
