/**
 * A RunAgent-protocol server of our own on 127.0.0.1 (`POST /api/v1/agents/{id}/run`, `GET .../architecture`),
 * for only what the real `runagent serve` (helpers/runagent-real.ts) cannot produce: an API key to refuse (401),
 * the older response envelopes and plain-string errors, a 422, a 5xx that succeeds on retry, and a record of every
 * request as it arrived (headers, body, the client hanging up). Each agent id exercises one behaviour. Streams
 * are tested against the real server only: this one once encoded them the way Pulse misread them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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

const ENTRYPOINTS = ['main', 'object_error', 'slow'];

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

/** Starts the server; with `apiKey` every call must carry it (as the remote service requires). */
export async function startRunAgentServer(apiKey?: string): Promise<RunAgentServer> {
  const runs: RunRequest[] = [];
  const flakyCalls = new Map<string, number>();
  const waiters = new Set<() => void>();

  const authorized = (headers: http.IncomingHttpHeaders) =>
    !apiKey || headers.authorization === `Bearer ${apiKey}`;

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
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
