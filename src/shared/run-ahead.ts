/**
 * How long before its due time a run handed out ahead (tenants, `runLeadMs`) is settled: a change to the task later
 * than this is refused as a change to a started run, and the worker holding the run decides then whether it starts
 * (`activities/run-ahead.ts`), so that look is done before the due time, not on the run's way.
 */
export const AHEAD_SETTLED_MS = 250;
