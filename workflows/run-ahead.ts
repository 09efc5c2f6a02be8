/**
 * A run handed out ahead of its due time (tenants, `runLeadMs`; docs/tenants.md, "Runs handed out ahead"). The run's
 * activity is scheduled `runLeadMs` early and waits in the worker until the due time (`activities/run-ahead.ts`), so
 * Temporal's part of starting it (the timer, a workflow task, the activity's dispatch) is done before the due time
 * instead of in the rush when thousands of runs are due at once. Until just before the due time the task can still
 * change: a change withdraws the run (its activity is cancelled, sees that when its wait ends, and does not start)
 * and the task waits again.
 */
import { CancellationScope } from '@temporalio/workflow';
import { EXTERNAL_EXECUTOR } from '../src/shared/executor-names.js';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS, type RunOutcome } from './run-agent.js';
import { AHEAD_SETTLED_MS } from '../src/shared/run-ahead.js';
import type { ResolvedInput, TaskEntity } from './task-entity.js';

/** The run waits without heartbeating, so it must start this long before its heartbeat timeout ends. */
const HEARTBEAT_MARGIN_MS = 2000;

/** How long ahead of its due time the task's run is handed out; 0: when due, as without tenants. */
export function runLeadOf(input: ResolvedInput): number {
  const leadMs = input.runLeadMs ?? 0;
  // A budget is checked at the due time, and an external worker's task has no run of Pulse's to hand out.
  if (leadMs <= 0 || input.budget || input.executor === EXTERNAL_EXECUTOR) return 0;
  const heartbeatTimeoutMs = input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  return Math.max(0, Math.min(leadMs, heartbeatTimeoutMs - HEARTBEAT_MARGIN_MS));
}

/** Whether the task's run is to be handed out ahead now: it has a lead and is not about to start anyway. */
export function handsOutAhead(task: TaskEntity, leadMs: number): boolean {
  return leadMs > 0 && Date.now() < task.dueAtMs - AHEAD_SETTLED_MS;
}

/** One run handed out ahead: when it may start, and whether a change withdrew it. */
export interface AheadRun {
  readonly notBeforeMs: number;
  withdrawn: boolean;
}

/**
 * Hands the run out ahead and waits for it: its outcome, or `undefined` when a change withdrew it. A cancel before
 * the run starts ends the task at once, without waiting for the worker to let the run go.
 */
export async function runAhead(
  task: TaskEntity,
  start: (ahead: AheadRun) => Promise<RunOutcome>,
): Promise<RunOutcome | undefined> {
  const ahead: AheadRun = { notBeforeMs: task.dueAtMs, withdrawn: false };
  const scope = new CancellationScope();
  let withdrawal!: () => void;
  const withdrawn = new Promise<undefined>((resolve) => (withdrawal = () => resolve(undefined)));
  const cancelledBeforeStart = new Promise<never>((_, reject) => {
    CancellationScope.current().cancelRequested.catch((err: unknown) => {
      if (task.waiting) reject(err);
    });
  });
  task.ahead = {
    startsAtMs: ahead.notBeforeMs,
    withdraw: () => {
      ahead.withdrawn = true;
      scope.cancel();
      withdrawal();
    },
  };
  const running = scope.run(() => start(ahead));
  // A withdrawn run's activity ends later (cancelled); nothing waits for it.
  running.catch(() => undefined);
  const outcome = await Promise.race([running, withdrawn, cancelledBeforeStart]);
  if (outcome) {
    task.status = 'processing';
    task.ahead = undefined;
  }
  return outcome;
}
