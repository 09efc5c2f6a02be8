/**
 * The calendar feed on a real dev server with auth on: feed tokens made, listed and revoked with the API key and
 * stored hashed; the feed fetched as a calendar app does (no headers), parsed back with ical.js, one event per
 * upcoming occurrence with a stable UID; the API key never accepted in a URL; a revoked or unknown token a 404
 * that says nothing about tokens, on every API instance sharing the data dir.
 */
import ICAL from 'ical.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPulseApiOnly } from './helpers/pulse.js';
import { useStack } from './helpers/stack.js';

const KEY = 'calendar-test-key';
const AUTH = { authorization: `Bearer ${KEY}` };
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pulse-calendar-'));
const { env, pulse } = useStack({ pulse: { apiKeys: [KEY], dataDir } });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface FeedEvent {
  uid: string;
  summary: string;
  start: string;
  url: string | null;
}

/** Fetches a feed as a calendar app does: a plain GET, no headers. */
async function fetchFeed(url: string) {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

function parseFeed(text: string): FeedEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(text));
  expect(calendar.name).toBe('vcalendar');
  return calendar.getAllSubcomponents('vevent').map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      summary: event.summary,
      start: event.startDate.toJSDate().toISOString(),
      url: (component.getFirstPropertyValue('url') as string | null) ?? null,
    };
  });
}

async function schedule(body: Record<string, unknown>) {
  const response = await pulse.call(
    'POST',
    '/tasks/schedule',
    { schedule_type: 'http_request', payload: { url: 'http://127.0.0.1:9/never-called' }, ...body },
    AUTH,
  );
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as { task_id: string; next_execution: string; ui_url: string };
}

async function createToken(body?: unknown) {
  const response = await pulse.call('POST', '/calendar/tokens', body, AUTH);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; token: string; url: string; label: string | null };
}

describe('the calendar feed', () => {
  it('token lifecycle: made with the API key, stored hashed, listed without the token, revoked', async () => {
    expect((await pulse.call('POST', '/calendar/tokens', { label: 'x' })).status).toBe(401);
    expect((await pulse.call('GET', '/calendar/tokens')).status).toBe(401);

    const created = await createToken({ label: 'ops calendar', filters: { schedule_type: 'http_request' } });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^cal_[0-9a-f]{16}$/),
      label: 'ops calendar',
      filters: { schedule_type: 'http_request' },
      created_at: expect.any(String),
      token: expect.stringMatching(/^pcal_[A-Za-z0-9_-]{43}$/),
    });
    expect(created.url).toBe(`${pulse.baseUrl}/calendar.ics?token=${created.token}`);
    const bad = await pulse.call('POST', '/calendar/tokens', { filters: { status: 'failed' } }, AUTH);
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ field: 'filters.status', message: 'unknown field' }]);
    // No body at all: a feed of every task, without a label.
    const bare = await createToken();
    expect(bare).toMatchObject({ label: null, filters: {} });

    const stored = readFileSync(path.join(dataDir, 'calendar-tokens.json'), 'utf8');
    expect(stored).not.toContain(created.token);
    expect(stored).not.toContain(bare.token);
    expect(stored).toContain(
      (await import('node:crypto')).createHash('sha256').update(created.token).digest('hex'),
    );

    const listed = await pulse.call('GET', '/calendar/tokens', undefined, AUTH);
    expect(listed.status).toBe(200);
    expect(listed.body.count).toBe(listed.body.tokens.length);
    const entry = listed.body.tokens.find((t: { id: string }) => t.id === created.id);
    expect(Object.keys(entry).sort()).toEqual(['created_at', 'filters', 'id', 'label']);
    expect(JSON.stringify(listed.body)).not.toContain(created.token);

    expect((await fetchFeed(created.url)).status).toBe(200);
    const revoked = await pulse.call('DELETE', `/calendar/tokens/${created.id}`, undefined, AUTH);
    expect(revoked).toEqual({ status: 200, body: { id: created.id, revoked: true } });
    const gone = await fetchFeed(created.url);
    expect(gone.status).toBe(404);
    expect(JSON.parse(gone.text)).toEqual({ detail: 'No route for GET /calendar.ics.', code: 'NOT_FOUND' });
    expect((await pulse.call('DELETE', `/calendar/tokens/${created.id}`, undefined, AUTH)).status).toBe(404);
    const after = await pulse.call('GET', '/calendar/tokens', undefined, AUTH);
    expect(after.body.tokens.map((t: { id: string }) => t.id)).not.toContain(created.id);
    expect((await pulse.call('DELETE', `/calendar/tokens/${bare.id}`, undefined, AUTH)).status).toBe(200);
  });

  it('serves one VEVENT per upcoming occurrence, with stable UIDs, to a client sending no headers', async () => {
    const daily = await schedule({
      when: 'daily at 9am',
      timezone: 'Europe/Berlin',
      metadata: { name: 'digest' },
    });
    const once = await schedule({ when: 'in 2 hours', metadata: { name: 'invoice run' } });
    const { url } = await createToken({ label: 'all tasks' });

    const feed = await fetchFeed(url);
    expect(feed.status).toBe(200);
    expect(feed.type).toBe('text/calendar; charset=utf-8');
    expect(feed.text).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(feed.text).toContain('X-WR-CALNAME:Pulse: all tasks');
    const events = parseFeed(feed.text);

    const onceEvents = events.filter((e) => e.uid.startsWith(`${once.task_id}/`));
    expect(onceEvents).toEqual([
      {
        uid: `${once.task_id}/${new Date(once.next_execution).toISOString()}@pulse`,
        summary: 'invoice run (http_request)',
        // iCalendar times are to the second.
        start: new Date(Math.floor(Date.parse(once.next_execution) / 1000) * 1000).toISOString(),
        url: expect.stringContaining(`/workflows/${once.task_id}`),
      },
    ]);
    // A month ahead of a daily task: 31 or 32 times at 09:00 Berlin, each its own event.
    const dailyEvents = events.filter((e) => e.uid.startsWith(`${daily.task_id}/`));
    expect(dailyEvents.length).toBeGreaterThanOrEqual(31);
    expect(new Set(dailyEvents.map((e) => e.uid)).size).toBe(dailyEvents.length);
    expect(dailyEvents[0]).toMatchObject({
      summary: 'digest (http_request)',
      start: new Date(daily.next_execution).toISOString(),
    });
    for (const event of dailyEvents) {
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date(event.start));
      expect(local).toBe('09:00');
    }

    // Fetched again, the same events keep the same UIDs, so calendar apps update rather than duplicate.
    const again = parseFeed((await fetchFeed(url)).text);
    expect(again.map((e) => e.uid)).toEqual(events.map((e) => e.uid));

    // A token's filters are the feed's: only the one-time task.
    const only = await createToken({ filters: { task_id: once.task_id } });
    expect(parseFeed((await fetchFeed(only.url)).text).map((e) => e.uid)).toEqual([onceEvents[0]!.uid]);

    // A cancelled task leaves the feed.
    expect((await pulse.call('DELETE', `/tasks/${once.task_id}`, undefined, AUTH)).status).toBe(200);
    expect(parseFeed((await fetchFeed(only.url)).text)).toEqual([]);
    await pulse.call('DELETE', `/tasks/${daily.task_id}`, undefined, AUTH);
  });

  it('never accepts the API key in a URL', async () => {
    for (const name of ['key', 'api_key', 'apiKey', 'token', 'access_token']) {
      const query = `?${name}=${encodeURIComponent(KEY)}`;
      expect((await pulse.call('GET', `/calendar/tokens${query}`)).status, name).toBe(401);
      expect((await pulse.call('GET', `/occurrences${query}`)).status, name).toBe(401);
      expect((await pulse.call('POST', `/calendar/tokens${query}`, {})).status, name).toBe(401);
      const feed = await fetchFeed(`${pulse.baseUrl}/calendar.ics${query}`);
      expect(feed.status, name).toBe(404);
      expect(feed.text).not.toContain('BEGIN:VCALENDAR');
    }
    // Nor does a feed token open anything but its feed.
    const { token } = await createToken();
    expect(
      (await pulse.call('GET', '/occurrences', undefined, { authorization: `Bearer ${token}` })).status,
    ).toBe(401);
    expect((await pulse.call('GET', `/calendar/tokens?token=${token}`)).status).toBe(401);
    // Unknown, malformed and missing tokens read like a route that does not exist.
    for (const query of ['?token=pcal_unknown', '?token=', '']) {
      const feed = await fetchFeed(`${pulse.baseUrl}/calendar.ics${query}`);
      expect(feed.status).toBe(404);
      expect(JSON.parse(feed.text)).toEqual({ detail: 'No route for GET /calendar.ics.', code: 'NOT_FOUND' });
    }
  });

  it('a label with a line break is refused (it would be a line of the feed); the feed ends in CRLF', async () => {
    const injected = await pulse.call('POST', '/calendar/tokens', { label: 'a\r\nX-INJECT:1' }, AUTH);
    expect(injected.status, JSON.stringify(injected.body)).toBe(422);
    expect(JSON.stringify(injected.body)).toContain('must not contain control characters');
    const feed = await fetchFeed((await createToken({ label: 'plain' })).url);
    expect(feed.text.endsWith('END:VCALENDAR\r\n')).toBe(true);
  });

  it('a feed made while Pulse had no tenants is no feed once tenants are on (it would show every tenant)', async () => {
    const { token } = await createToken({ label: 'from single-tenant days' });
    const tenantsFile = path.join(dataDir, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ admin_keys: [], tenants: [] }));
    // The same data dir (where the feed tokens are), now with a tenants file.
    const withTenants = await startPulseApiOnly(env, pulse.taskQueue, pulse.executors, {
      dataDir,
      tenantsFile,
    });
    try {
      expect((await fetchFeed(`${pulse.baseUrl}/calendar.ics?token=${token}`)).status).toBe(200);
      const refused = await fetchFeed(`${withTenants.baseUrl}/calendar.ics?token=${token}`);
      expect(refused.status).toBe(404);
      expect(JSON.parse(refused.text)).toEqual({
        detail: 'No route for GET /calendar.ics.',
        code: 'NOT_FOUND',
      });
    } finally {
      await withTenants.stop();
    }
  });

  it('a token revoked on one API instance is refused by another sharing the data dir', async () => {
    const other = await startPulseApiOnly(env, pulse.taskQueue, pulse.executors, { apiKeys: [KEY], dataDir });
    try {
      const { id, token } = await createToken({ label: 'shared' });
      const onOther = `${other.baseUrl}/calendar.ics?token=${token}`;
      expect((await fetchFeed(onOther)).status).toBe(200);
      expect((await other.call('DELETE', `/calendar/tokens/${id}`, undefined, AUTH)).status).toBe(200);
      expect((await fetchFeed(`${pulse.baseUrl}/calendar.ics?token=${token}`)).status).toBe(404);
      expect((await fetchFeed(onOther)).status).toBe(404);
    } finally {
      await other.stop();
    }
  });
});
