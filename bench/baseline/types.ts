/** Input of the baseline workflow; Node-free, because the workflow imports it. */
export interface BaselineTaskInput {
  readonly taskId: string;
  readonly dueAtMs: number;
  readonly callbackUrl: string;
  /** An `http_request`-like task calls this URL with GET; without it the task does nothing (instant). */
  readonly targetUrl?: string;
}
