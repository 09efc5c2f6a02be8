/**
 * A server set as production servers are (search attributes read from the namespace cache, not from the database on
 * every use: `system.forceSearchAttributesCacheRefreshOnRead` off, the server's default, which the CLI's dev server
 * turns on) takes Pulse's search attributes the moment `ensureSearchAttributes` returns: a workflow started with
 * every one of them, and a query naming every one, pass at once. Before it waited for a namespace refresh, the first
 * start of Pulse on such a server (the cluster) refused tasks for up to two seconds: "Namespace default has no
 * mapping defined for search attribute PulseScheduleType".
 */
import { Client, Connection } from '@temporalio/client';
import { SearchAttributeType, type TypedSearchAttributes } from '@temporalio/common';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';
import { PULSE_SEARCH_ATTRIBUTES } from '../src/shared/search-attributes.js';
import { defaultInstallDir, findBinary, TEMPORAL_CLI } from '../src/temporal/binaries.js';
import { startDevServer, type DevServer } from '../src/temporal/dev-server.js';
import { ensureSearchAttributes } from '../src/temporal/search-attributes-setup.js';
import { freePort } from './helpers/service.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-sa-'));
let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({
    cliPath: findBinary(TEMPORAL_CLI, { installDir: defaultInstallDir(PROJECT_ROOT) })?.path,
    dbFile: path.join(dir, 'temporal.db'),
    ip: '127.0.0.1',
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    log: () => undefined,
    settings: { timerMaxTimeShift: undefined, tenantsFile: undefined },
    extraDynamicConfig: ['system.forceSearchAttributesCacheRefreshOnRead=false'],
  });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("a fresh server set as in production takes every one of Pulse's search attributes as soon as they are registered", async () => {
  const connection = await Connection.connect({ address: server.address });
  try {
    const added = await ensureSearchAttributes(connection, 'default');
    expect(added.sort()).toEqual(PULSE_SEARCH_ATTRIBUTES.map((key) => key.name).sort());

    const client = new Client({ connection, namespace: 'default' });
    const now = new Date();
    const typedSearchAttributes = PULSE_SEARCH_ATTRIBUTES.map((key) => ({
      key,
      value: key.type === SearchAttributeType.DATETIME ? now : 'x',
    })) as unknown as TypedSearchAttributes;
    // No worker runs it: the start itself is what the server validates.
    const handle = await client.workflow.start('notRun', {
      taskQueue: 'nobody',
      workflowId: 'sa-check',
      typedSearchAttributes,
    });
    const query = PULSE_SEARCH_ATTRIBUTES.map((key) =>
      key.type === SearchAttributeType.DATETIME
        ? `${key.name} <= '${now.toISOString()}'`
        : `${key.name} = 'x'`,
    ).join(' AND ');
    await expect(client.workflow.count(query)).resolves.toBeDefined();
    await handle.terminate();

    // A second start finds them all and adds none (and so does not wait).
    const startedAt = Date.now();
    expect(await ensureSearchAttributes(connection, 'default')).toEqual([]);
    expect(Date.now() - startedAt).toBeLessThan(1000);
  } finally {
    await connection.close();
  }
});
