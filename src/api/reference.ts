/**
 * The pages a person opens in a browser: `GET /`, a landing page with the links that matter, and
 * `GET /reference`, the API reference rendered from `/openapi.json` by Scalar (`@scalar/hono-api-reference`). Its
 * script is served from the installed `@scalar/api-reference` package, so nothing is fetched from a CDN.
 */
import { Scalar } from '@scalar/hono-api-reference';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const REFERENCE_SCRIPT = '/reference/standalone.js';
/** Open without a key, like the landing page: an icon, no data. */
export const FAVICON_PATH = '/favicon.ico';

let script: Promise<string> | undefined;

/** The UMD bundle of the installed `@scalar/api-reference`, read on first use. */
function scalarBundle(): Promise<string> {
  script ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@scalar/api-reference');
    return readFile(path.join(path.dirname(entry), 'browser', 'standalone.js'), 'utf8');
  })();
  return script;
}

export interface LandingLinks {
  /** Base URL of the Temporal Web UI (`PULSE_UI_URL`), linked from the landing page. */
  readonly temporalUiUrl?: string;
  readonly namespace?: string;
}

function landingPage(links: LandingLinks): string {
  const ui = links.temporalUiUrl
    ? `<li><a href="${links.temporalUiUrl}/namespaces/${encodeURIComponent(links.namespace ?? 'default')}/workflows">Temporal Web UI</a>: every task as a workflow or schedule</li>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pulse</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}
code{background:#f2f2f2;padding:0 .25rem;border-radius:3px}a{color:#0b57d0}</style></head>
<body><h1>Pulse</h1>
<p>A durable scheduler for AI-agent runs on Temporal. Schedule with <code>POST /tasks/schedule</code>.</p>
<p><a href="/dashboard"><strong>Open the dashboard →</strong></a> a calendar of every task's runs, and why some did not run</p>
<ul>
<li><a href="/reference">API reference</a>: every route, its fields and errors</li>
<li><a href="/openapi.json">/openapi.json</a>: the OpenAPI 3.1 document</li>
<li><a href="/health">/health</a>: API, Temporal and worker</li>
${ui}
</ul></body></html>
`;
}

/** The tab icon browsers ask every page's origin for: a pulse line, so the request is not a 404 in the console. */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b57d0"/><path d="M3 17h7l3-8 5 15 3-7h8" fill="none" stroke="#fff" stroke-width="3" stroke-linejoin="round" stroke-linecap="round"/></svg>`;

/** Registers `GET /`, `GET /favicon.ico`, `GET /reference` and the reference's script. */
export function registerBrowserPages<E extends Env>(app: OpenAPIHono<E>, links: LandingLinks): void {
  app.get('/', (c) => c.html(landingPage(links)));
  app.get(FAVICON_PATH, (c) => {
    c.header('content-type', 'image/svg+xml');
    c.header('cache-control', 'public, max-age=86400');
    return c.body(FAVICON);
  });
  app.get(
    '/reference',
    Scalar({
      url: '/openapi.json',
      cdn: REFERENCE_SCRIPT,
      pageTitle: 'Pulse API reference',
      // The default fonts come from fonts.scalar.com; a local service loads nothing from elsewhere.
      withDefaultFonts: false,
      hideClientButton: true,
    }),
  );
  app.get(REFERENCE_SCRIPT, async (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'public, max-age=86400');
    return c.body(await scalarBundle());
  });
}
