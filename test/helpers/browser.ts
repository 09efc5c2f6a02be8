/**
 * Headless Chromium for the browser tests: Debian's `chromium` (installed by the test set-up when missing), driven
 * by playwright-core. `openPage` records the page's errors and CSP refusals, so a test can assert there were none.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  try {
    execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit' });
  } catch {
    // A fresh machine's package lists may be missing or stale (the package's version no longer on the mirror).
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit' });
  }
}

export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

export interface OpenedPage {
  readonly page: Page;
  /** Uncaught errors, console errors (CSP refusals among them) and failed requests, as they happened. */
  readonly problems: string[];
}

/** A fresh browser context (its own sessionStorage) with one page. */
export async function openPage(browser: Browser, width = 1400, height = 900): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return { page, problems };
}
