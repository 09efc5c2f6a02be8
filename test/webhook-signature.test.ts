import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Webhook as ReferenceWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../src/security/examples/verify-receiver.js';
import {
  type VerifyWebhookInput,
  type WebhookVerificationReason,
  WebhookVerificationError,
  parseWebhookSecret,
  signWebhook,
  verifyWebhook,
} from '../src/security/webhook-signature.js';
import type { CallbackBody } from '../src/shared/task-types.js';

// The published test vector of the Standard Webhooks reference libraries: repository
// standard-webhooks/standard-webhooks, libraries/{javascript,python,go} tests ("sign function works").
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const VECTOR_HEADERS = {
  'webhook-id': VECTOR.id,
  'webhook-timestamp': String(VECTOR.timestamp),
  'webhook-signature': VECTOR.signature,
};
const VECTOR_NOW = new Date(VECTOR.timestamp * 1000);
// A well-formed signature for some other message, used by the reference tests as the wrong ones in a list.
const FOREIGN_SIGNATURE = 'Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const SECRET = newSecret();
const OLD_SECRET = newSecret();

const callbackBody: CallbackBody = {
  task_id: 'task_0f3a',
  execution_id: 'task_0f3a:7d2c',
  status: 'success',
  result: { answer: 42, text: 'grüße, 東京 🚀' },
  execution_time_ms: 1234,
  timestamp: 1_790_000_000,
};
const BODY = JSON.stringify(callbackBody);
const NOW = new Date('2026-09-21T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;

function reasonOf(run: () => unknown): WebhookVerificationReason {
  try {
    run();
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err.reason;
    throw err;
  }
  throw new Error('expected a WebhookVerificationError, but it verified');
}

function parsedOrUndefined(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function errorMessageOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof WebhookVerificationError)
      throw new Error(`unexpected verification error: ${err.message}`);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

const signed = (over: Partial<Parameters<typeof signWebhook>[0]> = {}) =>
  signWebhook({ secret: SECRET, id: 'msg_1', timestamp: NOW, body: BODY, ...over });

const verify = (over: Partial<VerifyWebhookInput>) =>
  verifyWebhook({ secret: SECRET, headers: signed(), body: BODY, now: NOW, ...over } as VerifyWebhookInput);

describe('published Standard Webhooks test vector', () => {
  it('signWebhook reproduces the reference signature, with and without the whsec_ prefix', () => {
    const bare = VECTOR.secret.slice('whsec_'.length);
    for (const secret of [VECTOR.secret, bare]) {
      for (const timestamp of [VECTOR.timestamp, VECTOR_NOW]) {
        expect(signWebhook({ secret, id: VECTOR.id, timestamp, body: VECTOR.body })).toEqual(VECTOR_HEADERS);
      }
    }
  });

  it('verifyWebhook accepts it and returns the parsed payload', () => {
    expect(
      verifyWebhook({ secret: VECTOR.secret, headers: VECTOR_HEADERS, body: VECTOR.body, now: VECTOR_NOW }),
    ).toEqual({ test: 2432232314 });
  });

  it('accepts it among the reference multi-signature list, ignoring other versions', () => {
    const header = [
      `v1,${FOREIGN_SIGNATURE}`,
      `v2,${FOREIGN_SIGNATURE}`,
      VECTOR.signature,
      `v1,${FOREIGN_SIGNATURE}`,
    ].join(' ');
    const headers = { ...VECTOR_HEADERS, 'webhook-signature': header };
    expect(verifyWebhook({ secret: VECTOR.secret, headers, body: VECTOR.body, now: VECTOR_NOW })).toEqual({
      test: 2432232314,
    });
  });

  it.each([
    // The reference Python suite's invalid signature: the vector with its last base64 digit changed.
    ['v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=', 'bad_signature'],
    ['v1,dawfeoifkpqwoekfpqoekf', 'bad_signature'],
    [VECTOR.signature.slice(0, 8), 'bad_signature'],
    [`v1,${FOREIGN_SIGNATURE}`, 'bad_signature'],
    // The right bytes under a version this verifier does not implement.
    [VECTOR.signature.replace('v1,', 'v1a,'), 'bad_signature'],
    ['v1,', 'malformed_signature'],
    ['g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', 'malformed_signature'],
    ['v1;g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', 'malformed_signature'],
  ] as const)('refuses signature header %j (%s)', (header, reason) => {
    const headers = { ...VECTOR_HEADERS, 'webhook-signature': header };
    expect(
      reasonOf(() => verifyWebhook({ secret: VECTOR.secret, headers, body: VECTOR.body, now: VECTOR_NOW })),
    ).toBe(reason);
  });

  it('the vector secret decodes to the 24 bytes the spec requires at minimum', () => {
    expect(parseWebhookSecret(VECTOR.secret)).toHaveLength(24);
  });
});

describe('against the independent standardwebhooks library', () => {
  const bodies = [
    BODY,
    '',
    '{}',
    ' {"spaced" : true} \n',
    JSON.stringify({ emoji: '🚀'.repeat(100), nul: '\u0000', quote: '"\\' }),
    'x'.repeat(100_000),
  ];

  it('their sign → our verify (string and Buffer bodies)', () => {
    for (const body of bodies) {
      const id = `msg_${randomBytes(8).toString('hex')}`;
      const signature = new ReferenceWebhook(SECRET).sign(id, NOW, body);
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(NOW_S),
        'webhook-signature': signature,
      };
      const json = parsedOrUndefined(body);
      for (const raw of [body, Buffer.from(body, 'utf8')]) {
        const run = () => verifyWebhook({ secret: SECRET, headers, body: raw, now: NOW });
        // Empty and non-JSON bodies pass the signature check and fail only at parsing.
        if (json === undefined) expect(reasonOf(run)).toBe('invalid_json');
        else expect(run()).toEqual(json);
      }
      expect(signWebhook({ secret: SECRET, id, timestamp: NOW, body })['webhook-signature']).toBe(signature);
    }
  });

  it('our sign → their verify', () => {
    for (const body of bodies) {
      const id = `msg_${randomBytes(8).toString('hex')}`;
      // The reference verifier always checks against the real clock.
      const headers = signWebhook({ secret: SECRET, id, timestamp: new Date(), body });
      const verifyTheirs = () => new ReferenceWebhook(SECRET).verify(body, headers, { jsonParse: false });
      expect(verifyTheirs).not.toThrow();
      expect(() => new ReferenceWebhook(OLD_SECRET).verify(body, headers)).toThrow();
      expect(() => new ReferenceWebhook(SECRET).verify(`${body} `, headers, { jsonParse: false })).toThrow();
    }
  });

  it('agrees with it on many random secrets, ids and bodies', () => {
    for (let i = 0; i < 200; i++) {
      const secret = randomBytes(24 + (i % 41)).toString('base64');
      const id = `msg_${randomBytes(1 + (i % 20)).toString('hex')}`;
      const timestamp = 1_600_000_000 + i * 7919;
      const body = JSON.stringify({ i, data: randomBytes(i).toString('latin1') });
      const ours = signWebhook({ secret, id, timestamp, body })['webhook-signature'];
      expect(ours).toBe(new ReferenceWebhook(secret).sign(id, new Date(timestamp * 1000), body));
    }
  });

  it('rotation: a header signed with two secrets passes their verifier with either', () => {
    const body = BODY;
    const headers = signWebhook({ secret: [SECRET, OLD_SECRET], id: 'msg_rot', timestamp: new Date(), body });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new ReferenceWebhook(SECRET).verify(body, headers)).not.toThrow();
    expect(() => new ReferenceWebhook(OLD_SECRET).verify(body, headers)).not.toThrow();
    expect(() => new ReferenceWebhook(newSecret()).verify(body, headers)).toThrow();
  });
});

describe('verifyWebhook', () => {
  it('returns the parsed callback body', () => {
    expect(verify({})).toEqual(callbackBody);
  });

  it('rotation: accepts either of two secrets, and a header signed with both', () => {
    const secrets = [SECRET, OLD_SECRET];
    expect(verify({ secret: undefined, secrets, headers: signed({ secret: OLD_SECRET }) })).toEqual(
      callbackBody,
    );
    expect(verify({ secret: undefined, secrets, headers: signed({ secret: SECRET }) })).toEqual(callbackBody);
    const both = signed({ secret: [SECRET, OLD_SECRET] });
    expect(verify({ secret: OLD_SECRET, headers: both })).toEqual(callbackBody);
    expect(reasonOf(() => verify({ secret: newSecret(), headers: both }))).toBe('bad_signature');
  });

  it('refuses a wrong secret', () => {
    expect(reasonOf(() => verify({ secret: OLD_SECRET }))).toBe('bad_signature');
  });

  it('refuses a tampered body, id or timestamp', () => {
    expect(reasonOf(() => verify({ body: BODY.replace('42', '43') }))).toBe('bad_signature');
    expect(reasonOf(() => verify({ body: `${BODY}\n` }))).toBe('bad_signature');
    const headers = signed();
    const tampered = [
      { ...headers, 'webhook-id': 'msg_2' },
      { ...headers, 'webhook-timestamp': String(NOW_S + 1) },
      { ...headers, 'webhook-timestamp': String(NOW_S - 60) },
    ];
    for (const h of tampered) expect(reasonOf(() => verify({ headers: h }))).toBe('bad_signature');
  });

  it('refuses stale and future timestamps outside the tolerance, and accepts its edges', () => {
    const at = (offsetSeconds: number) => signed({ timestamp: NOW_S + offsetSeconds });
    expect(verify({ headers: at(-300) })).toEqual(callbackBody);
    expect(verify({ headers: at(300) })).toEqual(callbackBody);
    expect(reasonOf(() => verify({ headers: at(-301) }))).toBe('timestamp_too_old');
    expect(reasonOf(() => verify({ headers: at(301) }))).toBe('timestamp_in_future');
    expect(reasonOf(() => verify({ headers: at(-86_400) }))).toBe('timestamp_too_old');
    expect(reasonOf(() => verify({ headers: at(-31), toleranceSeconds: 30 }))).toBe('timestamp_too_old');
    expect(verify({ headers: at(-3600), toleranceSeconds: 7200 })).toEqual(callbackBody);
  });

  it('checks the signature before the clock, so a forged stale request is reported as forged', () => {
    const stale = signed({ timestamp: NOW_S - 3600, secret: OLD_SECRET });
    expect(reasonOf(() => verify({ headers: stale }))).toBe('bad_signature');
  });

  it('refuses missing or empty headers and names them', () => {
    const headers = signed();
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [name]: _dropped, ...rest } = headers;
      expect(reasonOf(() => verify({ headers: rest }))).toBe('missing_headers');
      expect(reasonOf(() => verify({ headers: { ...headers, [name]: '  ' } }))).toBe('missing_headers');
    }
    expect(() => verify({ headers: {} })).toThrow(
      'missing header(s): webhook-id, webhook-timestamp, webhook-signature',
    );
  });

  it.each(['hello', '1e9', '-1', '1614265330.5', '0x60375af2'])('refuses timestamp %j', (timestamp) => {
    expect(reasonOf(() => verify({ headers: { ...signed(), 'webhook-timestamp': timestamp } }))).toBe(
      'invalid_timestamp',
    );
  });

  it('reads headers case-insensitively from plain objects and Headers', () => {
    const headers = signed();
    const shouting = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verify({ headers: shouting })).toEqual(callbackBody);
    expect(verify({ headers: new Headers(shouting) })).toEqual(callbackBody);
  });

  it('ignores other signature versions and surrounding whitespace in the header', () => {
    const { 'webhook-signature': ours, ...rest } = signed();
    // The spec's own example of an asymmetric (v1a) signature next to a symmetric one.
    const v1a =
      'v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==';
    const header = `  ${v1a}  ${ours} `;
    expect(verify({ headers: { ...rest, 'webhook-signature': header } })).toEqual(callbackBody);
  });

  it('refuses a signed body that is not JSON with its own reason', () => {
    const body = 'not json';
    expect(reasonOf(() => verify({ headers: signed({ body }), body }))).toBe('invalid_json');
  });

  it('treats a misconfigured receiver as a plain error, not as a bad request', () => {
    expect(errorMessageOf(() => verify({ secret: 'whsec_short' }))).toMatch(/not valid base64|bytes/);
    expect(errorMessageOf(() => verify({ secret: undefined, secrets: [] }))).toMatch(/needs a secret/);
    expect(errorMessageOf(() => verify({ secrets: [SECRET] }))).toMatch(/either secret or secrets/);
    expect(errorMessageOf(() => verify({ toleranceSeconds: -1 }))).toMatch(/toleranceSeconds/);
    expect(errorMessageOf(() => verify({ now: new Date('nope') }))).toMatch(/invalid Date/);
  });
});

describe('signWebhook', () => {
  it('returns exactly the three Standard Webhooks headers', () => {
    const headers = signed();
    expect(Object.keys(headers).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    expect(headers['webhook-timestamp']).toBe(String(NOW_S));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('refuses ids that would be ambiguous in the signed content or invalid in a header', () => {
    for (const id of ['', 'msg.1', 'msg 1', 'msg\n1', 'msg_é']) {
      expect(() => signed({ id })).toThrow(/webhook id/);
    }
    expect(() => signed({ id: 'task_0f3a:7d2c-4e' })).not.toThrow();
  });

  it('refuses timestamps that are not whole unix seconds', () => {
    expect(() => signed({ timestamp: Date.now() })).toThrow(/looks like milliseconds/);
    expect(() => signed({ timestamp: 1.5 })).toThrow(/whole unix seconds/);
    expect(() => signed({ timestamp: -1 })).toThrow(/whole unix seconds/);
    expect(() => signed({ timestamp: new Date('nope') })).toThrow(/whole unix seconds/);
  });

  it('refuses an empty list of secrets', () => {
    expect(() => signed({ secret: [] })).toThrow(/at least one secret/);
  });
});

describe('parseWebhookSecret', () => {
  const fail = (secret: string) => errorMessageOf(() => parseWebhookSecret(secret, 'PULSE_WEBHOOK_SECRET'));

  it('accepts whsec_ and bare base64 alike, and ignores surrounding whitespace', () => {
    const bytes = randomBytes(32);
    const b64 = bytes.toString('base64');
    for (const s of [`whsec_${b64}`, b64, `whsec_${b64}\n`]) expect(parseWebhookSecret(s)).toEqual(bytes);
  });

  it('explains precisely what is wrong', () => {
    expect(fail('')).toMatch(/^PULSE_WEBHOOK_SECRET is empty; generate one with: node -e/);
    expect(fail('whsk_' + randomBytes(32).toString('base64'))).toMatch(/asymmetric \(ed25519\) key/);
    expect(fail('whsec_Mf-Q9r8GKYqrTwjUPD8ILPZIo2LaLa_w')).toMatch(/'-' or '_' \(base64url\)/);
    expect(fail('whsec_abc')).toMatch(/not valid base64.*multiple of 4/);
    expect(fail('whsec_ab!d')).toMatch(/not valid base64/);
    expect(fail('whsec_' + randomBytes(16).toString('base64'))).toMatch(
      /^PULSE_WEBHOOK_SECRET decodes to 16 bytes; Standard Webhooks needs 24 to 64 random bytes/,
    );
    expect(fail(randomBytes(65).toString('base64'))).toMatch(/decodes to 65 bytes/);
  });
});

describe('example receiver', () => {
  const post = (url: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  describe('createReceiver on 127.0.0.1', () => {
    const received: { payload: unknown; webhookId: string }[] = [];
    let server: Server;
    let url: string;

    beforeAll(async () => {
      server = createReceiver({
        secrets: [SECRET, OLD_SECRET],
        onCallback: (payload, webhookId) => void received.push({ payload, webhookId }),
        maxBodyBytes: 64 * 1024,
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('answers 2xx to a signed callback, once per webhook-id', async () => {
      const headers = signWebhook({ secret: SECRET, id: 'msg_e2e_1', timestamp: new Date(), body: BODY });
      const first = await post(url, BODY, headers);
      expect(first.status).toBe(200);
      const again = await post(url, BODY, headers);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ ok: true, duplicate: true });
      expect(received).toEqual([{ payload: callbackBody, webhookId: 'msg_e2e_1' }]);
    });

    it('accepts a callback signed by the reference library with the old secret', async () => {
      const signature = new ReferenceWebhook(OLD_SECRET).sign('msg_e2e_2', new Date(), BODY);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const res = await post(url, BODY, {
        'webhook-id': 'msg_e2e_2',
        'webhook-timestamp': timestamp,
        'webhook-signature': signature,
      });
      expect(res.status).toBe(200);
    });

    it('answers 401 to unsigned, tampered, stale and wrongly signed callbacks', async () => {
      const headers = signWebhook({ secret: SECRET, id: 'msg_e2e_3', timestamp: new Date(), body: BODY });
      const stale = signWebhook({ secret: SECRET, id: 'msg_e2e_4', timestamp: NOW_S - 3600, body: BODY });
      const foreign = signWebhook({
        secret: newSecret(),
        id: 'msg_e2e_5',
        timestamp: new Date(),
        body: BODY,
      });
      const cases: [string, Record<string, string>, WebhookVerificationReason][] = [
        [BODY, {}, 'missing_headers'],
        [BODY.replace('success', 'failed'), headers, 'bad_signature'],
        [
          BODY,
          { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) },
          'bad_signature',
        ],
        [BODY, stale, 'timestamp_too_old'],
        [BODY, foreign, 'bad_signature'],
        [BODY, { ...headers, 'webhook-signature': 'v1,' }, 'malformed_signature'],
      ];
      for (const [body, h, reason] of cases) {
        const res = await post(url, body, h);
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ error: reason });
      }
      expect(received.map((r) => r.webhookId)).not.toContain('msg_e2e_3');
    });

    it('answers 413 to an oversized body and 405 to other methods', async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(100 * 1024) });
      const headers = signWebhook({ secret: SECRET, id: 'msg_big', timestamp: new Date(), body: big });
      expect((await post(url, big, headers)).status).toBe(413);
      expect((await fetch(url)).status).toBe(405);
    });
  });

  describe('run with tsx as README says', () => {
    let child: ChildProcess;
    let url: string;
    let output = '';

    beforeAll(async () => {
      const file = fileURLToPath(new URL('../src/security/examples/verify-receiver.ts', import.meta.url));
      child = spawn(process.execPath, ['--import', 'tsx', file], {
        env: { ...process.env, PULSE_WEBHOOK_SECRET: SECRET, PORT: '0', HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver did not start: ${output}`)), 30_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('exit', (code) => reject(new Error(`receiver exited with ${code}: ${output}`)));
      });
    });
    afterAll(async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    });

    it('answers 200 to a signed callback and 401 to an unsigned one', async () => {
      const headers = signWebhook({ secret: SECRET, id: 'msg_child_1', timestamp: new Date(), body: BODY });
      expect((await post(url, BODY, headers)).status).toBe(200);
      expect((await post(url, BODY)).status).toBe(401);
      expect(output).toContain('verified msg_child_1:');
    });
  });
});
