/**
 * What a run writes to visibility, and when. Every write makes the server rewrite the task's visibility row, so a
 * task writes only what a reader cannot infer: a started run is inferred from `PulseStatus = 'active'` with a
 * `PulseDueAt` in the past (the API's status rules do so), and its outcome is written in the workflow task that
 * closes the run, which the server folds into the close. Tasks made before this rule replay with the writes their
 * histories recorded (`publishesAtOnce`, and the quiet start of version 2 in `legacy/`).
 */
import { PulseCallbackStatus } from '../src/shared/search-attributes.js';
import { quietStart } from './legacy/quiet-start.js';

export type { Progress } from './publish.js';
import { publishRun, writeAttributes, type Progress } from './publish.js';
import type { TaskEntity } from './task-entity.js';

const outcome = (delivery: 'delivered' | 'failed' | 'skipped') => ({
  key: PulseCallbackStatus,
  value: delivery,
});

/** Input version 3 on: nothing until the run closes, then status and callback outcome in one write. */
function publishesAtClose(task: TaskEntity): Progress {
  return {
    runStarting: () => undefined,
    runEnded: () => undefined,
    callbackSettled: (delivery) => writeAttributes([...task.statusAttributes(), outcome(delivery)]),
    closingWithoutCallback: () => publishRun(task),
  };
}

/**
 * Every step at once: input version 1, and every external-worker task (a poll must stop offering a task as soon as
 * its worker acked it, so its end is published without waiting for the callback).
 */
function publishesAtOnce(task: TaskEntity): Progress {
  return {
    runStarting: () => publishRun(task),
    runEnded: () => publishRun(task),
    callbackSettled: (delivery) => writeAttributes([outcome(delivery)]),
    closingWithoutCallback: () => undefined,
  };
}

/** The progress rule a task's histories were recorded with. */
export function progressOf(task: TaskEntity): Progress {
  const version = task.input.version ?? 1;
  if (task.external || version === 1) return publishesAtOnce(task);
  if (version === 2) return quietStart(task);
  return publishesAtClose(task);
}
