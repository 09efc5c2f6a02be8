/**
 * A RunAgent-protocol server on 127.0.0.1 that behaves like the real one (CONTRACT.md "RunAgent protocol"):
 * `POST /api/v1/agents/{id}/run`, `GET .../architecture`, and the `run-stream` WebSocket. Each agent id exercises
 * one behaviour: the current and the older response envelopes, string and object errors, 401 for a wrong key, a
 * 5xx that succeeds on retry, a slow run, a stream.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface RunRequest {
  readonly agentId: string;
  readonly body: Record<string, unknown>;
  readonly headers: http.IncomingHttpHeaders;
  readonly at: number;
  /** Set when the client hung up before the answer was sent (a cancelled run). */
  closedEarly: boolean;
}

export interface RunAgentServer {
  readonly url: string;
  readonly runs: RunRequest[];
  runsOf(agentId: string): RunRequest[];
  /** Resolves when `agentId` has received `count` run requests. */
  waitForRuns(agentId: string, count?: number, timeoutMs?: number): Promise<RunRequest[]>;
  close(): Promise<void>;
}

const ENTRYPOINTS = ['main', 'object_error', 'main_stream', 'slow'];

function envelope(data: unknown, extra: Record<string, unknown> = {}) {
  return {
    success: true,
    data,
    message: 'ok',
    error: null,
    timestamp: new Date().toISOString(),
    request_id: 'req-1',
    ...extra,
  };
}

/** The current form: `data` is a JSON string whose `payload` is a JSON string again. */
function currentForm(result: unknown) {
  return envelope(
    JSON.stringify({ type: typeof result === 'string' ? 'string' : 'dict', payload: JSON.stringify(result) }),
  );
}

/** Starts the server; `apiKey` set = every call must carry it (the remote service), unset = `runagent serve`. */
export async function startRunAgentServer(apiKey?: string): Promise<RunAgentServer> {
  const runs: RunRequest[] = [];
  const flakyCalls = new Map<string, number>();
  const waiters = new Set<() => void>();

  const authorized = (headers: http.IncomingHttpHeaders, token?: string | null) =>
    !apiKey || headers.authorization === `Bearer ${apiKey}` || token === apiKey;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const match = /^\/api\/v1\/agents\/([^/]+)\/(run|architecture)$/.exec(url.pathname);
      const send = (status: number, body: unknown) => {
        if (res.writableEnded || res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!match) return send(404, { success: false, error: 'no such route' });
      if (!authorized(req.headers)) {
        return send(401, {
          success: false,
          error: { code: 'AUTH_ERROR', message: 'Invalid API key', suggestion: 'Check RUNAGENT_API_KEY' },
        });
      }
      const agentId = decodeURIComponent(match[1]!);
      if (match[2] === 'architecture') {
        return send(200, envelope({ agent_id: agentId, entrypoints: ENTRYPOINTS.map((tag) => ({ tag })) }));
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const record: RunRequest = { agentId, body, headers: req.headers, at: Date.now(), closedEarly: false };
      runs.push(record);
      for (const wake of waiters) wake();
      res.on('close', () => {
        if (!res.writableEnded) record.closedEarly = true;
      });
      const kwargs = (body.input_kwargs ?? {}) as Record<string, unknown>;
      switch (agentId) {
        case 'echo-agent':
          return send(
            200,
            currentForm({ echo: kwargs, user_id: body.user_id ?? null, entrypoint: body.entrypoint_tag }),
          );
        case 'legacy-agent':
          return send(200, envelope({ result_data: { data: { legacy: true, echo: kwargs } } }));
        case 'output-agent':
          return send(200, { success: true, output_data: { older: true, echo: kwargs } });
        case 'failing-agent':
          return body.entrypoint_tag === 'object_error'
            ? send(200, {
                success: false,
                data: null,
                error: {
                  code: 'AGENT_CRASHED',
                  message: 'the agent fell over',
                  suggestion: 'check its logs',
                },
              })
            : send(200, { success: false, data: null, error: 'the agent could not finish' });
        case 'invalid-agent':
          return send(422, {
            success: false,
            error: { code: 'VALIDATION_ERROR', message: 'input_kwargs.topic is required' },
          });
        case 'flaky-agent': {
          const key = String(kwargs.key ?? '');
          const calls = (flakyCalls.get(key) ?? 0) + 1;
          flakyCalls.set(key, calls);
          if (calls <= Number(kwargs.fail_times ?? 1))
            return send(503, { success: false, error: 'temporarily overloaded' });
          return send(200, currentForm({ recovered_after: calls }));
        }
        case 'slow-agent':
          setTimeout(
            () => send(200, currentForm({ slept_ms: kwargs.delay_ms })),
            Number(kwargs.delay_ms ?? 1000),
          );
          return;
        default:
          return send(404, {
            success: false,
            error: { code: 'AGENT_NOT_FOUND', message: `agent ${agentId} not found` },
          });
      }
    });
  });

  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = /^\/api\/v1\/agents\/([^/]+)\/run-stream$/.exec(url.pathname);
    if (!match || !authorized(req.headers, url.searchParams.get('token'))) {
      socket.end(`HTTP/1.1 ${match ? '401 Unauthorized' : '404 Not Found'}\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      ws.once('message', (raw) => {
        const body = JSON.parse(raw.toString()) as Record<string, unknown>;
        runs.push({
          agentId: decodeURIComponent(match[1]!),
          body,
          headers: req.headers,
          at: Date.now(),
          closedEarly: false,
        });
        for (const wake of waiters) wake();
        const kwargs = (body.input_kwargs ?? {}) as {
          chunks?: string[];
          delay_ms?: number;
          fail_at?: number;
        };
        const chunks = kwargs.chunks ?? ['Hello', ', ', 'world'];
        ws.send(JSON.stringify({ type: 'status', status: 'stream_started' }));
        let i = 0;
        const next = () => {
          if (ws.readyState !== ws.OPEN) return;
          if (kwargs.fail_at === i) {
            ws.send(
              JSON.stringify({ type: 'error', error: { code: 'STREAM_FAILED', message: 'stream broke' } }),
            );
            return;
          }
          if (i >= chunks.length) {
            ws.send(JSON.stringify({ type: 'status', status: 'stream_completed' }));
            return;
          }
          ws.send(JSON.stringify({ type: 'data', content: chunks[i++] }));
          setTimeout(next, kwargs.delay_ms ?? 10);
        };
        next();
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const runsOf = (agentId: string) => runs.filter((r) => r.agentId === agentId);
  return {
    url: `http://127.0.0.1:${port}`,
    runs,
    runsOf,
    waitForRuns(agentId, count = 1, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (runsOf(agentId).length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(runsOf(agentId));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} run(s) of ${agentId}, got ${runsOf(agentId).length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
