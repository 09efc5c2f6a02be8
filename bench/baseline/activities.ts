/** The baseline's two activities: run the task (an HTTP GET, or nothing) and POST the callback. */
import type { BaselineTaskInput } from './types.js';

export function createBaselineActivities() {
  return {
    /** Calls the task's URL, or returns at once when it has none. */
    async runTask(input: BaselineTaskInput): Promise<unknown> {
      if (!input.targetUrl) return { ok: true, task: input.taskId };
      const response = await fetch(input.targetUrl, { signal: AbortSignal.timeout(30_000) });
      const body = await response.text();
      if (!response.ok) throw new Error(`GET ${input.targetUrl} answered ${response.status}`);
      return { status_code: response.status, body };
    },
    /** POSTs the result; a non-2xx answer is thrown so Temporal retries it. */
    async deliverCallback(input: { url: string; body: unknown }): Promise<void> {
      const response = await fetch(input.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input.body),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`callback ${input.url} answered ${response.status}`);
    },
  };
}
