/**
 * `ApplicationFailure` type names shared by workflows, activities and the API, so a failure raised on one side
 * is recognised on the other without string drift.
 */
export const FailureType = {
  /** The run failed; the workflow fails with this type and the RunRecord as its only detail. */
  RunFailed: 'PulseRunFailed',
  /** An update asked for a change the task's current state does not allow. */
  InvalidStateChange: 'PulseInvalidStateChange',
  /** The task names an executor that is not registered on this worker. */
  UnknownExecutor: 'PulseUnknownExecutor',
  /** The executor refused the task's parameters. */
  InvalidParams: 'PulseInvalidParams',
  /** The far side answered with a permanent error (4xx other than 408/429). */
  PermanentHttpError: 'PulsePermanentHttpError',
} as const;
