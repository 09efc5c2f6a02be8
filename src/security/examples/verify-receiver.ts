/**
 * A minimal receiver for Pulse callbacks that accepts only deliveries signed with PULSE_WEBHOOK_SECRET:
 *
 *   PULSE_WEBHOOK_SECRET=whsec_... PORT=8787 npx tsx src/security/examples/verify-receiver.ts
 *
 * then schedule a task with `"callback_url": "http://<this host>:8787/"`. Copy it into your own service; the
 * only Pulse code it needs is `verifyWebhook` (src/security/webhook-signature.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebhookVerificationError, parseWebhookSecret, verifyWebhook } from '../webhook-signature.js';

/** What a receiver needs: the secret(s) it trusts and what to do with each verified callback. */
export interface ReceiverOptions {
  /** The current secret; during a rotation, the new and the old one. */
  readonly secrets: readonly string[];
  /** Runs once per `webhook-id`; throwing answers 500, so Pulse retries the delivery later. */
  readonly onCallback?: (payload: unknown, webhookId: string) => void | Promise<void>;
  readonly maxBodyBytes?: number;
}

/** Builds (without starting) an HTTP server that verifies and de-duplicates Pulse callbacks. */
export function createReceiver(options: ReceiverOptions): http.Server {
  // Fail at start-up on a malformed secret, not with a 401 on every delivery.
  options.secrets.forEach((secret) => parseWebhookSecret(secret, 'PULSE_WEBHOOK_SECRET'));
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  // Pulse retries a delivery with the same webhook-id until it gets a 2xx, so one whose 2xx was lost arrives
  // twice. A real service keeps seen ids in its database for longer than Pulse's delivery window (24 h).
  const seen = new Set<string>();

  return http.createServer((req, res) => {
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return answer(405, { error: 'method_not_allowed' });

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > maxBodyBytes) return answer(413, { error: 'body_too_large' });
      // Verify the raw bytes: parsing and re-serialising the JSON first would change what was signed.
      const body = Buffer.concat(chunks);
      let payload: unknown;
      try {
        payload = verifyWebhook({ secrets: options.secrets, headers: req.headers, body });
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) return answer(500, { error: 'internal_error' });
        return answer(err.reason === 'invalid_json' ? 400 : 401, { error: err.reason });
      }
      const webhookId = String(req.headers['webhook-id']);
      if (seen.has(webhookId)) return answer(200, { ok: true, duplicate: true });
      seen.add(webhookId);
      Promise.resolve()
        .then(() => options.onCallback?.(payload, webhookId))
        .then(
          () => answer(200, { ok: true }),
          () => {
            seen.delete(webhookId);
            answer(500, { error: 'handler_failed' });
          },
        );
    });
  });
}

async function main(): Promise<void> {
  const raw = process.env.PULSE_WEBHOOK_SECRET;
  if (!raw) throw new Error('set PULSE_WEBHOOK_SECRET to the secret Pulse signs callbacks with');
  const server = createReceiver({
    // Comma-separated during a rotation; base64 never contains a comma.
    secrets: raw.split(',').map((s) => s.trim()),
    onCallback: (payload, webhookId) => console.log(`verified ${webhookId}: ${JSON.stringify(payload)}`),
  });
  const host = process.env.HOST ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 8787), host, resolve));
  const { port } = server.address() as AddressInfo;
  console.log(`listening on http://${host}:${port}/`);
}

// Importing the file (as the tests do) only defines createReceiver; running it starts the server.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
