/**
 * The far side of every task, as a real HTTP server on 127.0.0.1: `POST /callback` records when each task's
 * callback arrived, `GET /target` is what an `http_request` task calls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with a task's due time. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

export interface CallbackReceiver {
  readonly callbackUrl: string;
  readonly targetUrl: string;
  /** Task id → when its first callback arrived (epoch ms). */
  readonly arrivals: ReadonlyMap<string, number>;
  /** Callbacks for a task that had already called back (at-least-once delivery). */
  readonly duplicates: number;
  /** Resolves once every id has called back, or at the deadline; returns the ids still missing. */
  waitFor(ids: readonly string[], timeoutMs: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<CallbackReceiver> {
  const arrivals = new Map<string, number>();
  let duplicates = 0;
  const server = http.createServer((req, res) => {
    const arrivedAt = preciseNow();
    if (req.method === 'GET' && req.url === '/target') {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { task_id?: unknown };
        if (typeof body.task_id === 'string') {
          if (arrivals.has(body.task_id)) duplicates++;
          else arrivals.set(body.task_id, arrivedAt);
        }
        res.writeHead(200).end('ok');
      } catch {
        res.writeHead(400).end('not json');
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    callbackUrl: `${base}/callback`,
    targetUrl: `${base}/target`,
    arrivals,
    get duplicates() {
      return duplicates;
    },
    async waitFor(ids, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let missing = ids.filter((id) => !arrivals.has(id));
      while (missing.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        missing = missing.filter((id) => !arrivals.has(id));
      }
      return missing;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
