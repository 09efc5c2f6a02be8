/**
 * The `active_tasks` gate without Temporal: `visible` stands for what visibility shows (a test's own table, since
 * the lag this guards against cannot be produced on demand by a real server); the e2e form is in tenants.e2e.
 */
import { describe, expect, it } from 'vitest';
import { RECENT_MS, createActiveTaskGate } from '../src/tenants/active-task-gate.js';

/** A visibility that shows the ids in `visible` (each active unless in `closed`), and a clock to move. */
function world() {
  const visible = new Set<string>();
  const closed = new Set<string>();
  const made: string[] = [];
  const asked: string[][] = [];
  let clock = 1_000_000;
  const gate = createActiveTaskGate(
    async (_tenant, recent) => {
      asked.push([...recent]);
      return {
        active: [...visible].filter((id) => !closed.has(id)).length,
        shown: new Set(recent.filter((id) => visible.has(id))),
      };
    },
    () => clock,
  );
  const admit = (id: string, limit = 1) =>
    gate.admit('t', limit, id, {
      create: async () => {
        made.push(id);
        return id;
      },
    });
  return { gate, visible, closed, made, asked, admit, tick: (ms: number) => (clock += ms) };
}

describe('the active_tasks gate', () => {
  it('counts a task made a moment ago that visibility does not show yet', async () => {
    const w = world();
    await expect(w.admit('a')).resolves.toBe('a');
    await expect(w.admit('b')).rejects.toMatchObject({
      status: 403,
      code: 'ACTIVE_TASK_LIMIT',
      detail:
        "Tenant 't' has 1 active tasks, its limit (active_tasks: 1); cancel one or wait for one to finish.",
    });
    expect(w.made).toEqual(['a']);
  });

  it('counts it once when visibility shows it, and not at all when it closed', async () => {
    const w = world();
    await w.admit('a', 2);
    w.visible.add('a');
    await expect(w.admit('b', 2)).resolves.toBe('b');
    w.visible.add('b');
    await expect(w.admit('c', 2)).rejects.toMatchObject({ detail: expect.stringContaining('has 2 active') });
    // Shown by visibility, so no longer remembered: closing it frees the place.
    w.closed.add('a');
    await expect(w.admit('c', 2)).resolves.toBe('c');
    expect(w.asked.at(-1), 'nothing remembered once shown').toEqual([]);
  });

  it('requests at the same moment: exactly the limit of them make a task', async () => {
    const w = world();
    const outcomes = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((id) => w.admit(id, 2)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    expect(w.made).toEqual(['a', 'b']);
  });

  it('a cancelled task and one never shown for RECENT_MS are no longer counted', async () => {
    const w = world();
    await w.admit('a');
    w.gate.forget('a');
    await expect(w.admit('b')).resolves.toBe('b');
    w.tick(RECENT_MS + 1);
    await expect(w.admit('c')).resolves.toBe('c');
  });

  it('an idempotent repeat is answered without a check; a failed start is not counted', async () => {
    const w = world();
    await w.admit('a');
    const again = await w.gate.admit('t', 1, 'a', {
      earlier: async () => 'a (earlier)',
      create: async () => 'never',
    });
    expect(again).toBe('a (earlier)');
    w.gate.forget('a');
    await expect(
      w.gate.admit('t', 1, 'x', {
        create: async () => {
          throw new Error('Temporal said no');
        },
      }),
    ).rejects.toThrow('Temporal said no');
    await expect(w.admit('b')).resolves.toBe('b');
  });
});
