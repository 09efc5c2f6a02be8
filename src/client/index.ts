/** The `pulse/client` package entry: the typed client, its errors and the API's wire types. */
export {
  PulseClient,
  type FetchLike,
  type ListOptions,
  type PreviewWhenOptions,
  type PulseClientOptions,
  type ScheduleAgentOptions,
  type ScheduleHttpOptions,
  type ScheduleOptions,
  type WaitForResultOptions,
  type AckInput,
  type ClaimResult,
  type PolledTask,
  type PollResult,
  type WorkHandler,
  type WorkOptions,
} from './pulse-client.js';
export { verifyWebhook, WebhookVerificationError } from '../security/webhook-signature.js';
export {
  PulseApiError,
  PulseAuthError,
  PulseClientError,
  PulseConflictError,
  PulseConnectionError,
  PulseNotFoundError,
  PulseRateLimitedError,
  PulseServerError,
  PulseTimeoutError,
  PulseValidationError,
  PulseWaitTimeoutError,
} from './errors.js';
export type * from './types.js';
