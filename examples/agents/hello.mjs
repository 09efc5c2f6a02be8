/**
 * A sample agent for the local executor: a JavaScript module under LOCAL_AGENT_PATH, each exported function an
 * entrypoint. Pulse calls `greet(params, { signal, heartbeat })` and delivers what it returns as the run's result.
 *
 *   {"schedule_type": "run_agent", "payload": {"agent_id": "hello", "entrypoint_tag": "greet", "params": {"name": "Ada"}}}
 */
import { setTimeout as sleep } from 'node:timers/promises';

export function greet({ name = 'world' } = {}) {
  return { greeting: `Hello, ${name}!` };
}

/** A longer run: reports progress as heartbeats (visible in the Web UI) and stops when the task is cancelled. */
export async function countdown({ from = 3 } = {}, { signal, heartbeat }) {
  for (let n = from; n > 0; n--) {
    heartbeat({ remaining: n });
    await sleep(1000, undefined, { signal });
  }
  return { done: true, counted: from };
}
