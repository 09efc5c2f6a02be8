/**
 * Standard Webhooks (https://www.standardwebhooks.com/) signatures for Pulse callbacks: `signWebhook` on the
 * sending side, `verifyWebhook` for receivers. The signature itself (`v1`, HMAC-SHA256 over `id.timestamp.body`)
 * is computed by the reference `standardwebhooks` library. What stays here is a deliberate superset of it that
 * test/webhook-signature.test.ts requires: secrets are checked with a message saying what is wrong, several
 * secrets sign and verify during a rotation, the clock and tolerance can be given, and every refusal carries a
 * stable reason code; the library's `verify` reads the real clock, has a fixed 5-minute window and throws one
 * untyped error. Versions other than `v1` in a signature header are ignored, as the spec asks.
 */
import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The three headers every signed delivery carries. */
export type WebhookHeaderName = 'webhook-id' | 'webhook-timestamp' | 'webhook-signature';

/** Why a delivery was refused; stable codes a receiver can log or branch on. */
export type WebhookVerificationReason =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'malformed_signature'
  | 'bad_signature'
  | 'invalid_json';

/** Thrown by `verifyWebhook` when a delivery cannot be trusted (or, once trusted, is not JSON). */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

const SECRET_PREFIX = 'whsec_';
// The spec's bounds for a symmetric signing secret: at least 192 bits, at most 512.
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Printable ASCII without space, so the id is a valid header value; no '.', because the signed content is
// '{id}.{timestamp}.{body}' and the spec forbids the delimiter in the id.
const WEBHOOK_ID = /^[\x21-\x2d\x2f-\x7e]+$/;
// Unix seconds beyond this (year 5138) are almost certainly milliseconds passed by mistake.
const MAX_UNIX_SECONDS = 1e11;
const DEFAULT_TOLERANCE_SECONDS = 300;
const HEADER_NAMES: readonly WebhookHeaderName[] = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
const GENERATE_HINT =
  'generate one with: node -e ' +
  `"console.log('whsec_' + require('node:crypto').randomBytes(32).toString('base64'))"`;

/** Decodes a `whsec_<base64>` (or bare base64) secret to its key bytes, or throws saying what is wrong. */
export function parseWebhookSecret(secret: string, name = 'webhook secret'): Buffer {
  if (typeof secret !== 'string') throw new Error(`${name} must be a string, got ${typeof secret}`);
  // Secrets read from files or pasted into .env often end with a newline; it can never be part of base64.
  const trimmed = secret.trim();
  if (trimmed === '') throw new Error(`${name} is empty; ${GENERATE_HINT}`);
  if (/^wh(?:sk|pk)_/.test(trimmed)) {
    throw new Error(
      `${name} is an asymmetric (ed25519) key; Pulse signs with HMAC-SHA256 ('v1') ` +
        "and needs a 'whsec_' secret",
    );
  }
  const encoded = trimmed.startsWith(SECRET_PREFIX) ? trimmed.slice(SECRET_PREFIX.length) : trimmed;
  if (/[-_]/.test(encoded)) {
    throw new Error(
      `${name} contains '-' or '_' (base64url); it must be standard base64 ('+' and '/'), ` +
        "optionally prefixed with 'whsec_'",
    );
  }
  if (!STANDARD_BASE64.test(encoded)) {
    throw new Error(
      `${name} is not valid base64 after the optional 'whsec_' prefix ` +
        "(only A-Z a-z 0-9 + / with '=' padding to a multiple of 4 characters)",
    );
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new Error(
      `${name} decodes to ${key.length} bytes; Standard Webhooks needs ` +
        `${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes; ${GENERATE_HINT}`,
    );
  }
  return key;
}

/** What `signWebhook` needs: the secret(s), the stable message id, the attempt's time and the exact body. */
export interface SignWebhookInput {
  /** `whsec_<base64>` or bare base64; several during a rotation, so receivers with either secret accept. */
  readonly secret: string | readonly string[];
  /** Stable across retries of one delivery, so the receiver can de-duplicate on it. */
  readonly id: string;
  /** The time of this attempt (a Date or unix seconds), not of the event: receivers reject stale attempts. */
  readonly timestamp: Date | number;
  /** The exact string sent as the request body; any re-serialisation breaks the signature. */
  readonly body: string;
}

/** Signs one delivery attempt and returns the Standard Webhooks headers to send with it. */
export function signWebhook(input: SignWebhookInput): Record<WebhookHeaderName, string> {
  if (!WEBHOOK_ID.test(input.id)) {
    throw new Error(
      `webhook id must be non-empty printable ASCII without spaces or '.', got ${JSON.stringify(input.id)}`,
    );
  }
  const seconds = unixSeconds(input.timestamp);
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  if (secrets.length === 0) throw new Error('signWebhook needs at least one secret');
  const at = new Date(seconds * 1000);
  const signatures = secrets.map((secret) => signerFor(secret).sign(input.id, at, input.body));
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': signatures.join(' '),
  };
}

/** Request headers as a Fetch `Headers` or a plain object such as Node's `IncomingHttpHeaders`. */
export type WebhookRequestHeaders =
  Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

interface VerifyWebhookCommon {
  readonly headers: WebhookRequestHeaders;
  /** The raw body exactly as received: verify before any JSON parsing, which would change its bytes. */
  readonly body: string | Uint8Array;
  /** Seconds the attempt's timestamp may be from `now` either way: how long a captured request can replay. */
  readonly toleranceSeconds?: number;
  readonly now?: Date;
}

/** What `verifyWebhook` needs: one secret, or several while a rotation is in progress. */
export type VerifyWebhookInput = VerifyWebhookCommon &
  (
    | { readonly secret: string; readonly secrets?: undefined }
    | { readonly secrets: readonly string[]; readonly secret?: undefined }
  );

/** Checks a delivery's Standard Webhooks signature and timestamp and returns its parsed JSON body. */
export function verifyWebhook(input: VerifyWebhookInput): unknown {
  const secrets = secretsOf(input);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new Error(`toleranceSeconds must be a non-negative number, got ${tolerance}`);
  }
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  // An invalid Date would make every comparison of the window false and so accept any timestamp.
  if (!Number.isFinite(now)) throw new Error('verifyWebhook: now is an invalid Date');
  // Keys first: a malformed secret is the receiver's misconfiguration, and must not pass for a bad request.
  const signers = secrets.map(signerFor);

  const id = headerOf(input.headers, 'webhook-id');
  const timestamp = headerOf(input.headers, 'webhook-timestamp');
  const signature = headerOf(input.headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signature === undefined) {
    const missing = HEADER_NAMES.filter((name) => headerOf(input.headers, name) === undefined);
    throw new WebhookVerificationError('missing_headers', `missing header(s): ${missing.join(', ')}`);
  }
  if (!/^\d{1,15}$/.test(timestamp)) {
    throw new WebhookVerificationError(
      'invalid_timestamp',
      `webhook-timestamp must be unix seconds, got ${JSON.stringify(timestamp.slice(0, 40))}`,
    );
  }

  const candidates = parseSignatureHeader(signature);
  const body = typeof input.body === 'string' ? input.body : Buffer.from(input.body).toString('utf8');
  const sentAt = Number(timestamp);
  const expected = signers.map((signer) => Buffer.from(signer.sign(id, new Date(sentAt * 1000), body)));
  // Every candidate meets every key with no early exit, so timing says nothing about which one matched.
  let matched = false;
  for (const candidate of candidates) {
    for (const want of expected) {
      if (candidate.length === want.length && timingSafeEqual(candidate, want)) matched = true;
    }
  }
  if (!matched) {
    throw new WebhookVerificationError(
      'bad_signature',
      candidates.length === 0
        ? 'webhook-signature has no v1 signature'
        : 'no v1 signature in webhook-signature matches the body, id and timestamp',
    );
  }

  // The window is checked only after the signature, so a forged request is reported as forged, not as stale.
  if (now - sentAt > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_old',
      `webhook-timestamp ${sentAt} is ${now - sentAt}s old, beyond the ${tolerance}s tolerance`,
    );
  }
  if (sentAt - now > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_in_future',
      `webhook-timestamp ${sentAt} is ${sentAt - now}s in the future, beyond the ${tolerance}s tolerance`,
    );
  }

  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new WebhookVerificationError(
      'invalid_json',
      `signed body is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function signerFor(secret: string): Webhook {
  return new Webhook(parseWebhookSecret(secret), { format: 'raw' });
}

function unixSeconds(timestamp: Date | number): number {
  const seconds = timestamp instanceof Date ? Math.floor(timestamp.getTime() / 1000) : timestamp;
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new Error(`webhook timestamp must be a valid Date or whole unix seconds, got ${String(timestamp)}`);
  }
  if (seconds >= MAX_UNIX_SECONDS) {
    throw new Error(`webhook timestamp ${seconds} looks like milliseconds; pass unix seconds or a Date`);
  }
  return seconds;
}

function secretsOf(input: VerifyWebhookInput): readonly string[] {
  if (input.secret !== undefined && input.secrets !== undefined) {
    throw new Error('verifyWebhook takes either secret or secrets, not both');
  }
  const secrets = input.secret !== undefined ? [input.secret] : (input.secrets ?? []);
  if (secrets.length === 0) throw new Error('verifyWebhook needs a secret (or a non-empty secrets list)');
  return secrets;
}

function headerOf(headers: WebhookRequestHeaders, name: WebhookHeaderName): string | undefined {
  let value: string | readonly string[] | null | undefined;
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    value = headers.get(name);
  } else {
    // HTTP header names are case-insensitive, and plain objects built by hand rarely use lower case.
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : (headers as Record<string, string | readonly string[]>)[key];
  }
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(' ') : undefined;
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The `v1` entries of a space-separated `webhook-signature` header, as the `v1,<base64>` text to compare. Entries
 * of other versions are skipped (the spec's forward compatibility); a header with no `version,value` entry at
 * all is malformed rather than merely wrong.
 */
function parseSignatureHeader(header: string): Buffer[] {
  const entries = header.split(/\s+/).map((entry) => /^([A-Za-z0-9]+),(\S+)$/.exec(entry));
  if (!entries.some((entry) => entry !== null)) {
    throw new WebhookVerificationError(
      'malformed_signature',
      "webhook-signature must be space-separated 'v1,<base64>' entries",
    );
  }
  return entries
    .filter((entry): entry is RegExpExecArray => entry !== null && entry[1] === 'v1')
    .map((entry) => Buffer.from(entry[0], 'utf8'));
}
