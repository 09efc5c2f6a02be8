/**
 * `list_occurrences`, the occurrence ledger as a tool, on a real dev server: over `POST /tools/{name}` and MCP it
 * answers what `GET /occurrences` answers (cut to `limit`), its result matches its own schema, and an API built
 * without a ledger does not offer it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/api/app.js';
import { loadConfig } from '../src/config.js';
import { createApiServices } from '../src/main/services.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { LOOPBACK_ALLOWED } from './helpers/pulse.js';
import { useStack } from './helpers/stack.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const { env, pulse } = useStack();
let mcp: Client;

beforeAll(async () => {
  mcp = new Client({ name: 'occurrence-tool-test', version: '1.0.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(`${pulse.baseUrl}/mcp`)));
});

afterAll(async () => {
  await mcp?.close();
});

describe('list_occurrences', () => {
  it('lists a recurring task’s upcoming times as GET /occurrences does, over HTTP and MCP', async () => {
    const scheduled = await pulse.call('POST', '/tasks/schedule', {
      schedule_type: 'http_request',
      when: 'daily at 9am',
      timezone: 'Europe/Berlin',
      payload: { url: 'http://127.0.0.1:9/never-called' },
      metadata: { name: 'morning digest' },
    });
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
    const taskId: string = scheduled.body.task_id;
    const window = { from: '2030-01-01', to: '2030-01-08', timezone: 'Europe/Berlin', task_id: taskId };

    const viaApi = await pulse.call('GET', `/occurrences?${new URLSearchParams(window)}`);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.count).toBe(7);

    const viaTool = await pulse.call('POST', '/tools/list_occurrences', window);
    expect(viaTool.status, JSON.stringify(viaTool.body)).toBe(200);
    expect(viaTool.body).toEqual({ ...viaApi.body, total: 7 });
    expect(viaTool.body.occurrences[0]).toMatchObject({
      task_id: taskId,
      name: 'morning digest',
      status: 'upcoming',
      at: '2030-01-01T08:00:00.000Z',
      local_at: '2030-01-01T09:00:00+01:00',
    });

    const { tools } = (await pulse.call('GET', '/meta/tools')).body;
    const tool = tools.find((t: Json) => t.name === 'list_occurrences');
    expect(tool.annotations).toMatchObject({ readOnlyHint: true });
    const check = new AjvJsonSchemaValidator().getValidator(tool.response_schema)(viaTool.body);
    expect(check.valid, check.errorMessage).toBe(true);

    // MCP: the SDK client checks the result against outputSchema; null means "left out".
    const viaMcp = await mcp.callTool({
      name: 'list_occurrences',
      arguments: { ...window, limit: 2, status: null },
    });
    expect(viaMcp.isError).toBeFalsy();
    expect(viaMcp.structuredContent).toMatchObject({ count: 2, total: 7 });
    expect((viaMcp.structuredContent as Json).occurrences).toEqual(viaApi.body.occurrences.slice(0, 2));

    expect((await pulse.call('DELETE', `/tasks/${taskId}`)).status).toBe(200);
  });

  it('answers a bad window with the API’s own 400', async () => {
    const response = await pulse.call('POST', '/tools/list_occurrences', { from: 'next tuesday' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'INVALID_TIME_RANGE' });
    const viaMcp = await mcp.callTool({ name: 'list_occurrences', arguments: { timezone: 'Mars/Olympus' } });
    expect(viaMcp.isError).toBe(true);
    expect((viaMcp._meta as Json)['pulse/error']).toMatchObject({ status: 400, code: 'INVALID_TIMEZONE' });
  });

  it('is absent from an API built without a ledger', async () => {
    const config = { ...loadConfig({ PULSE_RATE_LIMIT: '0' }), taskQueue: pulse.taskQueue };
    const { ledger, ...services } = createApiServices({
      config,
      client: env.client,
      executors: pulse.executors,
      guard: LOOPBACK_ALLOWED,
      logger: createLogger({ ...config, logLevel: 'silent' }),
      metrics: createMetrics({}),
    });
    expect(ledger).toBeDefined();
    const app = createApp(services);
    const names = ((await (await app.request('/meta/tools')).json()) as Json).tools.map((t: Json) => t.name);
    expect(names).toContain('list_tasks');
    expect(names).not.toContain('list_occurrences');
    expect((await app.request('/tools/list_occurrences', { method: 'POST' })).status).toBe(404);
  });
});
