/**
 * The call target (`bench/lib/call-target.ts`) in a process of its own, so that when a call arrived is not held up
 * by the worker's event loop (`bench/tenant-fairness.ts`). `GET /__calls` answers every arrival so far, by path.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runChild } from '../lib/child-process.js';
import { preciseNow } from '../lib/receiver.js';

runChild<Record<string, never>>(async () => {
  const calls = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    const at = preciseNow();
    req.resume();
    if (req.url === '/__calls') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(Object.fromEntries(calls)));
      return;
    }
    const key = (req.url ?? '/').slice(1);
    const times = calls.get(key);
    if (times) times.push(at);
    else calls.set(key, [at]);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    info: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
