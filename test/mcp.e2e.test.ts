/**
 * The MCP server end to end: the official MCP SDK client, in its own process, talks streamable HTTP to `/mcp` on
 * 127.0.0.1 (API key required), against the real worker on a real Temporal dev server. What it schedules is
 * checked through the HTTP API, and what it runs reaches a real HTTP receiver.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';
import { startPulse, type PulseUnderTest } from './helpers/pulse.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createDevServerEnv } from './helpers/temporal.js';
import { sleep } from './helpers/wait.js';

const API_KEY = 'mcp-e2e-key-7f3a';
const AUTH = { authorization: `Bearer ${API_KEY}` };

/**
 * The MCP client process: connects (and lists tools, so the SDK checks every later result against its tool's
 * output schema), then answers one JSON line per command read from stdin.
 */
const CLIENT_SCRIPT = String.raw`
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createInterface } from 'node:readline';

const send = (message) => process.stdout.write(JSON.stringify(message) + '\n');
const failure = (err) => ({ code: err?.code ?? null, message: String(err?.message ?? err) });
const token = process.env.MCP_TOKEN;
const client = new Client({ name: 'pulse-e2e-client', version: '1.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(process.env.MCP_URL), {
  requestInit: { headers: token ? { Authorization: 'Bearer ' + token } : {} },
});
try {
  await client.connect(transport);
  await client.listTools();
  send({ ready: true, server: client.getServerVersion(), instructions: client.getInstructions() });
} catch (err) {
  send({ ready: false, error: failure(err) });
  process.exit(0);
}
for await (const line of createInterface({ input: process.stdin })) {
  const { id, method, params } = JSON.parse(line);
  try {
    send({ id, result: method === 'listTools' ? await client.listTools() : await client.callTool(params) });
  } catch (err) {
    send({ id, error: failure(err) });
  }
}
await client.close();
`;

// What the client process sends back; the tests read whatever the server answered.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface McpClientProcess {
  /** `{ready: true, server, instructions}` once connected, or `{ready: false, error: {code, message}}`. */
  readonly hello: Json;
  listTools(): Promise<Json>;
  /** A `tools/call` result: `{content, structuredContent?, isError?, _meta?}`. */
  callTool(name: string, args?: Record<string, unknown>): Promise<Json>;
  close(): Promise<void>;
}

async function startMcpClient(url: string, token?: string): Promise<McpClientProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--input-type=module', '--eval', CLIENT_SCRIPT],
    { cwd: PROJECT_ROOT, env: { ...process.env, MCP_URL: url, MCP_TOKEN: token ?? '' } },
  );
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[mcp client] ${chunk.toString()}`));
  const waiting = new Map<number, { resolve: (m: Json) => void; reject: (e: Error) => void }>();
  let onHello: (m: Json) => void = () => {};
  const hello = new Promise<Json>((resolve) => (onHello = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Json;
    if (message.id === undefined) return onHello(message);
    waiting.get(message.id)?.resolve(message);
    waiting.delete(message.id);
  });
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      onHello({ ready: false, error: { code: null, message: `client exited with ${code}` } });
      for (const { reject } of waiting.values()) reject(new Error(`MCP client exited with ${code}`));
      resolve();
    }),
  );
  let nextId = 0;
  const request = (method: string, params?: unknown) =>
    new Promise<Json>((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, { resolve, reject });
      child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
    }).then((message) => {
      if (message.error) throw new Error(`MCP ${method} failed: ${message.error.message}`);
      return message.result;
    });
  return {
    hello: await hello,
    listTools: () => request('listTools'),
    callTool: (name, args = {}) => request('callTool', { name, arguments: args }),
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

let env: TestWorkflowEnvironment;
let pulse: PulseUnderTest;
let receiver: Receiver;
let mcp: McpClientProcess;

beforeAll(async () => {
  env = await createDevServerEnv();
  pulse = await startPulse(env, { apiKeys: [API_KEY] });
  receiver = await startReceiver();
  mcp = await startMcpClient(`${pulse.baseUrl}/mcp`, API_KEY);
});

afterAll(async () => {
  await mcp?.close();
  await pulse?.stop();
  await receiver?.close();
  await env?.teardown();
});

const api = (method: string, path: string, body?: unknown) => pulse.call(method, path, body, AUTH);

/** Calls a tool that must succeed and returns its structured result. */
async function call(name: string, args: Record<string, unknown> = {}): Promise<Json> {
  const result = await mcp.callTool(name, args);
  expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
  expect(JSON.parse(result.content[0].text)).toEqual(result.structuredContent);
  return result.structuredContent;
}

/** Polls get_task_details until `done` holds. */
async function waitForTask(taskId: string, done: (task: Json) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { task } = await call('get_task_details', { task_id: taskId });
    if (done(task) || Date.now() > deadline) return task;
    await sleep(200);
  }
}

function httpTask(path: string, when: string, extra: Record<string, unknown> = {}) {
  return {
    schedule_type: 'http_request',
    when,
    payload: { url: `${receiver.url}${path}`, method: 'POST', body: { via: 'mcp' } },
    ...extra,
  };
}

describe('MCP over streamable HTTP, with an API key', () => {
  it('refuses a client without the key or with a wrong one (401), and serves one with Authorization: Bearer', async () => {
    for (const token of [undefined, 'not-the-key']) {
      const refused = await startMcpClient(`${pulse.baseUrl}/mcp`, token);
      expect(refused.hello.ready).toBe(false);
      expect(refused.hello.error.code).toBe(401);
      expect(refused.hello.error.message).toContain('A valid API key is required');
      await refused.close();
    }
    const raw = await fetch(`${pulse.baseUrl}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBe('Bearer');
    expect(await raw.json()).toMatchObject({ code: 'UNAUTHORIZED' });

    expect(mcp.hello).toMatchObject({ ready: true, server: { name: 'pulse' } });
    expect(mcp.hello.instructions).toContain('preview_schedule');
  });

  it('lists every tool with a real top-level input schema described field by field', async () => {
    const { tools } = await mcp.listTools();
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
      expect(tool.description.length, tool.name).toBeGreaterThan(60);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema.type).toBe('object');
      for (const [field, schema] of Object.entries<Json>(tool.inputSchema.properties)) {
        expect(schema.description, `${tool.name}.${field}`).toEqual(expect.any(String));
      }
    }
    const schedule = tools.find((t: Json) => t.name === 'schedule_task');
    expect(Object.keys(schedule.inputSchema.properties)).toEqual(
      expect.arrayContaining(['schedule_type', 'when', 'payload', 'repeat', 'metadata', 'callback_url']),
    );
    expect(Object.keys(schedule.inputSchema.properties)).toEqual(
      expect.arrayContaining(['timezone', 'policy', 'retry', 'webhook_url']),
    );
    expect(schedule.inputSchema.required).toEqual(['schedule_type', 'when', 'payload']);
    const when = schedule.inputSchema.properties.when;
    for (const example of ['in 5 minutes', 'tomorrow at 9am', 'every weekday at 9am', '0 9 * * 1-5']) {
      expect(when.description).toContain(example);
    }
    expect(when.anyOf.map((branch: Json) => branch.type)).toEqual(['string', 'object']);
    expect(schedule.annotations).toMatchObject({ readOnlyHint: false, openWorldHint: true });
    const cancel = tools.find((t: Json) => t.name === 'cancel_task');
    expect(cancel.inputSchema.required).toEqual(['task_id']);
    expect(cancel.annotations).toMatchObject({ destructiveHint: true });
  });

  it('schedules a task that the HTTP API then shows; details, list, preview, pause, resume and cancel work', async () => {
    const scheduled = await call(
      'schedule_task',
      httpTask('/far', 'tomorrow at 9am', { timezone: 'Europe/Berlin', metadata: { from: 'mcp' } }),
    );
    expect(scheduled).toMatchObject({ schedule_type: 'http_request', status: 'active' });
    const taskId: string = scheduled.task_id;
    const dueMs = Date.parse(scheduled.next_execution);
    expect(dueMs - Date.now()).toBeGreaterThan(60_000);

    const overHttp = await api('GET', `/tasks/${taskId}`);
    expect(overHttp.status).toBe(200);
    expect(overHttp.body).toMatchObject({
      id: taskId,
      schedule_type: 'http_request',
      status: 'active',
      metadata: { from: 'mcp' },
      payload: { url: `${receiver.url}/far` },
      next_execution: Math.floor(dueMs / 1000),
    });

    const details = await call('get_task_details', { task_id: taskId });
    expect(details).toEqual({ task: overHttp.body, execution_history: [], history_count: 0 });

    let listed: Json = { tasks: [] };
    for (let i = 0; i < 50 && !listed.tasks.some((t: Json) => t.id === taskId); i++) {
      if (i > 0) await sleep(100);
      listed = await call('list_tasks', { status: 'active', schedule_type: 'http_request' });
    }
    expect(listed.tasks.map((t: Json) => t.id)).toContain(taskId);
    expect(listed.count).toBe(listed.tasks.length);

    expect(await call('preview_schedule', { task_id: taskId })).toEqual({
      task_id: taskId,
      kind: 'once',
      timezone: 'Europe/Berlin',
      next: [new Date(dueMs).toISOString()],
    });

    expect(await call('pause_task', { task_id: taskId })).toMatchObject({ id: taskId, status: 'paused' });
    expect((await api('GET', `/tasks/${taskId}`)).body.status).toBe('paused');
    expect(await call('resume_task', { task_id: taskId })).toMatchObject({ id: taskId, status: 'active' });

    expect(await call('cancel_task', { task_id: taskId })).toMatchObject({ success: true, task_id: taskId });
    expect((await api('GET', `/tasks/${taskId}`)).body.status).toBe('cancelled');
    expect(await call('cancel_task', { task_id: taskId })).toMatchObject({ success: true, task_id: taskId });

    // A cancelled task cannot run: the tool error is the API's 409 word for word.
    const refused = await mcp.callTool('trigger_task', { task_id: taskId });
    const overApi = await api('POST', `/tasks/${taskId}/trigger`);
    expect(overApi.status).toBe(409);
    expect(refused.isError).toBe(true);
    expect(refused.content[0].text).toBe(overApi.body.detail);
    expect(refused._meta['pulse/error']).toMatchObject({ status: 409, code: overApi.body.code });
    expect(receiver.at('/far')).toHaveLength(0);
  });

  it('runs what it scheduled: the receiver is called at the due time and on trigger_task, and the runs show', async () => {
    const soon = await call('schedule_task', httpTask('/soon', 'in 2 seconds'));
    const later = await call('schedule_task', httpTask('/triggered', 'tomorrow at 9am'));
    expect(await call('trigger_task', { task_id: later.task_id })).toEqual({
      status: 'triggered',
      task_id: later.task_id,
    });

    const [triggered] = await receiver.waitFor('/triggered', 1, 15_000);
    expect(triggered!.json).toEqual({ via: 'mcp' });
    const [fired] = await receiver.waitFor('/soon', 1, 15_000);
    expect(fired!.receivedAt).toBeGreaterThanOrEqual(Date.parse(soon.next_execution));

    for (const taskId of [soon.task_id, later.task_id]) {
      const task = await waitForTask(taskId, (t) => t.status === 'completed');
      expect(task).toMatchObject({ id: taskId, status: 'completed', last_run: { status: 'success' } });
      expect(task.runs).toHaveLength(1);
      expect(task.last_run.result).toMatchObject({ status_code: 200 });
      const details = await call('get_task_details', { task_id: taskId });
      expect(details).toMatchObject({ history_count: 1, execution_history: [task.last_run] });
    }
  });

  it('previews a when before anything is scheduled, as GET /preview does', async () => {
    const preview = await call('preview_schedule', {
      when: 'every weekday at 9am',
      timezone: 'Europe/Berlin',
      count: 5,
    });
    expect(preview).toMatchObject({ kind: 'recurring', timezone: 'Europe/Berlin' });
    expect(preview.next).toHaveLength(5);
    const berlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    for (const time of preview.next as string[]) {
      const [weekday, clock] = berlin.format(new Date(time)).split(' ');
      expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(weekday);
      expect(clock).toBe('09:00');
    }
    const overApi = await api(
      'GET',
      `/preview?when=${encodeURIComponent('every weekday at 9am')}&timezone=Europe/Berlin&count=5`,
    );
    expect(overApi.body.next).toEqual(preview.next);

    const cron = await call('preview_schedule', { when: '0 9 * * 1-5', timezone: 'Europe/Berlin', count: 5 });
    expect(cron.next).toEqual(preview.next);
  });

  it('answers bad input with MCP tool errors carrying the HTTP API’s exact messages', async () => {
    const badWhen = httpTask('/bad', 'whenever it suits you');
    const viaMcp = await mcp.callTool('schedule_task', badWhen);
    const viaApi = await api('POST', '/tasks/schedule', badWhen);
    expect(viaApi.status).toBe(400);
    expect(viaMcp.isError).toBe(true);
    expect(viaMcp.content[0].text).toBe(viaApi.body.detail);
    expect(viaMcp.content[0].text).toContain('whenever it suits you');
    expect(viaMcp._meta['pulse/error']).toMatchObject({ status: 400, code: 'INVALID_WHEN' });

    const incomplete = { schedule_type: 'http_request', when: 'in 5 minutes', repeat: { interval: '' } };
    const invalidMcp = await mcp.callTool('schedule_task', incomplete);
    const invalidApi = await api('POST', '/tasks/schedule', incomplete);
    expect(invalidApi.status).toBe(422);
    expect(invalidMcp.isError).toBe(true);
    expect(invalidMcp.content[0].text).toBe(invalidApi.body.detail);
    expect(invalidMcp._meta['pulse/error']).toEqual({ status: 422, ...invalidApi.body });

    const missing = await mcp.callTool('get_task_details', { task_id: 'task_does_not_exist' });
    const missingApi = await api('GET', '/tasks/task_does_not_exist');
    expect(missingApi.status).toBe(404);
    expect(missing.isError).toBe(true);
    expect(missing.content[0].text).toBe(missingApi.body.detail);

    const badZone = await mcp.callTool('preview_schedule', {
      when: 'daily at 9am',
      timezone: 'Mars/Olympus',
    });
    expect(badZone.isError).toBe(true);
    expect(badZone.content[0].text).toContain("'Mars/Olympus' is not an IANA time zone");

    const unknown = await mcp.callTool('schedule_everything', {});
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0].text).toContain("No tool named 'schedule_everything'");
    expect(receiver.at('/bad')).toHaveLength(0);
  });
});
