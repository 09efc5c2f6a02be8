/**
 * The rules of runs handed out ahead, in process: how long ahead (`runLeadOf`), when a task waiting with a run
 * handed out can still change (`TaskEntity`), and the order in which one worker starts runs due at the same instant
 * (`TenantTurns`).
 */
import { describe, expect, it } from 'vitest';
import { TenantTurns } from '../activities/tenant-turns.js';
import { AHEAD_SETTLED_MS } from '../src/shared/run-ahead.js';
import { runLeadOf } from '../workflows/run-ahead.js';
import { TaskEntity, type ResolvedInput } from '../workflows/task-entity.js';

const input = (extra: Partial<ResolvedInput> = {}): ResolvedInput => ({
  taskId: 't1',
  scheduleType: 'http_request',
  payload: { url: 'https://example.com' },
  ...extra,
});

describe('runLeadOf', () => {
  it('is 0 without a lead, with a budget and for an external worker', () => {
    expect(runLeadOf(input())).toBe(0);
    expect(runLeadOf(input({ runLeadMs: 0 }))).toBe(0);
    expect(runLeadOf(input({ runLeadMs: 8000, budget: { maxRuns: 1, period: 'day' } as never }))).toBe(0);
    expect(runLeadOf(input({ runLeadMs: 8000, executor: 'external' }))).toBe(0);
  });

  it('stays short of the heartbeat timeout, since the run waits without heartbeating', () => {
    expect(runLeadOf(input({ runLeadMs: 8000 }))).toBe(8000);
    expect(runLeadOf(input({ runLeadMs: 60_000 }))).toBe(8000);
    expect(runLeadOf(input({ runLeadMs: 8000, heartbeatTimeoutMs: 5000 }))).toBe(3000);
    expect(runLeadOf(input({ runLeadMs: 8000, heartbeatTimeoutMs: 1000 }))).toBe(0);
  });
});

describe('a task with a run handed out ahead', () => {
  it('can change until shortly before its due time; a change withdraws the run', () => {
    const task = new TaskEntity(input(), Date.now() + 5000);
    let withdrawn = 0;
    task.ahead = { startsAtMs: task.dueAtMs, withdraw: () => withdrawn++ };
    expect(task.status).toBe('active');
    expect(() => task.assertNotStarted()).not.toThrow();
    task.reschedule(Date.now() + 60_000);
    expect(withdrawn).toBe(1);
    expect(task.ahead).toBeUndefined();
    task.setPaused(true);
    expect(withdrawn).toBe(1);
  });

  it('is started from the settling time on: processing, and no change is accepted', () => {
    const task = new TaskEntity(input(), Date.now() + AHEAD_SETTLED_MS - 50);
    task.ahead = { startsAtMs: task.dueAtMs, withdraw: () => undefined };
    expect(task.status).toBe('processing');
    expect(task.waiting).toBe(false);
    expect(() => task.assertNotStarted()).toThrow(/only a task that has not started running can be changed/);
    task.status = 'cancelled';
    expect(task.status).toBe('cancelled');
  });
});

describe('TenantTurns', () => {
  it("starts one run of each tenant per turn: a tenant's one run goes with the first of another's hundreds", async () => {
    const turns = new TenantTurns();
    const atMs = Date.now() + 50;
    const started: string[] = [];
    const runs = [
      ...Array.from({ length: 300 }, (_, i) => turns.at(atMs, 'acme').then(() => started.push(`acme-${i}`))),
      turns.at(atMs, 'bravo').then(() => started.push('bravo')),
      ...Array.from({ length: 3 }, (_, i) => turns.at(atMs, 'carol').then(() => started.push(`carol-${i}`))),
    ];
    await Promise.all(runs);
    expect(started.slice(0, 3).sort()).toEqual(['acme-0', 'bravo', 'carol-0']);
    expect(started.indexOf('carol-2')).toBeLessThan(10);
    expect(started).toHaveLength(304);
    // Each tenant's runs keep their order.
    const acme = started.filter((s) => s.startsWith('acme'));
    expect(acme).toEqual(Array.from({ length: 300 }, (_, i) => `acme-${i}`));
  });

  it("starts runs in proportion to the tenants' weights", async () => {
    const turns = new TenantTurns();
    const atMs = Date.now() + 30;
    const started: string[] = [];
    const runs = [
      ...Array.from({ length: 6 }, () => turns.at(atMs, 'heavy', 2).then(() => started.push('heavy'))),
      ...Array.from({ length: 6 }, () => turns.at(atMs, 'light', 1).then(() => started.push('light'))),
      ...Array.from({ length: 2 }, () => turns.at(atMs, 'half', 0.5).then(() => started.push('half'))),
    ];
    await Promise.all(runs);
    // Turn 1: heavy ×2, light; turn 2: heavy ×2, light, half; turn 3: heavy ×2, light; turn 4: light, half; ...
    expect(started.slice(0, 7)).toEqual(['heavy', 'heavy', 'light', 'heavy', 'heavy', 'light', 'half']);
    expect(started.lastIndexOf('heavy')).toBeLessThan(started.lastIndexOf('light'));
    expect(started).toHaveLength(14);
  });

  it('does not start a run before its time', async () => {
    const turns = new TenantTurns();
    const atMs = Date.now() + 120;
    await turns.at(atMs, 'acme');
    expect(Date.now()).toBeGreaterThanOrEqual(atMs - 1);
  });
});
