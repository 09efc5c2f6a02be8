/** A running task workflow's own state, asked with the `taskState` query, which only a polling worker answers. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { taskStateQuery } from '../../shared/task-messages.js';
import type { TaskState } from '../../shared/task-types.js';

// Short: a query with no worker polling waits out the whole deadline, and each caller has a fallback nearly as good
// (what the workflow keeps in its memo and search attributes).
const QUERY_DEADLINE_MS = 2000;

/** The workflow's `taskState`; rejects when no worker answers within the deadline. */
export function liveTaskState(client: Client, handle: WorkflowHandle): Promise<TaskState> {
  return client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(taskStateQuery));
}
