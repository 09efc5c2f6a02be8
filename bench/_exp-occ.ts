import { createApp } from '../src/api/app.js';
import { loadConfig } from '../src/config.js';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { createApiServices } from '../src/main/services.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { LOOPBACK_ALLOWED } from '../test/helpers/pulse.js';
import { createDevServerEnv } from '../test/helpers/temporal.js';
const DAY = 86_400_000;
const env = await createDevServerEnv();
const config = { ...loadConfig({ PULSE_RATE_LIMIT: '0', PULSE_LOG_LEVEL: 'warn' }), taskQueue: 'bench-ledger' };
const deps = createApiServices({ config, client: env.client, executors: createExecutorFactory({}), guard: LOOPBACK_ALLOWED, logger: createLogger(config), metrics: createMetrics({}) });
const app = createApp(deps);
const now = Date.now();
let next = 0;
await Promise.all(Array.from({ length: 32 }, async () => { while (next < 10000) { const i = next++;
  const recurring = i < 300;
  const times = ['daily at 9am', 'every weekday at 6pm', 'every monday at 8am', 'every 6 hours'];
  await deps.tasks.schedule({ schedule_type: 'http_request', when: recurring ? times[i % 4]! : new Date(now + DAY + Math.floor((((i * 7919) % 1000) / 1000) * 28 * DAY)).toISOString(), payload: { url: 'http://127.0.0.1:9/bench', method: 'POST' }, metadata: { name: `bench ${i}` } } as any); } }));
console.log('created');
await new Promise((r) => setTimeout(r, 5000));
async function t(label: string, fn: () => Promise<unknown>) { const t0 = performance.now(); const r = await fn(); console.log(label, (performance.now() - t0).toFixed(0), 'ms', typeof r === 'number' ? r : ''); }
const listAll = async (query: string, pageSize = 1000) => { let n = 0; for await (const _ of env.client.workflow.list({ query, pageSize })) n++; return n; };
const raw = async (query: string, pageSize = 1000) => { let n = 0; let token: Uint8Array | undefined; do { const r = await env.client.workflowService.listWorkflowExecutions({ namespace: 'default', query, pageSize, nextPageToken: token }); n += r.executions.length; token = r.nextPageToken?.length ? r.nextPageToken : undefined; } while (token); return n; };
for (let k = 0; k < 2; k++) {
  await t('list TaskQueue (sdk)', () => listAll(`TaskQueue = 'bench-ledger'`));
  await t('list TaskQueue (raw)', () => raw(`TaskQueue = 'bench-ledger'`));
  await t('list TaskQueue raw ps=5000', () => raw(`TaskQueue = 'bench-ledger'`, 5000));
  await t('list PulseDueAt (raw)', () => raw(`TaskQueue = 'bench-ledger' AND PulseDueAt >= '2026-01-01T00:00:00Z'`));
  await t('count', async () => (await env.client.workflow.count(`TaskQueue = 'bench-ledger'`)).count);
  await t('schedules list', async () => { let n = 0; for await (const _ of env.client.schedule.list({ pageSize: 1000 })) n++; return n; });
  const ids: string[] = []; for await (const s of env.client.schedule.list({ pageSize: 1000 })) ids.push(s.scheduleId);
  await t('300 describes (16 par)', async () => { let i = 0; await Promise.all(Array.from({ length: 16 }, async () => { while (i < ids.length) await env.client.schedule.getHandle(ids[i++]!).describe(); })); });
  await t('ledger', async () => (await (await app.request(`/occurrences?from=${new Date(now).toISOString()}&to=${new Date(now + 31 * DAY).toISOString()}`)).json() as any).count);
}
await env.teardown();
