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
  /** The agent service refused our credentials (401/403). Not retried. */
  AgentAuthError: 'PulseAgentAuthError',
  /** The agent service refused the request itself (400/404/422). Not retried. */
  AgentValidationError: 'PulseAgentValidationError',
  /** The agent ran and reported a failure of its own. Not retried. */
  AgentError: 'PulseAgentError',
  /** The SSRF guard refused to connect to the destination. Not retried. */
  DestinationRefused: 'PulseDestinationRefused',
  /** The far side answered 408, 429 or 5xx: worth another attempt. */
  TransientHttpError: 'PulseTransientHttpError',
  /** The far side answered with a permanent error (4xx other than 408/429). */
  PermanentHttpError: 'PulsePermanentHttpError',
} as const;
