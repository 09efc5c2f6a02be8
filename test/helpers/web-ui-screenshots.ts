/**
 * Screenshots of the Temporal Web UI as a Pulse user sees it: the workflow list and one task's page, in headless
 * Chromium (Debian's `chromium`, driven by playwright-core). Schedules a few tasks through the API first, so the
 * pages show what a list of real tasks looks like.
 *
 *   npx tsx test/helpers/web-ui-screenshots.ts <api-url> <web-ui-url> <out-dir> [prefix]
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [apiUrl, uiUrl, outDir, prefix = 'web-ui'] = process.argv.slice(2);
if (!apiUrl || !uiUrl || !outDir) {
  console.error('usage: web-ui-screenshots.ts <api-url> <web-ui-url> <out-dir> [prefix]');
  process.exit(2);
}

async function schedule(body: unknown): Promise<string> {
  const response = await fetch(`${apiUrl}/tasks/schedule`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { task_id?: string };
  if (!response.ok || !json.task_id) throw new Error(`schedule failed: ${JSON.stringify(json)}`);
  return json.task_id;
}

const report = await schedule({
  schedule_type: 'http_request',
  when: 'tomorrow at 9am',
  timezone: 'Europe/Berlin',
  payload: { url: 'https://example.com/reports/daily', method: 'POST', body: { team: 'growth' } },
  callback_url: 'https://example.com/hooks/pulse',
});
await schedule({
  schedule_type: 'run_agent',
  when: 'in 2 hours',
  payload: { agent_id: 'hello', entrypoint_tag: 'greet', params: { name: 'Ada' }, executor_type: 'local' },
});
await schedule({
  schedule_type: 'http_request',
  when: 'every weekday at 8:30am',
  timezone: 'America/New_York',
  payload: { url: 'https://example.com/standup', method: 'GET' },
  policy: { overlap: 'skip' },
});
await schedule({
  schedule_type: 'crawl',
  when: 'in 10 minutes',
  payload: { site: 'https://example.org' },
});

mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  // Wide enough for the list's Summary column, which the Web UI shows after Run ID and Type.
  const page = await browser.newPage({ viewport: { width: 2200, height: 800 } });
  await page.goto(`${uiUrl}/namespaces/default/workflows`, { waitUntil: 'load' });
  await page.getByText(report).first().waitFor({ timeout: 30_000 });
  // The list shows what a task is and when it is due through Pulse's search attributes, added as columns the way
  // docs/observability.md tells a user to (Configure Columns); the browser keeps the choice.
  await page.getByRole('button', { name: 'Configure Columns' }).click();
  for (const column of ['PulseScheduleType', 'PulseAgentId', 'PulseDueAt', 'PulseStatus', 'PulseExecutor']) {
    await page.getByRole('button', { name: `Add ${column} column` }).click();
  }
  for (const column of ['Run ID', 'Type', 'End']) {
    const remove = page.getByRole('button', { name: `Remove ${column} column` });
    if (await remove.count()) await remove.first().click();
  }
  await page.reload({ waitUntil: 'load' });
  await page.getByText(report).first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(outDir, `${prefix}-list.png`) });
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto(`${uiUrl}/namespaces/default/workflows/${report}`, { waitUntil: 'load' });
  await page.getByText('Workflow Type').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
  // The task's summary and details are on the "User Metadata" tab (Temporal Web UI 2.x).
  const metadataTab = page.getByText('User Metadata', { exact: true });
  if (await metadataTab.count()) await metadataTab.first().click();
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(outDir, `${prefix}-task.png`) });
  await page.goto(`${uiUrl}/namespaces/default/schedules`, { waitUntil: 'load' });
  await page.waitForTimeout(4000);
  await page.screenshot({ path: path.join(outDir, `${prefix}-schedules.png`) });
} finally {
  await browser.close();
}
console.log(`screenshots in ${outDir}`);
