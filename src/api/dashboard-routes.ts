/**
 * The Pulse dashboard (`GET /dashboard`): a calendar of the occurrence ledger, built with FullCalendar from
 * `dashboard/`. The bundle is made by esbuild in memory on the first request and kept for the life of the process,
 * so `npm install` and `npm start` need no build step and nothing is fetched from a CDN.
 *
 * The page and its assets are public (they hold no data); every call they make goes to the API with the key the
 * user typed, as `Authorization: Bearer`. The page runs under a strict Content-Security-Policy: scripts only from
 * this origin, no inline script; FullCalendar injects its own stylesheet, which is allowed by a per-response nonce.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../project-root.js';

const SOURCE_DIR = path.join(PROJECT_ROOT, 'dashboard');

interface DashboardBundle {
  readonly js: string;
  readonly css: string;
}

let bundle: Promise<DashboardBundle> | undefined;

/** The dashboard's script and stylesheet, bundled on first use. */
function dashboardBundle(): Promise<DashboardBundle> {
  bundle ??= (async () => {
    // Imported here, not at the top: esbuild is needed only when someone opens the dashboard.
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [path.join(SOURCE_DIR, 'main.ts'), path.join(SOURCE_DIR, 'dashboard.css')],
      bundle: true,
      write: false,
      minify: true,
      format: 'esm',
      target: 'es2022',
      outdir: 'out',
      logLevel: 'silent',
    });
    const text = (ext: string) => result.outputFiles.find((file) => file.path.endsWith(ext))?.text ?? '';
    return { js: text('.js'), css: text('.css') };
  })();
  // A failed build is reported once and retried on the next request rather than cached.
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    // FullCalendar's arrow icons are a font inlined as a data: URL.
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Registers `GET /dashboard` and its two assets. */
export function registerDashboardRoutes<E extends Env>(app: OpenAPIHono<E>): void {
  let page: Promise<string> | undefined;
  app.get('/dashboard', async (c) => {
    page ??= readFile(path.join(SOURCE_DIR, 'index.html'), 'utf8');
    const nonce = randomBytes(16).toString('base64');
    c.header('content-security-policy', contentSecurityPolicy(nonce));
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('cache-control', 'no-store');
    return c.html((await page).replaceAll('{{nonce}}', nonce));
  });
  app.get('/dashboard/app.js', async (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'no-cache');
    return c.body((await dashboardBundle()).js);
  });
  app.get('/dashboard/app.css', async (c) => {
    c.header('content-type', 'text/css; charset=utf-8');
    c.header('cache-control', 'no-cache');
    return c.body((await dashboardBundle()).css);
  });
}
