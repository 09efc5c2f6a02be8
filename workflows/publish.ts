/** Writes of a task's status and latest run to visibility (what the Web UI and `temporal workflow list` show). */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { PulseChangedAt } from '../src/shared/search-attributes.js';
import { summarize } from './run-agent.js';
import type { Deliverer } from './callback.js';
import type { TaskEntity } from './task-entity.js';

/** Writes search attributes, stamped with the moment of the write (`PulseChangedAt`): every write a task makes. */
export const writeAttributes = (attributes: readonly SearchAttributeUpdatePair[]): void =>
  upsertSearchAttributes([...attributes, { key: PulseChangedAt, value: new Date() }]);

/** The task's status search attributes, as they read now. */
export const publish = (task: TaskEntity): void => writeAttributes(task.statusAttributes());

/** The status, and the latest run (if any) in the memo. */
export function publishRun(task: TaskEntity): void {
  publish(task);
  if (task.latest) upsertMemo({ run: summarize(task.latest) });
}

/** The points of a run at which its progress may be published. */
export interface Progress {
  /** The run is about to start. */
  runStarting(): void;
  /** The run ended; its record is the task's latest. */
  runEnded(): void;
  /** How the callback is delivered (absent: one retried activity). */
  readonly deliver?: Deliverer;
  /** The callback's delivery settled. */
  callbackSettled(delivery: 'delivered' | 'failed' | 'skipped'): void;
  /** The run closes without a callback. */
  closingWithoutCallback(): void;
}
