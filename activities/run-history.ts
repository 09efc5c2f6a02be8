import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { RunRecord } from '../src/shared/task-types.js';
import { quote, runsOfSchedule } from '../src/tasks/visibility-query.js';
import { ifExists } from '../src/temporal/temporal-errors.js';
import type { RunHistory } from '../workflows/delivery-policy.js';

export interface RunHistoryInput {
  /** The recurring task (its schedule id). */
  readonly taskId: string;
  /** This run's workflow, left out of its own history. */
  readonly workflowId: string;
  /** When this run's workflow started: runs started later are not earlier runs. */
  readonly startedAtMs: number;
  /** How many earlier runs to read. */
  readonly limit: number;
}

/**
 * The earlier runs of a recurring task, for one of its runs: read from visibility (each run keeps its record in its
 * memo), with the schedule's next action time. Visibility is eventually consistent: a run that ended moments
 * before this one started may not be listed yet (docs/agent-runs.md says so).
 */
export function createReadRunHistory(clientOf: () => Client = () => Context.current().client) {
  return async function readRunHistory(input: RunHistoryInput): Promise<RunHistory> {
    const client = clientOf();
    const query =
      `${runsOfSchedule(input.taskId)} AND WorkflowId != ${quote(input.workflowId)}` +
      ` AND StartTime <= ${quote(new Date(input.startedAtMs).toISOString())}`;
    const previous: RunRecord[] = [];
    let read = 0;
    for await (const info of client.workflow.list({ query, pageSize: input.limit })) {
      const run = info.memo?.run as RunRecord | undefined;
      if (run?.status) previous.push(run);
      if (++read >= input.limit) break;
    }
    previous.sort((a, b) => b.startedAtMs - a.startedAtMs);
    const { count } = await client.workflow.count(query);
    const description = await ifExists(input.taskId, () =>
      client.schedule.getHandle(input.taskId).describe(),
    );
    const next = description?.info.nextActionTimes[0];
    return { number: count + 1, previous, nextRunAtMs: next ? next.getTime() : null };
  };
}
