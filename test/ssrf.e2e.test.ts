/**
 * The SSRF guard wired into Pulse, by default: refused destinations are a 400 at schedule time with nothing
 * started and no connection made (the resolver is injected), and a name that rebinds into private space after
 * the check is refused at connection time. Real traffic goes only to 127.0.0.1, and only if the guard were broken.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { createDestinationGuard, type ResolvedAddress } from '../src/security/ssrf-guard.js';
import { startPulse, type PulseUnderTest } from './helpers/pulse.js';
import { createDevServerEnv } from './helpers/temporal.js';

let env: TestWorkflowEnvironment;
let pulse: PulseUnderTest;
let sentinel: net.Server;
let sentinelPort: number;
let connections = 0;
const lookups: string[] = [];
let rebindAnswers: string[] = [];

/** DNS for the test: fixed answers, no real resolver, every question recorded. */
async function resolve(hostname: string): Promise<ResolvedAddress[]> {
  lookups.push(hostname);
  const fixed: Record<string, string> = {
    'metadata.attacker.test': '169.254.169.254',
    'intranet.attacker.test': '10.0.0.1',
    'loop.attacker.test': '::1',
    'public.example.test': '93.184.216.34',
  };
  if (hostname === 'rebind.attacker.test') {
    const address = rebindAnswers.shift() ?? '127.0.0.1';
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  }
  const address = fixed[hostname];
  if (!address) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address, family: address.includes(':') ? 6 : 4 }];
}

beforeAll(async () => {
  env = await createDevServerEnv();
  // A server on 127.0.0.1 that must never be reached: it counts every connection attempt.
  sentinel = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((done) => sentinel.listen(0, '127.0.0.1', done));
  sentinelPort = (sentinel.address() as AddressInfo).port;
  const guard = createDestinationGuard({ allowPrivateNetworks: false, allowedHosts: [], resolve });
  pulse = await startPulse(
    env,
    { destinationGuard: guard, executors: createExecutorFactory({ guard }) },
    undefined,
    { dispatcherFor: () => guard.dispatcher },
  );
});

afterAll(async () => {
  await pulse?.stop();
  await new Promise((done) => sentinel?.close(done));
  await env?.teardown();
});

function httpTask(extra: Record<string, unknown>) {
  return {
    schedule_type: 'http_request',
    when: 'in 1 hour',
    payload: { url: 'http://public.example.test/' },
    ...extra,
  };
}

describe('SSRF guard, on by default', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254.*(link-local|metadata)/],
    ['http://10.0.0.1/', /10\.0\.0\.1.*private/],
    ['http://[::1]/', /::1.*loopback/],
    ['http://[::ffff:10.0.0.1]/', /private/],
    ['http://2130706433/', /127\.0\.0\.1.*loopback/],
    [`http://127.0.0.1:${0}/`, /loopback/],
    ['http://localhost/', /loopback/],
    ['http://metadata.attacker.test/', /169\.254\.169\.254/],
    ['http://intranet.attacker.test/', /10\.0\.0\.1/],
    ['http://loop.attacker.test/', /::1/],
    ['ftp://public.example.test/', /scheme|http/],
  ])('refuses callback_url %s with a clear 400, before any connection', async (url, reason) => {
    const before = (await pulse.call('GET', '/tasks?limit=1000')).body.count;
    const response = await pulse.call(
      'POST',
      '/tasks/schedule',
      httpTask({ callback_url: url.replace(':0/', `:${sentinelPort}/`) }),
    );
    expect(response.status).toBe(url.startsWith('ftp') ? 422 : 400);
    if (response.status === 400) {
      expect(response.body).toMatchObject({
        code: 'DESTINATION_REFUSED',
        errors: [{ field: 'callback_url' }],
      });
      expect(response.body.detail).toMatch(reason);
      expect(response.body.detail).toMatch(/PULSE_ALLOW_PRIVATE_NETWORKS|PULSE_ALLOWED_HOSTS/);
    }
    expect((await pulse.call('GET', '/tasks?limit=1000')).body.count).toBe(before);
    expect(connections).toBe(0);
  });

  it('checks every user-supplied destination: http_request url, metadata.callback_url, webhook_url, agent_host', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [httpTask({ payload: { url: 'http://intranet.attacker.test/admin' } }), 'payload.url'],
      [httpTask({ metadata: { callback_url: 'http://metadata.attacker.test/' } }), 'callback_url'],
      [
        { schedule_type: 'digest', when: 'now', payload: {}, webhook_url: 'http://10.1.2.3/hook' },
        'webhook_url',
      ],
    ];
    for (const [body, field] of cases) {
      const response = await pulse.call('POST', '/tasks/schedule', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.errors[0].field).toBe(field);
    }
    expect(connections).toBe(0);
  });

  it('an agent_host with a port (or a scheme) is a precise 400 naming agent_port, before any address check', async () => {
    for (const agentHost of ['169.254.169.254:80', 'http://agent.example', 'agent.example/x']) {
      const response = await pulse.call('POST', '/tasks/schedule', {
        schedule_type: 'run_agent',
        when: 'in 1 hour',
        payload: { agent_id: 'a', entrypoint_tag: 'main', executor_type: 'local', agent_host: agentHost },
      });
      expect(response.status, agentHost).toBe(400);
      expect(response.body.errors, agentHost).toEqual([
        {
          field: 'payload.agent_host',
          message:
            'must be a host name or IP address, without a scheme, path or port (the port goes in agent_port)',
        },
      ]);
    }
    expect(connections).toBe(0);
  });

  it('a name that rebinds into loopback after the check is refused at connection time; the run fails, unretried', async () => {
    rebindAnswers = ['93.184.216.34'];
    lookups.length = 0;
    const response = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'now',
      payload: { url: `http://rebind.attacker.test:${sentinelPort}/` },
      retry: { max_attempts: 3, initial_interval: '100ms' },
    });
    expect(response.status).toBe(200);
    let result: { status?: string; error?: string } = {};
    for (let i = 0; i < 100; i++) {
      result = (await pulse.call('GET', `/tasks/${response.body.task_id}/result`)).body;
      if (result.status !== 'pending') break;
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/refused.*127\.0\.0\.1.*loopback/);
    expect(connections).toBe(0);
    // One lookup at schedule time, one at connection time: the refusal was final, not retried.
    expect(lookups.filter((h) => h === 'rebind.attacker.test')).toHaveLength(2);
  });
});
