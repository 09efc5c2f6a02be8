/**
 * The dashboard in a real browser (headless Chromium through playwright-core) against a whole Pulse on the dev
 * server: scheduling from the form and seeing it on the week view, a failed run in red with its error in the drawer,
 * pausing from the drawer, a skipped occurrence with its reason, and auth (no data without the key). The last test
 * takes the screenshots in docs/images/.
 */
import type { Browser, Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/project-root.js';
import { launchBrowser, openPage } from './helpers/browser.js';
import { startPulse } from './helpers/pulse.js';
import { useStack } from './helpers/stack.js';
import { until } from './helpers/wait.js';

const { env, pulse, receiver } = useStack();
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function schedule(body: Record<string, unknown>): Promise<string> {
  const response = await pulse.call('POST', '/tasks/schedule', { schedule_type: 'http_request', ...body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.task_id as string;
}

async function statusesOf(taskId: string): Promise<string[]> {
  const now = Date.now();
  const query = new URLSearchParams({
    from: new Date(now - 3_600_000).toISOString(),
    to: new Date(now + 3_600_000).toISOString(),
  });
  const response = await pulse.call('GET', `/tasks/${taskId}/occurrences?${query}`);
  return ((response.body.occurrences as { status: string }[] | undefined) ?? []).map((o) => o.status);
}

async function statusOf(taskId: string): Promise<string | undefined> {
  return (await statusesOf(taskId))[0];
}

async function openDashboard(base = pulse.baseUrl, timeZone = 'UTC') {
  const opened = await openPage(browser);
  const response = await opened.page.goto(`${base}/dashboard?timezone=${encodeURIComponent(timeZone)}`);
  expect(response?.status()).toBe(200);
  await opened.page.waitForSelector('body[data-ready="true"] .fc-view');
  return opened;
}

const event = (page: Page, taskId: string, status?: string) =>
  page.locator(`.fc-event[data-task-id="${taskId}"]${status ? `[data-status="${status}"]` : ''}`).first();

describe('the dashboard', () => {
  it('is served with a strict CSP, its assets from Pulse itself, and linked from the landing page', async () => {
    const page = await fetch(`${pulse.baseUrl}/dashboard`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/);
    const js = await fetch(`${pulse.baseUrl}/dashboard/app.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.text()).length).toBeGreaterThan(100_000);
    expect(await (await fetch(`${pulse.baseUrl}/`)).text()).toContain('href="/dashboard"');
  });

  it('the API reference page renders every operation from /openapi.json, with no page error', async () => {
    const { page, problems } = await openPage(browser);
    const response = await page.goto(`${pulse.baseUrl}/reference`);
    expect(response?.status()).toBe(200);
    // Scalar draws each operation's summary as a heading; the schedule route's summary is in /openapi.json.
    const spec = (await fetch(`${pulse.baseUrl}/openapi.json`).then((r) => r.json())) as {
      paths: Record<string, Record<string, { summary?: string }>>;
    };
    const summary = spec.paths['/tasks/schedule']!.post!.summary!;
    await page.getByText(summary, { exact: true }).first().waitFor({ timeout: 30_000 });
    // Nothing failed to load: Scalar's script comes from Pulse, its fonts are off, the tab icon is served.
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('schedules a task from the form, previewing its when live, and shows it in the week view', async () => {
    const { page, problems } = await openDashboard();
    await page.click('#new-task');
    const bad = await pulse.call('GET', `/preview?${new URLSearchParams({ when: 'every blursday' })}`);
    expect(bad.status).toBe(400);
    await page.fill('#task-when', 'every blursday');
    await page.waitForSelector(`#task-preview.error:has-text(${JSON.stringify(bad.body.detail)})`);

    await page.fill('#task-when', 'in 2 hours');
    await page.waitForSelector('#task-preview.ok li');
    expect(await page.locator('#task-preview li').count()).toBe(1);
    await page.fill('#task-name', 'made in the dashboard');
    await page.fill('#task-payload', JSON.stringify({ url: `${receiver.url}/ok` }));
    await page.click('#task-form button[type="submit"]');

    const notice = await page.waitForSelector('#notice:has-text("Scheduled")');
    const taskId = (await notice.textContent())!.match(/Scheduled (\S+)\./)![1]!;
    const task = await pulse.call('GET', `/tasks/${taskId}`);
    expect(task.status).toBe(200);
    expect(task.body.metadata).toMatchObject({ name: 'made in the dashboard' });
    await page.click('.fc-timeGridWeek-button');
    await event(page, taskId, 'upcoming').waitFor();
    expect(await event(page, taskId).textContent()).toContain('made in the dashboard');
    // The one error is the preview's 400 for the when the API could not read.
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
  });

  it('shows a failed run in red, with its error in the drawer', async () => {
    receiver.respond('/broken', 500, { error: 'agent crashed' });
    const taskId = await schedule({
      when: 'in 1 second',
      payload: { url: `${receiver.url}/broken` },
      retry: { max_attempts: 1 },
      metadata: { name: 'broken agent' },
    });
    await until('the run failed', async () => ((await statusOf(taskId)) === 'failed' ? true : undefined));

    const { page, problems } = await openDashboard();
    const failed = event(page, taskId, 'failed');
    await failed.waitFor();
    // Polled: the calendar may still be laying the event out when it first appears.
    await expect
      .poll(() => failed.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor))
      .toBe('rgb(217, 48, 37)');
    await failed.click();
    const error = page.locator('#drawer .run-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/500/);
    expect(await page.locator('#drawer .reason').textContent()).toMatch(/^ran and failed: /);
    expect(await page.locator('#drawer a.ui-link').getAttribute('href')).toContain(taskId);
    expect(problems).toEqual([]);
  });

  it('pauses a task from the drawer, and the API says it is paused', async () => {
    const taskId = await schedule({
      when: 'every 1 hour',
      payload: { url: `${receiver.url}/ok` },
      metadata: { name: 'hourly report' },
    });
    const { page, problems } = await openDashboard();
    await event(page, taskId, 'upcoming').click();
    await page.click('#drawer [data-action="pause"]');
    await page.waitForSelector('#drawer [data-task-status="paused"]');
    expect((await pulse.call('GET', `/tasks/${taskId}`)).body.status).toBe('paused');
    await page.waitForSelector('#drawer [data-action="resume"]');
    expect(problems).toEqual([]);
  });

  it('in the day view of another time zone, reschedules, triggers and cancels a task from the drawer', async () => {
    // A zone whose day has at least two hours left, so the task's next hourly run is on today's page.
    const hourIn = (zone: string) =>
      Number(
        new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: 'numeric', hourCycle: 'h23' }).format(),
      );
    const zone = ['Asia/Kolkata', 'America/New_York', 'Pacific/Auckland'].find((z) => hourIn(z) < 21)!;
    const taskId = await schedule({
      when: 'every 1 hour',
      payload: { url: `${receiver.url}/day-ok` },
      metadata: { name: 'day view task' },
    });
    const { page, problems } = await openDashboard(pulse.baseUrl, zone);
    await page.click('.fc-timeGridDay-button');
    await page.waitForSelector('.fc-timeGridDay-view');
    await event(page, taskId, 'upcoming').click();
    await page.waitForSelector('#drawer [data-action="reschedule"]');

    await page.fill('#drawer [data-field="reschedule-when"]', 'every 2 hours');
    await page.click('#drawer [data-action="reschedule"]');
    await until('the new recurrence', async () => {
      const next = (await pulse.call('GET', `/tasks/${taskId}/preview?count=2`)).body.next as string[];
      return next.length === 2 && Date.parse(next[1]!) - Date.parse(next[0]!) === 7_200_000
        ? next
        : undefined;
    });

    await page.click('#drawer [data-action="trigger"]');
    await receiver.waitFor('/day-ok', 1, 15_000);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#drawer [data-action="cancel"]');
    await until('the task cancelled', async () =>
      (await pulse.call('GET', `/tasks/${taskId}`)).body.status === 'cancelled' ? true : undefined,
    );
    expect(problems).toEqual([]);
  });

  it('the schedule-type filter shows only the tasks of that type', async () => {
    const call = await schedule({ when: 'in 5 minutes', payload: { url: `${receiver.url}/ok` } });
    const crawl = await schedule({
      schedule_type: 'crawl',
      when: 'in 6 minutes',
      payload: { site: 'a.example' },
    });
    const { page, problems } = await openDashboard();
    await page.click('.fc-timeGridWeek-button');
    await event(page, call).waitFor();
    await event(page, crawl).waitFor();
    await page.fill('#filter-schedule-type', 'crawl');
    await page.dispatchEvent('#filter-schedule-type', 'change');
    await event(page, call).waitFor({ state: 'detached' });
    await event(page, crawl).waitFor();
    expect(problems).toEqual([]);
  });

  it('with auth on, shows no data without the key, and the data once the key is given', async () => {
    const key = 'dashboard-test-key';
    const secured = await startPulse(env, { apiKeys: [key] });
    try {
      const created = await secured.call(
        'POST',
        '/tasks/schedule',
        { schedule_type: 'http_request', when: 'in 1 hour', payload: { url: `${receiver.url}/ok` } },
        { authorization: `Bearer ${key}` },
      );
      expect(created.status).toBe(200);
      const taskId = created.body.task_id as string;
      expect((await secured.call('GET', '/occurrences')).status).toBe(401);

      const { page, problems } = await openDashboard(secured.baseUrl);
      await page.waitForSelector('#key-dialog[open]');
      expect(await page.locator('.fc-event').count()).toBe(0);
      expect(await page.textContent('#notice')).toContain('API key');

      await page.fill('#key-input', key);
      await page.click('#key-form button[type="submit"]');
      await event(page, taskId).waitFor();
      expect(await page.evaluate("sessionStorage.getItem('pulse.apiKey')")).toBe(key);
      expect(page.url()).not.toContain(key);
      // The only errors are the 401s the page got before it had the key.
      expect(problems.filter((p) => !/401/.test(p))).toEqual([]);
    } finally {
      await secured.stop();
    }
  });

  it('takes screenshots of the month, week, agenda and day views and of the drawer', async () => {
    receiver.respond('/ok', 200, { done: true });
    const succeeded = await schedule({
      when: 'in 1 second',
      payload: { url: `${receiver.url}/ok` },
      metadata: { name: 'nightly summary' },
    });
    await schedule({
      when: 'every day at 9am',
      timezone: 'UTC',
      payload: { url: `${receiver.url}/ok` },
      metadata: { name: 'daily digest' },
    });
    await schedule({
      when: 'tomorrow at 3pm',
      timezone: 'UTC',
      payload: { url: `${receiver.url}/ok` },
      metadata: { name: 'follow-up call' },
    });
    await until('the run succeeded', async () =>
      (await statusOf(succeeded)) === 'succeeded' ? true : undefined,
    );

    const out = path.join(PROJECT_ROOT, 'docs', 'images');
    mkdirSync(out, { recursive: true });
    const { page, problems } = await openDashboard();
    await page.click('.fc-dayGridMonth-button');
    await page.waitForSelector('.fc-dayGridMonth-view .fc-event');
    await page.screenshot({ path: path.join(out, 'dashboard-month.png'), fullPage: true });
    await page.click('.fc-timeGridWeek-button');
    await page.waitForSelector('.fc-timeGridWeek-view .fc-event');
    await page.screenshot({ path: path.join(out, 'dashboard-week.png') });
    await page.click('.fc-listWeek-button');
    await page.waitForSelector('.fc-listWeek-view .fc-event');
    await page.screenshot({ path: path.join(out, 'dashboard-agenda.png') });
    await page.click('.fc-timeGridDay-button');
    await page.waitForSelector('.fc-timeGridDay-view');
    await page.screenshot({ path: path.join(out, 'dashboard-day.png'), fullPage: true });
    await page.click('.fc-timeGridWeek-button');
    // The click goes to this event itself: in the week grid another task's event at the same time may lie on top
    // of it (as it did in one CI run), and a pointer click would open that one.
    await event(page, succeeded, 'succeeded').dispatchEvent('click');
    await page.waitForSelector('#drawer table.occurrences');
    await page.screenshot({ path: path.join(out, 'dashboard-drawer.png') });
    expect(problems).toEqual([]);
  });

  it('shows an occurrence skipped behind a slow run (overlap skip), with its reason', async () => {
    receiver.respond('/slow', 200, { ok: true }, 5000);
    const taskId = await schedule({
      when: 'every 2 seconds',
      payload: { url: `${receiver.url}/slow`, timeout: 30 },
      policy: { overlap: 'skip' },
      metadata: { name: 'slow crawler' },
    });
    try {
      await until('a time skipped behind the slow run', async () =>
        (await statusesOf(taskId)).includes('skipped') ? true : undefined,
      );
      const { page, problems } = await openDashboard();
      await page.click('.fc-listWeek-button');
      await page.selectOption('#filter-status', 'skipped');
      const skipped = event(page, taskId, 'skipped');
      await skipped.waitFor();
      await expect.poll(() => page.locator('.fc-event:not([data-status="skipped"])').count()).toBe(0);
      await skipped.click();
      const reason = await page.locator('#drawer .reason').textContent();
      expect(reason).toMatch(
        /^skipped: the run for \S+ \(workflow .+\) was still running, and the overlap policy is skip$/,
      );
      expect(problems).toEqual([]);
    } finally {
      await pulse.call('DELETE', `/tasks/${taskId}`);
    }
  });
});
