/**
 * The doc test's runner itself: a printed curl that gets an HTTP error fails its example (curl -s exits 0 on a 422,
 * the very way the README's examples once failed unnoticed), unless the example shows that answer on purpose.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBlocks, type ShellBlock } from './helpers/doc-examples.js';

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const status = req.url === '/bad' ? 422 : 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { ok: true } : { error: 'body: required' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function block(code: string): ShellBlock {
  const expects = [...code.matchAll(/^# → (.+)$/gm)].map((m) => m[1]!.trim());
  return { file: 'example.md', line: 1, code, run: true, expects };
}

async function problemsOf(code: string) {
  const [outcome] = await runBlocks([block(code)], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH },
    rewrite: (text) => text.replaceAll('BASE', base),
  });
  return outcome!;
}

describe('the doc examples runner', () => {
  it('fails an example whose curl gets an HTTP error, naming the status and the answer', async () => {
    const outcome = await problemsOf('curl -s BASE/bad');
    expect(outcome.problems).toEqual(['an HTTP 422 answer: {"error":"body: required"}']);
  });

  it('passes an example that shows the error on purpose, and one that succeeds; output keeps no marks', async () => {
    const shown = await problemsOf('curl -s BASE/bad\n# → body: required');
    expect(shown.problems).toEqual([]);
    const fine = await problemsOf('curl -s BASE/good\n# → "ok":true');
    expect(fine.problems).toEqual([]);
    expect(fine.output).toBe('{"ok":true}');
  });

  it('leaves the status to an example that asks for it with its own -w', async () => {
    const outcome = await problemsOf("curl -s -o /dev/null -w '%{http_code}\\n' BASE/bad\n# → 422");
    expect(outcome.problems).toEqual([]);
    expect(outcome.output.trim()).toBe('422');
  });
});
