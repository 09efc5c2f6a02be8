/**
 * `GET /occurrences` for a month of 10,000 tasks (9,700 one-time, 300 recurring) on the dev server: prints the
 * answer's time cold (a fresh Pulse: every task read, schedules described, matching times asked) and warm (only
 * changes read), every 4 s for the minute after the tasks were created. Then the dashboard's month view of those
 * occurrences in headless Chromium, opened three times (the first also bundles the dashboard): from the navigation
 * to the first frame painted with its events, and the part after the dashboard had read the answer.
 * No worker runs, so the tasks stay as scheduled. `npx tsx bench/occurrences.ts [tasks] [recurring]`.
 */
import { createApp } from '../src/api/app.js';
import { loadConfig } from '../src/config.js';
import { createExecutorFactory } from '../src/executors/executor-factory.js';
import { createApiServices } from '../src/main/services.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { launchBrowser, openPage } from '../test/helpers/browser.js';
import { LOOPBACK_ALLOWED } from '../test/helpers/pulse.js';
import { createDevServerEnv } from '../test/helpers/temporal.js';

const total = Number(process.argv[2] ?? 10_000);
const recurringCount = Number(process.argv[3] ?? 300);
const DAY = 86_400_000;

async function inBatches<T>(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

async function main(): Promise<void> {
  const env = await createDevServerEnv();
  try {
    const config = {
      ...loadConfig({ PULSE_RATE_LIMIT: '0', PULSE_LOG_LEVEL: 'warn' }),
      taskQueue: 'bench-ledger',
    };
    const servicesInputs = {
      client: env.client,
      executors: createExecutorFactory({}),
      guard: LOOPBACK_ALLOWED,
      logger: createLogger(config),
      metrics: createMetrics({}),
    };
    const deps = createApiServices({ ...servicesInputs, config });
    const app = createApp(deps);
    const now = Date.now();
    const started = performance.now();
    const times = ['daily at 9am', 'every weekday at 6pm', 'every monday at 8am', 'every 6 hours'];
    await inBatches(total, 32, async (i) => {
      const recurring = i < recurringCount;
      const when = recurring
        ? times[i % times.length]!
        : new Date(now + DAY + Math.floor((((i * 7919) % 1000) / 1000) * 28 * DAY)).toISOString();
      await deps.tasks.schedule({
        schedule_type: 'http_request',
        when,
        payload: { url: 'http://127.0.0.1:9/bench', method: 'POST' },
        metadata: { name: `bench ${i}` },
      } as Parameters<typeof deps.tasks.schedule>[0]);
    });
    console.log(
      `created ${total} tasks (${recurringCount} recurring) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    // Visibility is eventually consistent: wait until every one-time task is listed.
    const from = new Date(now).toISOString();
    const to = new Date(now + 31 * DAY).toISOString();
    const path = `/occurrences?from=${from}&to=${to}&timezone=Europe/Berlin`;
    for (let i = 0; i < 60; i++) {
      const body = (await (await app.request(path)).json()) as { occurrences: { kind: string }[] };
      if (body.occurrences.filter((o) => o.kind === 'once').length >= total - recurringCount) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const createdAt = performance.now();
    const timed = async (request: (path: string) => Response | Promise<Response>) => {
      const t0 = performance.now();
      const body = (await (await request(path)).json()) as { count: number };
      return { ms: performance.now() - t0, count: body.count };
    };
    // Cold: a Pulse that has read nothing yet (its executions index makes its first, full read).
    const cold = await timed((p) => createApp(createApiServices({ ...servicesInputs, config })).request(p));
    console.log(`cold (index built by this request): ${cold.ms.toFixed(0)} ms, ${cold.count} occurrences`);
    // Warm: the index reads only changes (everything written in the last 30 s, the margin for visibility's lag,
    // so the first calls after the burst of creations still reread part of it).
    const steady: number[] = [];
    for (let i = 0; i < 12; i++) {
      const { ms, count } = await timed((p) => app.request(p));
      const since = (performance.now() - createdAt) / 1000;
      console.log(
        `  ${since.toFixed(0).padStart(3)} s after the last creation: ${ms.toFixed(0)} ms, ${count} occurrences`,
      );
      if (since > 35) steady.push(ms);
      await new Promise((resolve) => setTimeout(resolve, 4000));
    }
    const sorted = [...steady].sort((a, b) => a - b);
    console.log(
      `GET /occurrences (a month, ${total} tasks): cold ${cold.ms.toFixed(0)} ms; warm median ` +
        `${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms`,
    );
    await monthView(app.fetch);
  } finally {
    await env.teardown();
  }
}

await main();

/** Times the dashboard's month view in headless Chromium, three times (each click refetches the month). */
async function monthView(fetch: (request: Request) => Response | Promise<Response>): Promise<void> {
  const server = serve({ fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchBrowser();
  try {
    const { page, problems } = await openPage(browser);
    for (let i = 0; i < 3; i++) {
      // The month view opened directly (`?view=month`): from the navigation to the first frame with its events.
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/occurrences', {
        timeout: 60_000,
      });
      await page.goto(`${base}/dashboard?timezone=Europe/Berlin&view=month`);
      const response = await answered;
      const { responseStart, startTime } = response.request().timing();
      // (A function, not a string: the dashboard's CSP forbids the eval a polled string needs.)
      await page.waitForFunction(
        () => performance.getEntriesByName('pulse:occurrences-received').length > 0,
        undefined,
        {
          polling: 'raf',
          timeout: 60_000,
        },
      );
      // Page-side code as a string: this file is compiled for Node, without the DOM's types.
      const timing = (await page.evaluate(`new Promise((resolve) => requestAnimationFrame(() => {
        const answer = performance.getEntriesByName('pulse:occurrences-received').pop();
        resolve({
          painted: performance.now(),
          answered: answer ? answer.startTime : NaN,
          origin: performance.timeOrigin,
          events: document.querySelectorAll('.fc-daygrid-event').length,
          more: document.querySelectorAll('.fc-daygrid-more-link').length,
        });
      }))`)) as { painted: number; answered: number; origin: number; events: number; more: number };
      await page.waitForTimeout(1000);
      const later = (await page.evaluate("document.querySelectorAll('.fc-daygrid-event').length")) as number;
      if (later !== timing.events)
        console.log(`  (the frame measured had ${timing.events} events; a second later ${later})`);
      const requestedAt = startTime - timing.origin;
      console.log(
        `month view in Chromium: painted ${timing.painted.toFixed(0)} ms after the navigation began; ` +
          `its /occurrences request was sent at ${requestedAt.toFixed(0)} ms and answered in ${responseStart.toFixed(0)} ms, ` +
          `and the view was painted ${(timing.painted - timing.answered).toFixed(0)} ms after the answer was read; ` +
          `${timing.events} events drawn, ${timing.more} "+more" links`,
      );
    }
    if (problems.length > 0) console.log(`page problems: ${problems.join('; ')}`);
  } finally {
    await browser.close();
    server.close();
  }
}
