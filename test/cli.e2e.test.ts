/**
 * The `pulse` CLI against the running service (real Temporal dev server, worker and API on 127.0.0.1): its stdout,
 * stderr and exit codes. Most runs call `runCli`, the function the executable runs, in this process (a child process
 * costs about half a CPU second to start, and this file makes fifty runs); the package bin and a usage error run as
 * real child processes, so what a shell sees is checked too.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_FILE, removeServiceFile, SERVICE_FILE, writeServiceFile } from '../src/client/discovery.js';
import { createWordCountExecutor } from '../src/executors/examples/word-count-executor.js';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { PROJECT_ROOT } from '../src/project-root.js';
import { runCliInProcess, runCliProcess, type CliRun } from './helpers/cli.js';
import { startPulse, startPulseApiOnly, type PulseApi, type PulseUnderTest } from './helpers/pulse.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createDevServerEnv } from './helpers/temporal.js';
import { sleep } from './helpers/wait.js';

const BIN = path.join(PROJECT_ROOT, 'packages', 'client', 'bin', 'pulse.js');
/** A winter Wednesday: Europe/Berlin is UTC+1. */
const WINTER_NOW = new Date('2027-01-13T12:00:00Z');

let env: TestWorkflowEnvironment;
let pulse: PulseUnderTest;
/** The same service with its clock fixed at WINTER_NOW, for exact previews. */
let winter: PulseApi;
let receiver: Receiver;

beforeAll(async () => {
  env = await createDevServerEnv();
  pulse = await startPulse(env, { executors: createExecutorFactory().register(createWordCountExecutor()) });
  winter = await startPulseApiOnly(env, pulse.taskQueue, pulse.executors, { now: () => WINTER_NOW });
  receiver = await startReceiver();
});

afterAll(async () => {
  await winter?.stop();
  await pulse?.stop();
  await receiver?.close();
  await env?.teardown();
});

/** The CLI's environment: this service, no key, no colour; `extraEnv` over it. */
const cliEnv = (extraEnv: Record<string, string>) => ({
  ...process.env,
  PULSE_URL: pulse.baseUrl,
  PULSE_API_KEY: '',
  NO_COLOR: '1',
  ...extraEnv,
});

const pulseCli = (args: readonly string[], extraEnv: Record<string, string> = {}) =>
  runCliInProcess(args, cliEnv(extraEnv));

const pulseProcess = (args: readonly string[], extraEnv: Record<string, string> = {}, entry?: string[]) =>
  runCliProcess(args, cliEnv(extraEnv), entry);

/** Parses stdout as JSON, failing with the CLI's output when it is not. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function json(run: CliRun): any {
  expect(run.code, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('help and usage', () => {
  it('--help and <cmd> --help print usage and exit 0; no args, unknown commands and options exit 2', async () => {
    const [help, cmdHelp, scheduleHelp, none, unknown, badOption, noWhen, badTimes] = await Promise.all([
      pulseProcess(['--help']),
      pulseCli(['schedule', 'agent', '--help']),
      pulseCli(['schedule', '--help']),
      pulseCli([]),
      pulseProcess(['frobnicate']),
      pulseCli(['get', 'x', '--bogus']),
      pulseCli(['schedule', 'http', 'https://example.com/hook']),
      pulseCli(['schedule', 'http', 'https://example.com/hook', '--when', 'now', '--times', '3']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pulse <command>');
    expect(help.stdout).toContain('Exit codes: 0 ok');
    expect(cmdHelp.code).toBe(0);
    expect(cmdHelp.stdout).toContain('Usage: pulse schedule agent <agent_id> <entrypoint>');
    expect(cmdHelp.stdout).toContain('--param KEY=VALUE');
    expect(scheduleHelp.code).toBe(0);
    expect(scheduleHelp.stdout).toContain('pulse schedule http <url>');

    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no command given');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("Unknown option '--bogus'");
    expect(noWhen.code).toBe(2);
    expect(noWhen.stderr).toContain('--when is required');
    expect(badTimes.code).toBe(2);
    expect(badTimes.stderr).toContain('--times needs --repeat');
    // A malformed option value is explained in the form its help shows.
    const badHeader = await pulseCli(['schedule', 'http', 'https://example.com/hook', '--header', 'nocolon']);
    expect(badHeader.code).toBe(2);
    expect(badHeader.stderr).toContain('It takes NAME:VALUE.');
  });
});

describe('preview', () => {
  it('pulse preview "every weekday at 9am" --timezone Europe/Berlin prints the next runs', async () => {
    const run = await pulseCli(['preview', 'every weekday at 9am', '--timezone', 'Europe/Berlin']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('"every weekday at 9am" (recurring, Europe/Berlin), next 5 runs:');
    const rows = run.stdout.split('\n').filter((line) => /^\d+\s+\d{4}-\d\d-\d\dT/.test(line));
    expect(rows).toHaveLength(5);
    for (const row of rows)
      expect(row).toMatch(/(Mon|Tue|Wed|Thu|Fri) \d{4}-\d\d-\d\d 09:00 (CET|CEST|GMT\+1|GMT\+2)/);
    expect(run.stdout).toContain('Nothing was scheduled.');
  });

  it('--json in winter: five weekday runs at 08:00Z', async () => {
    const preview = json(
      await pulseCli(['preview', 'every weekday at 9am', '--timezone', 'Europe/Berlin', '--json'], {
        PULSE_URL: winter.baseUrl,
      }),
    );
    expect(preview).toEqual({
      kind: 'recurring',
      timezone: 'Europe/Berlin',
      next: [
        '2027-01-14T08:00:00.000Z',
        '2027-01-15T08:00:00.000Z',
        '2027-01-18T08:00:00.000Z',
        '2027-01-19T08:00:00.000Z',
        '2027-01-20T08:00:00.000Z',
      ],
    });
    for (const iso of preview.next as string[]) {
      expect(iso).toMatch(/T08:00:00(\.000)?Z$/);
      expect([1, 2, 3, 4, 5]).toContain(new Date(iso).getUTCDay());
    }
  });

  it('an unknown time zone is rejected by the API: exit 4', async () => {
    const run = await pulseCli(['preview', 'daily at 9am', '--timezone', 'Mars/Olympus']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('INVALID_TIMEZONE');
  });
});

describe('scheduling and inspecting tasks', () => {
  it('pulse schedule http, then get, list, pause, resume, trigger, result and cancel', async () => {
    const url = `${receiver.url}/cli-http`;
    const scheduled = json(
      await pulseCli([
        'schedule',
        'http',
        url,
        '--method',
        'put',
        '--body',
        '{"from":"cli"}',
        '--header',
        'X-Test: cli',
        '--when',
        'every 10 minutes',
        '--metadata',
        '{"team":"cli"}',
        '--json',
      ]),
    );
    expect(scheduled).toMatchObject({ schedule_type: 'http_request', status: 'active' });
    const id: string = scheduled.task_id;

    const shown = await pulseCli(['get', id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')[0]).toBe(id);
    expect(shown.stdout).toMatch(/type:\s+http_request/);
    expect(shown.stdout).toMatch(/status:\s+active/);
    expect(shown.stdout).toMatch(/kind:\s+recurring/);
    expect(shown.stdout).toContain(url);

    const task = json(await pulseCli(['get', id, '--json']));
    expect(task).toMatchObject({
      id,
      kind: 'recurring',
      metadata: { team: 'cli' },
      payload: { url, method: 'PUT' },
    });

    for (let attempt = 0; ; attempt++) {
      const listed = json(await pulseCli(['list', '--type', 'http_request', '--json']));
      if (listed.tasks.some((t: { id: string }) => t.id === id)) break;
      if (attempt > 20) throw new Error(`${id} never listed`);
      await sleep(300);
    }
    const table = await pulseCli(['list', '--type', 'http_request', '--status', 'active']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+TYPE\s+STATUS\s+KIND\s+NEXT RUN\s+EXECUTOR$/);
    expect(table.stdout).toContain(id);

    const paused = await pulseCli(['pause', id]);
    expect(paused).toMatchObject({ code: 0, stdout: `Paused ${id} (status paused).\n` });
    expect(json(await pulseCli(['get', id, '--json'])).status).toBe('paused');
    const resumed = await pulseCli(['resume', id]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Resumed ${id} (status active`);

    expect(json(await pulseCli(['trigger', id, '--json']))).toEqual({ status: 'triggered', task_id: id });
    const result = json(await pulseCli(['result', id, '--wait', '--timeout', '30', '--json']));
    expect(result).toMatchObject({ status: 'completed', result: { status_code: 200 } });
    const [request] = receiver.at('/cli-http');
    expect(request).toMatchObject({ method: 'PUT', json: { from: 'cli' } });
    expect(request!.headers['x-test']).toBe('cli');

    const history = await pulseCli(['history', id]);
    expect(history.code).toBe(0);
    expect(history.stdout).toContain(result.execution_id);

    const cancelled = await pulseCli(['cancel', id]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `Cancelled ${id}.\n` });
    expect(json(await pulseCli(['get', id, '--json'])).status).toBe('cancelled');
  });

  it('pulse schedule agent with --param runs through the executor; result --wait prints it', async () => {
    const scheduled = json(
      await pulseCli([
        'schedule',
        'agent',
        'counter',
        'main',
        '--param',
        'text=hello brave new world',
        '--param',
        'depth=2',
        '--executor',
        'word-count',
        '--when',
        'now',
        '--json',
      ]),
    );
    const id: string = scheduled.task_id;
    const task = json(await pulseCli(['get', id, '--json']));
    expect(task.payload).toMatchObject({
      agent_id: 'counter',
      entrypoint_tag: 'main',
      executor_type: 'word-count',
      params: { text: 'hello brave new world', depth: 2 },
    });
    const waited = await pulseCli(['result', id, '--wait', '--timeout', '30']);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toMatch(/^status:\s+completed$/m);
    expect(waited.stdout).toContain('"words": 4');
  });

  it('pulse schedule agent with --repeat and --times makes a recurring task with that many runs', async () => {
    const run = await pulseCli([
      'schedule',
      'agent',
      'counter',
      'main',
      '--param',
      'text=a b',
      '--executor',
      'word-count',
      '--when',
      'in 5 minutes',
      '--repeat',
      '2m',
      '--times',
      '3',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const id = /^Scheduled (\S+) \(run_agent\)$/m.exec(run.stdout)?.[1];
    expect(id, run.stdout).toBeDefined();
    expect(run.stdout).toMatch(/next run: \S+Z \(in (4m \d+s|5m)\)/);
    const preview = json(await pulseCli(['preview', '--task', id!, '--count', '3', '--json']));
    expect(preview.next).toHaveLength(3);
    expect(Date.parse(preview.next[2]) - Date.parse(preview.next[0])).toBe(4 * 60_000);
    expect((await pulseCli(['cancel', id!])).code).toBe(0);
  });
});

describe('exit codes for failures', () => {
  it('pulse get <missing> exits 3', async () => {
    const run = await pulseCli(['get', 'task_missing']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("No task with id 'task_missing'.");
    expect(run.stderr).toContain('TASK_NOT_FOUND');
  });

  it("a bad --when exits 4 with the API's detail on stderr; --json puts the error as JSON on stderr", async () => {
    const body = {
      schedule_type: 'http_request',
      when: 'next blursday at teatime',
      payload: { url: `${receiver.url}/never` },
    };
    const api = await pulse.call('POST', '/tasks/schedule', body);
    expect(api.status).toBe(400);
    const args = ['schedule', 'http', `${receiver.url}/never`, '--when', 'next blursday at teatime'];

    const [human, scripted] = await Promise.all([pulseCli(args), pulseCli([...args, '--json'])]);
    expect(human.code).toBe(4);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain(api.body.detail);
    expect(human.stderr).toContain('INVALID_WHEN');
    expect(scripted.code).toBe(4);
    expect(scripted.stdout).toBe('');
    expect(JSON.parse(scripted.stderr)).toMatchObject({
      error: { status: 400, code: 'INVALID_WHEN', detail: api.body.detail },
    });
  });

  it('a wrong URL exits 5 (flag or PULSE_URL)', async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const [byFlag, byEnv] = await Promise.all([
      pulseCli(['list', '--url', nowhere]),
      pulseCli(['get', 'anything'], { PULSE_URL: nowhere }),
    ]);
    for (const run of [byFlag, byEnv]) {
      expect(run.code).toBe(5);
      expect(run.stderr).toContain(`Cannot reach Pulse at ${nowhere}`);
    }
    const malformed = await pulseCli(['list', '--url', 'localhost:8000']);
    expect(malformed.code).toBe(2);
  });

  it('the API key comes from --api-key or PULSE_API_KEY; without it exit 4', async () => {
    const secured = await startPulseApiOnly(env, pulse.taskQueue, pulse.executors, { apiKeys: ['cli-key'] });
    try {
      const [anonymous, wrong, byFlag, byEnv] = await Promise.all([
        pulseCli(['list', '--limit', '1'], { PULSE_URL: secured.baseUrl }),
        pulseCli(['list', '--limit', '1', '--api-key', 'not-it'], { PULSE_URL: secured.baseUrl }),
        pulseCli(['list', '--limit', '1', '--json', '--api-key', 'cli-key'], { PULSE_URL: secured.baseUrl }),
        pulseCli(['list', '--limit', '1', '--json'], {
          PULSE_URL: secured.baseUrl,
          PULSE_API_KEY: 'cli-key',
        }),
      ]);
      expect(anonymous.code).toBe(4);
      expect(anonymous.stderr).toContain('UNAUTHORIZED');
      expect(anonymous.stderr).toContain(
        `The Pulse at ${secured.baseUrl} wants an API key: set PULSE_API_KEY or --api-key.`,
      );
      expect(wrong.code).toBe(4);
      expect(wrong.stderr).toContain(
        'The API key given (--api-key or PULSE_API_KEY) is not one this Pulse accepts.',
      );
      expect(json(byFlag)).toHaveProperty('tasks');
      expect(json(byEnv)).toHaveProperty('tasks');
    } finally {
      await secured.stop();
    }
  });
});

describe('the package bin', () => {
  it("the client package's bin runs the CLI from source in the repository, without a build step", async () => {
    const health = json(await pulseProcess(['health', '--json'], {}, [BIN]));
    expect(health).toMatchObject({ api: 'ok', temporal: { reachable: true } });
  });

  it('a reader that closes the pipe early (pulse --help | head -1) ends it quietly, exit 0', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], { cwd: PROJECT_ROOT, env: cliEnv({}) });
    // The read end is gone before the CLI writes: its first write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('finding the service', () => {
  /** A `.pulse-data/service.json` as `npm start` writes it, naming `apiUrl` and a process `pid`. */
  function serviceRecord(apiUrl: string, pid: number): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-cli-record-'));
    const record = { pid, api_url: apiUrl, temporal_address: '127.0.0.1:1', namespace: 'default' };
    writeFileSync(path.join(dir, 'service.json'), JSON.stringify({ ...record, auth: false }));
    return dir;
  }

  it('without --url or PULSE_URL, pulse talks to the running npm start that service.json names', async () => {
    const dir = serviceRecord(pulse.baseUrl, process.pid);
    try {
      const health = json(await pulseCli(['health', '--json'], { PULSE_URL: '', PULSE_DATA_DIR: dir }));
      expect(health).toMatchObject({ api: 'ok' });
      // PULSE_URL still wins over the record.
      const other = serviceRecord('http://127.0.0.1:1', process.pid);
      const byEnv = await pulseCli(['health', '--json'], { PULSE_DATA_DIR: other });
      rmSync(other, { recursive: true, force: true });
      expect(json(byEnv)).toMatchObject({ api: 'ok' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the key npm start was given, from the owner-only file beside the record; it goes with the record', async () => {
    const secured = await startPulseApiOnly(env, pulse.taskQueue, pulse.executors, {
      apiKeys: ['found-key'],
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-cli-keyed-'));
    const info = {
      pid: process.pid,
      api_url: secured.baseUrl,
      temporal_address: '127.0.0.1:1',
      namespace: 'default',
      task_queue: pulse.taskQueue,
      ui_url: 'http://localhost:1',
      auth: true,
      started_at: new Date().toISOString(),
    };
    try {
      writeServiceFile(dir, info, 'found-key');
      expect(statSync(path.join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
      const found = await pulseCli(['list', '--limit', '1', '--json'], {
        PULSE_URL: '',
        PULSE_DATA_DIR: dir,
      });
      expect(json(found)).toHaveProperty('tasks');
      // A key given by the user still wins (here a wrong one: refused).
      const wrong = await pulseCli(['list'], { PULSE_URL: '', PULSE_DATA_DIR: dir, PULSE_API_KEY: 'other' });
      expect(wrong.code).toBe(4);

      // Started without a key it can write (a tenants file holds only hashes): it says which key it wants.
      writeServiceFile(dir, info);
      expect(existsSync(path.join(dir, KEY_FILE))).toBe(false);
      const keyless = await pulseCli(['list'], { PULSE_URL: '', PULSE_DATA_DIR: dir });
      expect(keyless.code).toBe(4);
      expect(keyless.stderr).toContain(`The Pulse at ${secured.baseUrl}`);
      expect(keyless.stderr).toContain('wants an API key: set PULSE_API_KEY or --api-key');

      writeServiceFile(dir, info, 'found-key');
      removeServiceFile(dir, process.pid);
      expect(existsSync(path.join(dir, KEY_FILE))).toBe(false);
      expect(existsSync(path.join(dir, SERVICE_FILE))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await secured.stop();
    }
  });

  it('a record of a service that has stopped is exit 5 with the reason, not a try at localhost:8000', async () => {
    const dir = serviceRecord(pulse.baseUrl, 2 ** 22 + 11);
    try {
      const run = await pulseCli(['list'], { PULSE_URL: '', PULSE_DATA_DIR: dir });
      expect(run.code).toBe(5);
      expect(run.stderr).toMatch(/service\.json names a Pulse \(pid \d+, .*\) that is no longer running/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
