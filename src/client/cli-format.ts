/** Human-readable output of the `pulse` CLI: aligned tables, relative times, local times in a zone. */
import type { Occurrences } from './pulse-client.js';
import type { Preview, Task, TaskResult } from './types.js';

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `key: value` lines with the values aligned. */
export function fields(entries: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(...entries.map(([key]) => key.length)) + 1;
  return entries.map(([key, value]) => `${indent}${`${key}:`.padEnd(width)} ${value}`).join('\n');
}

/** `in 4m 59s`, `2h 5m ago`, `now`. */
export function relative(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return '';
  let seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds === 0) return 'now';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (seconds >= size && parts.length < 2) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    } else if (parts.length > 0) break;
  }
  return ms > 0 ? `in ${parts.join(' ')}` : `${parts.join(' ')} ago`;
}

/** An instant as wall-clock time in a zone: `Mon 2026-11-30 09:00 CET`. */
export function localTime(iso: string, timeZone: string): string {
  try {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        weekday: 'short',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'short',
      })
        .formatToParts(new Date(iso))
        .map((p) => [p.type, p.value]),
    );
    const seconds = parts.second === '00' ? '' : `:${parts.second}`;
    return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds} ${parts.timeZoneName}`;
  } catch {
    return '';
  }
}

const compactJson = (value: unknown): string => (value === undefined ? '-' : JSON.stringify(value));

export function formatNext(iso: string | null): string {
  return iso ? `${iso} (${relative(iso)})` : '-';
}

export function formatTaskList(tasks: readonly Task[]): string {
  if (tasks.length === 0) return 'No tasks.';
  return table(
    ['ID', 'TYPE', 'STATUS', 'KIND', 'NEXT RUN', 'EXECUTOR'],
    tasks.map((t) => [
      t.id,
      t.schedule_type,
      t.status,
      t.kind,
      t.next_execution_iso ? `${t.next_execution_iso} (${relative(t.next_execution_iso)})` : '-',
      t.executor ?? '-',
    ]),
  );
}

export function formatTask(task: Task): string {
  const timezone = (task.schedule_config as { timezone?: unknown }).timezone;
  const lines = [
    task.id,
    fields([
      ['type', task.schedule_type],
      ['status', task.status],
      ['kind', task.kind],
      ['next run', formatNext(task.next_execution_iso)],
      ...(typeof timezone === 'string' ? ([['timezone', timezone]] as const) : []),
      ['executor', task.executor ?? '-'],
      ['created', task.created_at_iso],
      ['callback', task.callback_url ?? '-'],
      ['schedule', compactJson(task.schedule_config)],
      ['payload', compactJson(task.payload)],
      ['metadata', compactJson(task.metadata)],
      ['web ui', task.ui_url],
    ]),
  ];
  const runs = task.runs ?? [];
  if (runs.length > 0) {
    lines.push(
      '',
      `Runs (${runs.length}):`,
      table(
        ['EXECUTION', 'STATUS', 'STARTED', 'MS', 'ERROR'],
        runs.map((r) => [
          r.execution_id,
          r.status,
          r.executed_at_iso,
          String(r.execution_time_ms),
          r.error ?? '',
        ]),
      ),
    );
  } else {
    lines.push('', 'No runs yet.');
  }
  return lines.join('\n');
}

export function formatPreview(preview: Preview, when?: string): string {
  const zone = preview.timezone ?? 'UTC';
  const subject = when !== undefined ? JSON.stringify(when) : (preview.task_id ?? 'task');
  if (preview.next.length === 0) return `${subject} (${preview.kind}, ${zone}) has no upcoming runs.`;
  const heading =
    preview.kind === 'once'
      ? `${subject} runs once (${zone}):`
      : `${subject} (recurring, ${zone}), next ${preview.next.length} runs:`;
  const rows = preview.next.map((iso, i) => [String(i + 1), iso, localTime(iso, zone), relative(iso)]);
  return `${heading}\n${table(['#', 'UTC', 'LOCAL', 'IN'], rows)}`;
}

export function formatResult(result: TaskResult): string {
  const entries: [string, string][] = [
    ['status', result.status],
    ['execution', result.execution_id ?? '-'],
  ];
  if (result.error) entries.push(['error', result.error]);
  const lines = [fields(entries, '')];
  if (result.result !== null && result.result !== undefined) {
    lines.push('result:', JSON.stringify(result.result, null, 2));
  }
  return lines.join('\n');
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `Mon 2026-11-30` for a `YYYY-MM-DD` date. */
export function dayHeading(date: string): string {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return `${WEEKDAYS[day] ?? ''} ${date}`.trim();
}

/** What an occurrence runs, in a few words: its name, else its type and agent. */
function occurrenceLabel(o: Occurrences['occurrences'][number]): string {
  const what = o.agent_id ? `${o.schedule_type} ${o.agent_id}` : o.schedule_type;
  return o.name ? `${o.name} (${what})` : what;
}

/**
 * The ledger as an agenda: a heading, then each day that has occurrences with its times in the answer's zone
 * (`local_at`), status, what runs and the task; the reason under every occurrence that is not simply upcoming.
 */
export function formatAgenda(answer: Occurrences, heading: string): string {
  const count = `${answer.count} occurrence${answer.count === 1 ? '' : 's'}`;
  const lines = [`${heading} (${answer.timezone}): ${count}`];
  if (answer.count === 0) return `${lines[0]}\nNothing is scheduled in this window.`;
  const rows = answer.occurrences.map((o) => ({
    day: o.local_at.slice(0, 10),
    cells: [o.local_at.slice(11, 16) + (o.manual ? '*' : ''), o.status, occurrenceLabel(o), o.task_id],
    reason: o.status === 'upcoming' ? undefined : o.reason,
  }));
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r.cells[i]!.length)));
  let day = '';
  for (const row of rows) {
    if (row.day !== day) {
      day = row.day;
      lines.push('', dayHeading(day));
    }
    lines.push(`  ${row.cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
    if (row.reason) lines.push(`${' '.repeat(widths[0]! + 4)}${row.reason}`);
  }
  if (rows.some((r) => r.cells[0]!.endsWith('*')))
    lines.push('', '* started by hand (trigger), not by the schedule');
  if (answer.truncated)
    lines.push('', 'Some schedules have more times than are listed; ask for a shorter window.');
  return lines.join('\n');
}
