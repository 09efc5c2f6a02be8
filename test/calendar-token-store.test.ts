/** The feed token store on a real file: hashed at rest, writes serialized, revocation seen by a second store. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFeedTokenStore } from '../src/calendar/feed-token-store.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the feed token store', () => {
  it('keeps every one of many tokens made at once, only as hashes, in a private file', async () => {
    const file = path.join(dir, 'nested', 'calendar-tokens.json');
    const store = createFeedTokenStore({ file, now: () => new Date('2030-01-01T00:00:00Z') });
    expect(await store.list()).toEqual([]);
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.create({ label: `feed ${i}`, filters: {} })),
    );
    expect(new Set(made.map((t) => t.token)).size).toBe(20);
    expect((await store.list()).map((t) => t.label).sort()).toEqual(made.map((t) => t.label).sort());
    const text = readFileSync(file, 'utf8');
    for (const { token } of made) expect(text).not.toContain(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const [first] = made;
    expect(await store.find(first!.token)).toEqual({
      id: first!.id,
      label: 'feed 0',
      filters: {},
      created_at: '2030-01-01T00:00:00.000Z',
    });
    expect(await store.find(`${first!.token}x`)).toBeUndefined();
    expect(await store.find(first!.id)).toBeUndefined();
  });

  it('a token revoked through one store is unknown to another on the same file', async () => {
    const file = path.join(dir, 'shared.json');
    const a = createFeedTokenStore({ file });
    const b = createFeedTokenStore({ file });
    const { id, token } = await a.create({ label: null, filters: { task_id: 'task_1' } });
    expect(await b.find(token)).toMatchObject({ id, filters: { task_id: 'task_1' } });
    expect(await b.revoke(id)).toBe(true);
    expect(await a.find(token)).toBeUndefined();
    expect(await a.revoke(id)).toBe(false);
  });
});
