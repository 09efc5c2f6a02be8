/**
 * What the Temporal server did, from its own Prometheus counters: persistence calls by operation, and the internal
 * tasks it processed (transfer, timer, visibility) by type. Read before and after a stretch of work, the difference
 * per run is the server's work per run: counts, not seconds, so a busy machine gives the same figures as a quiet one.
 */

/** `persistence:<operation>` and `task:<type>` → how many so far. */
export type ServerCounters = ReadonlyMap<string, number>;

const COUNTER = /^(persistence_requests|task_requests|service_requests)\{([^}]*)\} (\S+)$/;
const PREFIX: Record<string, string> = {
  persistence_requests: 'persistence',
  task_requests: 'task',
  service_requests: 'rpc',
};

export async function readServerCounters(metricsUrl: string): Promise<ServerCounters> {
  const text = await (await fetch(metricsUrl)).text();
  const counters = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = COUNTER.exec(line);
    const operation = match && /operation="([^"]+)"/.exec(match[2]!)?.[1];
    if (!match || !operation) continue;
    const service =
      match[1] === 'service_requests' ? `${/service_name="([^"]+)"/.exec(match[2]!)?.[1] ?? '?'}:` : '';
    const key = `${PREFIX[match[1]!]}:${service}${operation}`;
    counters.set(key, (counters.get(key) ?? 0) + Number(match[3]));
  }
  return counters;
}

/** The calls that write a workflow's state or its visibility row, and the internal tasks, per run. */
export interface ServerWorkPerRun {
  /** Mutable-state transactions (each appends history events and writes the workflow's row). */
  readonly stateWrites: number;
  /** Visibility rows written (start, upsert, close). */
  readonly visibilityWrites: number;
  /** Internal tasks processed: transfer (dispatch to matching, close), timer (timeouts, user timers), visibility. */
  readonly internalTasks: number;
  /** Every counter that moved, per run. */
  readonly detail: Record<string, number>;
}

const round = (value: number) => Math.round(value * 100) / 100;

export function serverWorkPerRun(
  before: ServerCounters,
  after: ServerCounters,
  runs: number,
): ServerWorkPerRun {
  const detail: Record<string, number> = {};
  for (const [key, value] of after) {
    const moved = value - (before.get(key) ?? 0);
    if (moved > 0) detail[key] = round(moved / runs);
  }
  const sum = (test: (key: string) => boolean) =>
    round(
      Object.entries(detail)
        .filter(([key]) => test(key))
        .reduce((total, [, value]) => total + value, 0),
    );
  return {
    stateWrites: sum((key) => key === 'persistence:UpdateWorkflowExecution'),
    visibilityWrites: sum((key) => key.startsWith('task:VisibilityTask')),
    internalTasks: sum((key) => key.startsWith('task:')),
    detail,
  };
}
