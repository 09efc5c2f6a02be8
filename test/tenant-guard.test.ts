/** A tenant's `allowed_hosts` in the SSRF guard: read at each check, so a reload applies at once. */
import { describe, expect, it } from 'vitest';
import { createDestinationGuard } from '../src/security/ssrf-guard.js';
import { TenantFileSchema } from '../src/tenants/tenant-registry.js';

describe("tenants' allowed hosts", () => {
  it('are read at each check, and only well-formed entries count', async () => {
    const hosts: string[] = [];
    const guard = createDestinationGuard({
      allowPrivateNetworks: false,
      allowedHosts: [],
      moreAllowedHosts: () => hosts,
    });
    await expect(guard.checkUrl('http://10.1.2.3/hook', 'callback_url')).rejects.toThrow(/10\.1\.2\.3/);
    hosts.push('not a host', '10.1.2.3');
    await expect(guard.checkUrl('http://10.1.2.3/hook', 'callback_url')).resolves.toBeUndefined();
    await expect(guard.checkUrl('http://10.1.2.4/hook', 'callback_url')).rejects.toThrow();
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
