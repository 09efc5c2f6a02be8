/**
 * The HTTP tool catalog (`GET /meta/tools`, `POST /tools/{name}`) on a real Temporal dev server and worker: it
 * lists the very tools and schemas MCP lists, its calls reach the task service, and its errors have the API's
 * shapes.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPulse, type PulseUnderTest } from './helpers/pulse.js';
import { createDevServerEnv } from './helpers/temporal.js';

// The tests read whatever the API sent; the JSON Schemas check shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let env: TestWorkflowEnvironment;
let pulse: PulseUnderTest;
let mcp: Client;

beforeAll(async () => {
  env = await createDevServerEnv();
  pulse = await startPulse(env);
  mcp = new Client({ name: 'tool-catalog-test', version: '1.0.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(`${pulse.baseUrl}/mcp`)));
});

afterAll(async () => {
  await mcp?.close();
  await pulse?.stop();
  await env?.teardown();
});

const validator = new AjvJsonSchemaValidator();

/** Fails the test unless `value` matches the JSON Schema `schema`. */
function expectMatches(schema: Json, value: unknown, what: string) {
  const check = validator.getValidator(schema)(value);
  expect(check.valid, `${what}: ${check.errorMessage}`).toBe(true);
}

async function catalog(): Promise<Json> {
  const response = await pulse.call('GET', '/meta/tools');
  expect(response.status).toBe(200);
  return response.body;
}

const farTask = {
  schedule_type: 'http_request',
  when: 'tomorrow at 9am',
  timezone: 'America/New_York',
  // Never called: the task is cancelled long before it is due.
  payload: { url: 'http://127.0.0.1:9/never-called', method: 'POST' },
  metadata: { via: 'tool-catalog' },
};

describe('GET /meta/tools and MCP describe the same tools', () => {
  it('lists every tool with its description and JSON Schemas', async () => {
    const { tools, count } = await catalog();
    expect(count).toBe(tools.length);
    expect(tools.map((t: Json) => t.name)).toEqual([
      'schedule_task',
      'list_tasks',
      'get_task_details',
      'cancel_task',
      'pause_task',
      'resume_task',
      'trigger_task',
      'preview_schedule',
      'list_occurrences',
    ]);
    for (const tool of tools) {
      expect(tool).toMatchObject({
        description: expect.any(String),
        method: 'POST',
        path: `/tools/${tool.name}`,
        request_schema: { type: 'object', $schema: 'http://json-schema.org/draft-07/schema#' },
        response_schema: { type: 'object', $schema: 'http://json-schema.org/draft-07/schema#' },
      });
    }
    const schedule = tools[0];
    expect(schedule.request_schema.required).toEqual(['schedule_type', 'when', 'payload']);
    expect(schedule.request_schema.properties.when.examples).toEqual(
      expect.arrayContaining(['in 5 minutes', 'every weekday at 9am', '0 9 * * 1-5']),
    );
    expect(schedule.response_schema.required).toEqual(
      expect.arrayContaining(['task_id', 'next_execution', 'status']),
    );
  });

  it('MCP lists the same names, descriptions and schemas', async () => {
    const { tools } = await catalog();
    const listed = (await mcp.listTools()).tools;
    expect(listed.map((t) => t.name)).toEqual(tools.map((t: Json) => t.name));
    for (const tool of tools) {
      const twin = listed.find((t) => t.name === tool.name)!;
      expect(twin.description).toBe(tool.description);
      expect(twin.inputSchema).toEqual(tool.request_schema);
      expect(twin.outputSchema).toEqual(tool.response_schema);
      expect(twin.annotations).toEqual(tool.annotations);
    }
  });

  it('documents each tool route in the OpenAPI document', async () => {
    const { body } = await pulse.call('GET', '/openapi.json');
    for (const name of [
      'schedule_task',
      'list_tasks',
      'get_task_details',
      'cancel_task',
      'preview_schedule',
    ]) {
      expect(body.paths[`/tools/${name}`]?.post, name).toBeDefined();
    }
    expect(body.paths['/meta/tools'].get).toBeDefined();
  });
});

describe('POST /tools/{name}', () => {
  it('schedule_task, get_task_details, list_tasks and cancel_task act on real tasks; results match their schemas', async () => {
    const { tools } = await catalog();
    const schemaOf = (name: string) => tools.find((t: Json) => t.name === name).response_schema;

    const scheduled = await pulse.call('POST', '/tools/schedule_task', farTask);
    expect(scheduled.status).toBe(200);
    expectMatches(schemaOf('schedule_task'), scheduled.body, 'schedule_task');
    const taskId: string = scheduled.body.task_id;

    const direct = await pulse.call('GET', `/tasks/${taskId}`);
    expect(direct.body).toMatchObject({ id: taskId, status: 'active', metadata: { via: 'tool-catalog' } });
    const details = await pulse.call('POST', '/tools/get_task_details', { task_id: taskId });
    expect(details.status).toBe(200);
    // The original's tool contract: {task, execution_history, history_count}.
    expect(details.body).toEqual({ task: direct.body, execution_history: [], history_count: 0 });
    expectMatches(schemaOf('get_task_details'), details.body, 'get_task_details');

    let listed: Json = { tasks: [] };
    for (let i = 0; i < 50 && !listed.tasks.some((t: Json) => t.id === taskId); i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      // No body at all: a tool whose arguments are all optional.
      listed = (await pulse.call('POST', '/tools/list_tasks')).body;
    }
    expect(listed.tasks.map((t: Json) => t.id)).toContain(taskId);
    expectMatches(schemaOf('list_tasks'), listed, 'list_tasks');

    const preview = await pulse.call('POST', '/tools/preview_schedule', { task_id: taskId, count: 3 });
    expect(preview.body).toEqual({
      task_id: taskId,
      kind: 'once',
      timezone: 'America/New_York',
      next: [new Date(scheduled.body.next_execution).toISOString()],
    });

    const paused = await pulse.call('POST', '/tools/pause_task', { task_id: taskId });
    expect(paused.body).toMatchObject({ id: taskId, status: 'paused' });
    expectMatches(schemaOf('pause_task'), paused.body, 'pause_task');

    const cancelled = await pulse.call('POST', '/tools/cancel_task', { task_id: taskId });
    // The original's tool contract: {success, task_id, message}.
    expect(cancelled).toEqual({
      status: 200,
      body: { success: true, task_id: taskId, message: expect.any(String), status: 'cancelled' },
    });
    expectMatches(schemaOf('cancel_task'), cancelled.body, 'cancel_task');
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.status).toBe('cancelled');

    // The same call over MCP reads the same task; the SDK client checks the result against outputSchema.
    const viaMcp = await mcp.callTool({ name: 'get_task_details', arguments: { task_id: taskId } });
    expect(viaMcp.structuredContent).toMatchObject({
      task: (await pulse.call('GET', `/tasks/${taskId}`)).body,
      history_count: 0,
    });
  });

  it('get_task_details lists the runs newest first, as the original tool did', async () => {
    const scheduled = await pulse.call('POST', '/tools/schedule_task', {
      ...farTask,
      when: 'now',
      payload: { url: 'http://127.0.0.1:9/refused', method: 'POST' },
    });
    const taskId: string = scheduled.body.task_id;
    let details: Json = {};
    for (let i = 0; i < 100; i++) {
      details = (await pulse.call('POST', '/tools/get_task_details', { task_id: taskId })).body;
      if (['completed', 'failed'].includes(details.task.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(details.history_count).toBe(1);
    expect(details.execution_history).toEqual([details.task.last_run]);
    expect(details.execution_history[0]).toMatchObject({
      execution_id: expect.any(String),
      status: 'failed',
    });
  });

  it('null in an optional argument means absent, as LangChain and CrewAI tools send it', async () => {
    const { tools } = await catalog();
    const requestSchemaOf = (name: string) => tools.find((t: Json) => t.name === name).request_schema;
    // The original's LangGraph list tool sends every field of its model.
    const listArgs = {
      status: null,
      schedule_type: null,
      limit: null,
      offset: null,
      cursor: null,
      agent_id: null,
    };
    expectMatches(requestSchemaOf('list_tasks'), listArgs, 'list_tasks request');
    const listed = await pulse.call('POST', '/tools/list_tasks', listArgs);
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body).toMatchObject({ tasks: expect.any(Array), count: expect.any(Number) });
    const viaMcp = await mcp.callTool({ name: 'list_tasks', arguments: { ...listArgs, start_time: null } });
    expect(viaMcp.isError ?? false, JSON.stringify(viaMcp.content)).toBe(false);

    // schedule_task with every field of the original's ScheduleTaskParams, its own repeat example among them.
    const scheduleArgs = {
      schedule_type: 'report_generation',
      when: 'tomorrow at 9am',
      payload: { to: 'user@example.com' },
      repeat: { cron: '0 */4 * * *' },
      metadata: null,
      webhook_url: null,
      webhook_timeout: null,
      webhook_retries: null,
      callback_url: null,
      timezone: null,
      policy: null,
      retry: null,
      callback_window: null,
    };
    expectMatches(requestSchemaOf('schedule_task'), scheduleArgs, 'schedule_task request');
    const scheduled = await pulse.call('POST', '/tools/schedule_task', scheduleArgs);
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
    expect(scheduled.body.ui_url).toContain('/schedules/');
    const preview = await pulse.call('POST', '/tools/preview_schedule', {
      task_id: scheduled.body.task_id,
      when: null,
      timezone: null,
      count: null,
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.next).toHaveLength(5);
    expect((await pulse.call('POST', '/tools/cancel_task', { task_id: scheduled.body.task_id })).status).toBe(
      200,
    );

    // A required argument is still required.
    const noId = await pulse.call('POST', '/tools/cancel_task', { task_id: null });
    expect(noId.status).toBe(422);
    expect(noId.body.errors).toEqual([{ field: 'task_id', message: expect.any(String) }]);
  });

  it('422 for arguments that do not fit the schema, in the API’s shape and words', async () => {
    const bad = { schedule_type: 'http request', when: 5, payload: 'x' };
    const viaTool = await pulse.call('POST', '/tools/schedule_task', bad);
    const viaApi = await pulse.call('POST', '/tasks/schedule', bad);
    expect(viaTool.status).toBe(422);
    expect(viaTool.body).toEqual(viaApi.body);
    expect(viaTool.body).toMatchObject({ code: 'VALIDATION_ERROR', detail: expect.stringContaining('when') });
    expect(viaTool.body.errors.map((e: Json) => e.field)).toEqual(['schedule_type', 'when', 'payload']);

    const neither = await pulse.call('POST', '/tools/preview_schedule', { count: 3 });
    expect(neither.status).toBe(422);
    expect(neither.body).toEqual({
      detail: expect.stringContaining('exactly one of when'),
      code: 'VALIDATION_ERROR',
      errors: [{ field: '(body)', message: expect.any(String) }],
    });

    const noId = await pulse.call('POST', '/tools/cancel_task', {});
    expect(noId.status).toBe(422);
    expect(noId.body.errors).toEqual([{ field: 'task_id', message: expect.any(String) }]);

    // Over MCP, the same arguments fail with the same words.
    const viaMcp = await mcp.callTool({ name: 'schedule_task', arguments: bad });
    expect(viaMcp.isError).toBe(true);
    expect(viaMcp.content).toEqual([{ type: 'text', text: viaApi.body.detail }]);
  });

  it('400 for an unusable when or time zone and for a body that is not JSON, as the API says it', async () => {
    const badWhen = { ...farTask, when: 'at some point' };
    const viaTool = await pulse.call('POST', '/tools/schedule_task', badWhen);
    expect(viaTool.status).toBe(400);
    expect(viaTool.body).toEqual((await pulse.call('POST', '/tasks/schedule', badWhen)).body);
    expect(viaTool.body.code).toBe('INVALID_WHEN');

    const badZone = await pulse.call('POST', '/tools/preview_schedule', {
      when: 'daily at 9am',
      timezone: 'X/Y',
    });
    expect(badZone.status).toBe(400);
    expect(badZone.body).toEqual(
      (await pulse.call('GET', '/preview?when=daily%20at%209am&timezone=X/Y')).body,
    );

    const notJson = await pulse.call('POST', '/tools/schedule_task', '{"schedule_type": ');
    expect(notJson).toEqual(await pulse.call('POST', '/tasks/schedule', '{"schedule_type": '));
    expect(notJson.body.code).toBe('INVALID_JSON');
  });

  it('404 for an unknown tool and for an unknown task', async () => {
    const unknown = await pulse.call('POST', '/tools/delete_everything', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      detail: expect.stringContaining("No tool named 'delete_everything'; the tools are: schedule_task"),
      code: 'TOOL_NOT_FOUND',
    });

    const missing = await pulse.call('POST', '/tools/get_task_details', { task_id: 'task_nope' });
    expect(missing).toEqual(await pulse.call('GET', '/tasks/task_nope'));
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('TASK_NOT_FOUND');
  });
});
