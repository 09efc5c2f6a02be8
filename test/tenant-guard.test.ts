/**
 * A tenant's `allowed_hosts` in the SSRF guard: its own list on top of the global one, never another tenant's, read
 * at each call so that a reload applies at once.
 */
import { describe, expect, it } from 'vitest';
import { createDestinationGuard, createTenantGuards } from '../src/security/ssrf-guard.js';
import { TenantFileSchema } from '../src/tenants/tenant-registry.js';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { startReceiver } from './helpers/receiver.js';

describe("tenants' allowed hosts", () => {
  const options = { allowPrivateNetworks: false, allowedHosts: ['10.9.9.9'] };
  const hosts: Record<string, string[]> = { a: [], b: ['10.1.2.3', '127.0.0.1'] };
  const guardFor = createTenantGuards(createDestinationGuard(options), options, (tenant) => hosts[tenant]);

  it("a tenant reaches its own hosts and the global ones, not another tenant's", async () => {
    await expect(guardFor('b').checkUrl('http://10.1.2.3/hook', 'callback_url')).resolves.toBeUndefined();
    await expect(guardFor('b').checkUrl('http://10.9.9.9/hook', 'callback_url')).resolves.toBeUndefined();
    for (const tenant of ['a', 'unknown', undefined]) {
      await expect(guardFor(tenant).checkUrl('http://10.1.2.3/hook', 'callback_url')).rejects.toThrow(
        /10\.1\.2\.3/,
      );
      await expect(
        guardFor(tenant).checkUrl('http://10.9.9.9/hook', 'callback_url'),
      ).resolves.toBeUndefined();
    }
  });

  it('a changed list applies at the next call', async () => {
    await expect(guardFor('a').checkUrl('http://10.4.4.4/hook', 'payload.url')).rejects.toThrow();
    hosts.a!.push('10.4.4.4');
    await expect(guardFor('a').checkUrl('http://10.4.4.4/hook', 'payload.url')).resolves.toBeUndefined();
    hosts.a!.pop();
    await expect(guardFor('a').checkUrl('http://10.4.4.4/hook', 'payload.url')).rejects.toThrow();
  });

  it("a run's connection is checked against its own tenant's guard (the worker's side)", async () => {
    // Each task's destination was checked when it was made; the connection is checked again (DNS may have changed
    // since). A real HTTP server on 127.0.0.1, which only tenant b may reach.
    const receiver = await startReceiver();
    const http = createExecutorFactory({ guard: createDestinationGuard(options), guardFor }).get('http')!;
    const run = (tenant: string | undefined) =>
      http.execute(
        {
          taskId: 'task_1',
          executionId: `task_1-${tenant}`,
          scheduleType: 'http_request',
          payload: { url: `${receiver.url}/hook`, method: 'GET' },
          metadata: {},
          scheduledFor: new Date().toISOString(),
          timeoutMs: 10_000,
          ...(tenant ? { tenant } : {}),
        },
        { signal: new AbortController().signal, heartbeat: () => undefined },
      );
    try {
      await expect(run('b')).resolves.toMatchObject({ status_code: 200 });
      for (const tenant of ['a', undefined]) await expect(run(tenant)).rejects.toThrow(/127\.0\.0\.1/);
      expect(receiver.at('/hook')).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('a tenants file with a malformed host is refused, naming it', () => {
    const parsed = TenantFileSchema.safeParse({
      tenants: [{ id: 'acme', keys: [`sha256:${'a'.repeat(64)}`], allowed_hosts: ['http://x/'] }],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({
      path: ['tenants', 0, 'allowed_hosts', 0],
      message: 'must be a host name, an IP address or *.example.com',
    });
  });
});
