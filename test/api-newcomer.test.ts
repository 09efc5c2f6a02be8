/**
 * What a newcomer meets at the API's edge, in-process on a fake task service: `GET /` and the API reference (its
 * script served locally, nothing from a CDN), "required" for a missing field, a 422 naming an unknown field and
 * what it probably meant, and a POST without a body (a trigger) that is not asked for a content type.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/api/app.js';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createFakeTasks } from './helpers/fake-tasks.js';

function inProcess() {
  const tasks = createFakeTasks();
  const executors = createExecutorFactory({ defaultExecutor: 'http' });
  const app = createApp({
    tasks,
    executors: { list: () => executors.list(), defaultExecutor: 'http' },
    auth: { apiKeys: [] },
    limits: { bodyBytes: 1024 * 1024 },
    metrics: createMetrics(),
    logger: createLogger({ logLevel: 'silent' }),
    health: async () => ({ status: 'ok' }) as never,
    links: { temporalUiUrl: 'http://localhost:8233', namespace: 'default' },
  });
  return { app, tasks };
}

describe('pages for a browser', () => {
  it('GET / links the API reference, /health, /openapi.json and the Temporal Web UI', async () => {
    const response = await inProcess().app.request('/');
    expect(response.status).toBe(200);
    const html = await response.text();
    for (const link of [
      '/reference',
      '/health',
      '/openapi.json',
      'http://localhost:8233/namespaces/default/workflows',
    ])
      expect(html).toContain(`href="${link}"`);
  });

  it('/reference renders /openapi.json with Scalar, whose script Pulse serves itself', async () => {
    const { app } = inProcess();
    const page = await (await app.request('/reference')).text();
    expect(page).toContain('/openapi.json');
    expect(page).toContain('src="/reference/standalone.js"');
    expect(page).not.toMatch(/cdn\.jsdelivr|fonts\.scalar\.com|unpkg/);
    const script = await app.request('/reference/standalone.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });
});

describe('precise validation errors', () => {
  it('a missing `when` is "required", an unknown key is refused with what it probably meant', async () => {
    const { app, tasks } = inProcess();
    const response = await app.request('/tasks/schedule', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        schedule_type: 'http_request',
        payload: { url: 'https://example.com' },
        callbak_url: 'https://example.com/cb',
        totally_new: 1,
      }),
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { detail: string; errors: unknown[] };
    expect(body.errors).toEqual([
      { field: 'when', message: 'required' },
      { field: 'callbak_url', message: "unknown field; did you mean 'callback_url'?" },
      { field: 'totally_new', message: 'unknown field' },
    ]);
    expect(body.detail).toContain('when: required');
    expect(tasks.stored.size).toBe(0);
  });

  it("a field of another request is named as such, never 'did you mean' itself", async () => {
    const { app } = inProcess();
    const response = await app.request('/tasks/task_x', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callback_url: 'https://example.com/cb', webhook_url: 'https://example.com/w' }),
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { errors: unknown[] };
    expect(body.errors).toEqual([
      {
        field: 'callback_url',
        message: "not accepted by this request; a task's callback is changed with metadata.callback_url",
      },
      { field: 'webhook_url', message: 'not accepted by this request' },
      { field: '(body)', message: 'give at least one of status, when, repeat, timezone, metadata, payload' },
    ]);
  });

  it('a POST without a body needs no content type; a body without one is still refused', async () => {
    const { app } = inProcess();
    const bodiless = await app.request('/tasks/task_x/trigger', { method: 'POST' });
    expect(bodiless.status).not.toBe(422);
    const body = new TextEncoder().encode('{"worker_id":"w"}');
    const untyped = await app.request('/tasks/task_x/claim', { method: 'POST', body });
    expect(untyped.status).toBe(422);
    expect(await untyped.json()).toMatchObject({ code: 'UNSUPPORTED_CONTENT_TYPE' });
  });
});
