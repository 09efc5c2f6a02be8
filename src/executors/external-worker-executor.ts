import { permanentFailure } from '../errors.js';
import { EXTERNAL_EXECUTOR } from '../shared/executor-names.js';
import { FailureType } from '../shared/failure-types.js';
import type { Executor } from './executor.js';

/**
 * Generic tasks without a `webhook_url` are run by the user's own workers through poll/claim/ack; the workflow
 * waits for them instead of calling an activity. Registered so the choice is explicit and listed by
 * `GET /executors`; it never runs anything itself.
 */
export function createExternalWorkerExecutor(): Executor {
  return {
    name: EXTERNAL_EXECUTOR,
    description: 'Hands generic tasks to external workers: GET /tasks/poll, POST /tasks/{id}/claim and /ack.',
    isAvailable: () => ({ available: true }),
    validateParams: () => [],
    async execute() {
      throw permanentFailure(
        FailureType.UnknownExecutor,
        'external-worker tasks are run by external workers, not by Pulse',
      );
    },
  };
}
