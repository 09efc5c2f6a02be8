/**
 * A target for runs that call out (`http_request` tasks, the baseline's GET): a real HTTP server on 127.0.0.1 that
 * answers 200 and records when each call arrived, by the path it called (without the leading slash).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { preciseNow } from './receiver.js';

export interface CallTarget {
  readonly url: string;
  /** Path → arrival times (epoch ms), in the order they came. */
  readonly calls: ReadonlyMap<string, number[]>;
  close(): Promise<void>;
}

export async function startCallTarget(): Promise<CallTarget> {
  const calls = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    const at = preciseNow();
    const key = (req.url ?? '/').slice(1);
    calls.set(key, [...(calls.get(key) ?? []), at]);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
