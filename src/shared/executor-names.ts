/** Executor name of generic tasks handed to external workers (poll/claim/ack) instead of run by Pulse. */
export const EXTERNAL_EXECUTOR = 'external';
