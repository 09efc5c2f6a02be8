/** A real HTTP server on 127.0.0.1 that records what it receives: the far side of callbacks and webhooks. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly json: unknown;
  readonly receivedAt: number;
}

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Requests to `path` so far. */
  at(path: string): ReceivedRequest[];
  /** Answers each request to `path` by its number (1 = first request to that path). */
  script(path: string, answer: (n: number) => { status: number; body?: unknown }): void;
  /** Resolves once `count` requests reached `path`, or rejects after `timeoutMs`. */
  waitFor(path: string, count?: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Answers requests to `path` with this status and body (and headers) from now on. */
  respond(
    path: string,
    status: number,
    body?: unknown,
    delayMs?: number,
    headers?: Record<string, string>,
  ): void;
  /** Holds the answers to `path` (after any delay) until the returned function is called. */
  hold(path: string): () => void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const responses = new Map<
    string,
    { status: number; body: unknown; delayMs: number; headers?: Record<string, string> }
  >();
  const waiters = new Set<() => void>();
  const scripts = new Map<string, (n: number) => { status: number; body?: unknown }>();
  const holds = new Map<string, Promise<void>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const path = (req.url ?? '/').split('?')[0]!;
      requests.push({
        method: req.method ?? '',
        path,
        headers: req.headers,
        body,
        json,
        receivedAt: Date.now(),
      });
      for (const wake of waiters) wake();
      const scripted = scripts.get(path)?.(requests.filter((r) => r.path === path).length);
      const answer = scripted
        ? { delayMs: 0, body: {}, ...scripted }
        : (responses.get(path) ?? { status: 200, body: { ok: true }, delayMs: 0 });
      const answerNow = () => {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body));
      };
      setTimeout(() => void (holds.get(path) ?? Promise.resolve()).then(answerNow), answer.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const at = (path: string) => requests.filter((r) => r.path === path);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    at,
    script(path, answer) {
      scripts.set(path, answer);
    },
    respond(path, status, body = {}, delayMs = 0, headers = undefined) {
      responses.set(path, { status, body, delayMs, ...(headers ? { headers } : {}) });
    },
    hold(path) {
      let release!: () => void;
      holds.set(path, new Promise<void>((resolve) => (release = resolve)));
      return () => {
        holds.delete(path);
        release();
      };
    },
    waitFor(path, count = 1, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (at(path).length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(at(path));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `expected ${count} request(s) to ${path} within ${timeoutMs} ms, got ${at(path).length}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
