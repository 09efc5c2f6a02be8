/**
 * A run handed out ahead of its due time (tenants, `runLeadMs`; `workflows/run-ahead.ts`) waits here, in the worker,
 * until then, and starts only if its task still wants it. While it waited the task may have been cancelled, paused,
 * rescheduled or amended: each withdraws the run, that is, asks Temporal to cancel this activity. A cancel reaches
 * an activity only with a heartbeat's answer, and heartbeating through the wait would cost the server a write each
 * time; instead the activity looks at its workflow once, just before the due time, when the task is settled.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { AHEAD_SETTLED_MS } from '../src/shared/run-ahead.js';
import type { ExecutionRequest } from '../src/shared/task-types.js';
import { TenantTurns } from './tenant-turns.js';

/** One worker's runs due at the same instant start in turns between tenants. */
const turns = new TenantTurns();

const { PENDING_ACTIVITY_STATE_CANCEL_REQUESTED } = proto.temporal.api.enums.v1.PendingActivityState;

/** How often the activity looks again while its workflow has a message to answer (a change, a cancel). */
const LOOK_AGAIN_MS = 100;
/** How long it waits for such an answer before it starts anyway. */
const ANSWER_WAIT_MS = 30_000;
/** How long a withdrawn run waits for Temporal's cancellation to reach it before it ends on its own. */
const CANCEL_REACH_MS = 10_000;

/**
 * Holds a run handed out ahead until its due time; returns when it is to start, throws (cancelled) when it was
 * withdrawn. Any other run (no `notBeforeMs`, or a retry after the due time) returns at once.
 */
export async function holdUntilDue(request: ExecutionRequest): Promise<void> {
  const context = Context.current();
  const { notBeforeMs } = request;
  // A retry after the due time runs at once (a cancel stops retries in the server); one before it (its worker was
  // shut down while holding the run) waits like the first attempt.
  if (notBeforeMs === undefined || (context.info.attempt > 1 && Date.now() >= notBeforeMs)) return;
  const until = async (ms: number) => (ms > Date.now() ? context.sleep(ms - Date.now()) : undefined);
  // The look is made when the task is settled (no change is accepted after it), so it is not on the run's way.
  await until(notBeforeMs - AHEAD_SETTLED_MS);
  if (await stillWanted(context)) {
    // The tenant's turn: its fairness key and weight, as Temporal's matching used them to hand the run out.
    const { fairnessKey, fairnessWeight } = context.info.priority ?? {};
    const turn = turns.at(notBeforeMs, fairnessKey ?? request.tenant ?? '', fairnessWeight ?? 1);
    return Promise.race([turn, context.cancelled]);
  }
  // Withdrawn. This activity's first heartbeat goes out at once, and its answer carries the cancel (or says the
  // workflow has ended), which ends the activity as cancelled.
  context.heartbeat();
  await Promise.race([context.cancelled, context.sleep(CANCEL_REACH_MS)]);
  throw ApplicationFailure.nonRetryable('the run was withdrawn before its due time', 'RunWithdrawn');
}

/**
 * Whether the workflow still wants this run: it is running, has not asked to cancel this activity, and this attempt
 * is the activity's current one. A message it has not answered yet (its workflow task is pending) may be a change
 * or a cancel made before the due time, so the activity waits for the answer before it decides.
 */
async function stillWanted(context: Context): Promise<boolean> {
  const { workflowExecution, activityId } = context.info;
  if (!workflowExecution) return true;
  const handle = context.client.workflow.getHandle(workflowExecution.workflowId, workflowExecution.runId);
  const deadline = Date.now() + ANSWER_WAIT_MS;
  for (;;) {
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
    if (description.status.name !== 'RUNNING') return false;
    const mine = description.raw.pendingActivities?.find((activity) => activity.activityId === activityId);
    if (!mine || mine.state === PENDING_ACTIVITY_STATE_CANCEL_REQUESTED) return false;
    // An attempt the server already gave up on (timed out) and retried is not this one to run.
    if (mine.attempt !== context.info.attempt) return false;
    if (!description.raw.pendingWorkflowTask || Date.now() >= deadline) return true;
    context.heartbeat();
    await context.sleep(LOOK_AGAIN_MS);
  }
}
