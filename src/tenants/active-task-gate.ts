/**
 * A tenant's `active_tasks` limit, held for requests that follow each other and for requests at the same time.
 *
 * Temporal's visibility, which counts a tenant's tasks, shows a new task only once the server has written its record:
 * milliseconds later on a quiet dev server, seconds on a loaded cluster. Counted from visibility alone, a script that
 * schedules twice in a row could pass a limit of one. So the gate remembers the tasks this process made until
 * visibility shows them (at most `RECENT_MS`) and adds those it does not show yet; and it checks and makes one
 * tenant's new tasks one at a time, so two requests at once cannot both see the last free place. Several API
 * processes each hold their own memory: across them the limit can be passed by the requests in flight at once.
 */
import { ForbiddenError } from '../errors.js';
import { createKeyedLock } from '../tasks/keyed-lock.js';

/** How long a task made here is counted without visibility showing it. */
export const RECENT_MS = 60_000;

/** The tenant's active tasks as visibility counts them, and which of `recent` it shows (in any state). */
export type CountActive = (
  tenant: string,
  recent: readonly string[],
) => Promise<{ readonly active: number; readonly shown: ReadonlySet<string> }>;

export interface AdmitSteps<T> {
  /** The task an earlier request with the same idempotency key made, if any: answered without a check. */
  readonly earlier?: () => Promise<T | undefined>;
  /** Makes the task. */
  readonly create: () => Promise<T>;
}

export interface ActiveTaskGate {
  /** Makes task `taskId` for `tenant` if it has fewer than `limit` active tasks; a 403 otherwise. */
  admit<T>(tenant: string, limit: number, taskId: string, steps: AdmitSteps<T>): Promise<T>;
  /** The task ended or was cancelled here: no longer counted while visibility catches up. */
  forget(taskId: string): void;
}

export function createActiveTaskGate(count: CountActive, now: () => number = Date.now): ActiveTaskGate {
  /** Per tenant, the tasks made here that visibility did not show at the last count, with when they were made. */
  const recent = new Map<string, Map<string, number>>();
  /** One request of a tenant at a time: checked and made before the next is checked. */
  const oneAtATime = createKeyedLock();

  /** Visibility's count, plus the tasks made here that it does not show yet; forgets those it shows. */
  async function activeOf(tenant: string): Promise<number> {
    const made = recent.get(tenant) ?? new Map<string, number>();
    for (const [id, at] of made) if (now() - at > RECENT_MS) made.delete(id);
    const { active, shown } = await count(tenant, [...made.keys()]);
    for (const id of shown) made.delete(id);
    if (made.size === 0) recent.delete(tenant);
    return active + made.size;
  }

  return {
    admit(tenant, limit, taskId, steps) {
      return oneAtATime(tenant, async () => {
        const earlier = await steps.earlier?.();
        if (earlier !== undefined) return earlier;
        const active = await activeOf(tenant);
        if (active >= limit) {
          throw new ForbiddenError(
            'ACTIVE_TASK_LIMIT',
            `Tenant '${tenant}' has ${active} active tasks, its limit (active_tasks: ${limit}); cancel one or wait for one to finish.`,
          );
        }
        const made = await steps.create();
        const mine = recent.get(tenant) ?? new Map<string, number>();
        mine.set(taskId, now());
        recent.set(tenant, mine);
        return made;
      });
    },
    forget(taskId) {
      for (const [tenant, made] of recent) {
        made.delete(taskId);
        if (made.size === 0) recent.delete(tenant);
      }
    },
  };
}
