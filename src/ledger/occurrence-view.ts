/** An occurrence as the ledger answers it: the task it belongs to, its outcome, and the runs it names, with links. */
import { localIso } from './local-time.js';
import type { LedgerRun, Occurrence, OccurrenceStatus } from './occurrences.js';
import type { CallbackOutcome, NoticeOutcome } from '../shared/task-types.js';
import { uiUrl } from '../tasks/task-view.js';

export interface OccurrenceRunView {
  execution_id: string | null;
  workflow_id: string;
  run_id: string;
  status: OccurrenceStatus;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  result_summary: string | null;
  error: string | null;
  callback: CallbackOutcome | null;
  notice: NoticeOutcome | null;
  ui_url: string;
}

export interface OccurrenceView {
  task_id: string;
  kind: 'once' | 'recurring';
  schedule_type: string;
  agent_id: string | null;
  name: string | null;
  at: string;
  local_at: string;
  status: OccurrenceStatus;
  reason: string;
  manual: boolean;
  run: OccurrenceRunView | null;
  blocked_by: OccurrenceRunView | null;
  task_ui_url: string;
}

const RESULT_SUMMARY_CHARS = 200;

/** A task as the ledger describes it beside each occurrence. */
export interface TaskLabel {
  readonly taskId: string;
  readonly kind: 'once' | 'recurring';
  readonly scheduleType: string;
  readonly agentId: string | null;
  readonly name: string | null;
}

const finite = (n: unknown): number | undefined =>
  typeof n === 'number' && Number.isFinite(n) ? n : undefined;
const isoOrNull = (ms: unknown): string | null => {
  const n = finite(ms);
  return n === undefined ? null : new Date(n).toISOString();
};

function summarizeResult(result: unknown): string | null {
  if (result === undefined || result === null) return null;
  const text = typeof result === 'string' ? result : JSON.stringify(result);
  return text.length > RESULT_SUMMARY_CHARS ? `${text.slice(0, RESULT_SUMMARY_CHARS - 1)}…` : text;
}

export function createOccurrenceViews(uiBase: string, namespace: string) {
  const runUi = (run: LedgerRun) =>
    `${uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(run.workflowId)}/${encodeURIComponent(run.runId)}/history`;

  function runView(run: LedgerRun, status: OccurrenceStatus): OccurrenceRunView {
    const record = run.record;
    return {
      execution_id: record?.executionId ?? null,
      workflow_id: run.workflowId,
      run_id: run.runId,
      status,
      started_at: new Date(finite(record?.startedAtMs) ?? run.startedMs).toISOString(),
      finished_at: isoOrNull(record?.finishedAtMs ?? run.closedMs),
      duration_ms: record?.executionTimeMs ?? null,
      result_summary: record ? summarizeResult(record.result) : null,
      error: record?.error ?? null,
      callback: record?.callback ? { ...record.callback } : null,
      notice: record?.notice ? { ...record.notice } : null,
      ui_url: runUi(run),
    };
  }

  function view(task: TaskLabel, occurrence: Occurrence, timeZone: string): OccurrenceView {
    const { run, blockedBy } = occurrence;
    return {
      task_id: task.taskId,
      kind: task.kind,
      schedule_type: task.scheduleType,
      agent_id: task.agentId,
      name: task.name,
      at: new Date(occurrence.atMs).toISOString(),
      local_at: localIso(occurrence.atMs, timeZone),
      status: occurrence.status,
      reason: occurrence.reason,
      manual: occurrence.manual ?? false,
      run: run ? runView(run, occurrence.status) : null,
      blocked_by: blockedBy ? runView(blockedBy, 'running') : null,
      task_ui_url: uiUrl(uiBase, namespace, task.taskId, task.kind),
    };
  }

  return { view };
}
