/**
 * What the Temporal Web UI shows about a task at a glance: a one-line `staticSummary` (what it does and when) and a
 * markdown `staticDetails` (payload, callback, policy). Written once, when the workflow or schedule is started, so
 * a list of `task_…` ids reads as a list of tasks.
 */
import type { BuiltTask } from '../build-task.js';

/** Temporal's UI truncates long summaries; a URL keeps its host and the start of its path. */
const MAX_SUMMARY = 200;
const MAX_DETAIL_VALUE = 1500;

/** `2026-12-02 09:00 Europe/Berlin`: the wall time in the task's zone, as the user wrote it. */
export function wallTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${timeZone}`;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() ? value : undefined;

/** What a task does, in a few words: `POST https://…`, `agent hello.greet`, `crawl → https://…`. */
export function workOf(scheduleType: string, payload: Record<string, unknown>, webhookUrl?: string): string {
  if (scheduleType === 'http_request') {
    return `${(text(payload.method) ?? 'POST').toUpperCase()} ${text(payload.url) ?? '(no url)'}`;
  }
  if (scheduleType === 'run_agent' || scheduleType === 'execute_agent') {
    const agent = `${text(payload.agent_id) ?? '?'}.${text(payload.entrypoint_tag) ?? '?'}`;
    const executor = text(payload.executor_type);
    return `agent ${agent}${executor ? ` (${executor})` : ''}`;
  }
  return webhookUrl ? `${scheduleType} → ${webhookUrl}` : `${scheduleType} (for external workers)`;
}

function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

function whenOf(built: BuiltTask): string {
  const config = built.memo.schedule_config;
  const zone = (config.timezone as string | undefined) ?? 'UTC';
  if (built.recurrence) {
    const when = typeof config.when === 'string' ? config.when : JSON.stringify(config.when);
    const repeat = config.repeat as { interval?: unknown; times?: unknown } | undefined;
    const times = built.recurrence.when.times;
    const every = repeat?.interval ? `${when}, then every ${String(repeat.interval)}` : when;
    return `${every} (${zone})${times ? `, ${times} runs` : ''}`;
  }
  return `due ${wallTime(built.dueAt, zone)}`;
}

/** The one line the Web UI lists a task by. */
export function staticSummaryOf(built: BuiltTask): string {
  const webhookUrl = built.memo.schedule_config.webhook_url as string | undefined;
  return clip(
    `${workOf(built.memo.schedule_type, built.memo.payload, webhookUrl)} · ${whenOf(built)}`,
    MAX_SUMMARY,
  );
}

function json(value: unknown): string {
  return clip(JSON.stringify(value), MAX_DETAIL_VALUE);
}

/** The markdown on the task's page: what it sends, where its result goes, and how it behaves. */
export function staticDetailsOf(built: BuiltTask): string {
  const { memo } = built;
  const config = memo.schedule_config;
  const lines = [
    `**Pulse task** \`${built.taskId}\` (${memo.schedule_type}, ${built.recurrence ? 'recurring' : 'once'})`,
    '',
    `- **when**: ${json(config.when)}${config.timezone ? ` in ${String(config.timezone)}` : ''}`,
    `- **first run**: ${built.dueAt.toISOString()}`,
    `- **executor**: ${built.attributes.executor}`,
    `- **payload**: \`${json(memo.payload)}\``,
  ];
  if (Object.keys(memo.metadata).length > 0) lines.push(`- **metadata**: \`${json(memo.metadata)}\``);
  lines.push(`- **callback**: ${memo.callback_url ?? 'none'}`);
  if (config.webhook_url) lines.push(`- **webhook**: ${String(config.webhook_url)}`);
  if (config.policy) lines.push(`- **policy**: \`${json(config.policy)}\``);
  if (config.retry) lines.push(`- **retry**: \`${json(config.retry)}\``);
  if (config.repeat) lines.push(`- **repeat**: \`${json(config.repeat)}\``);
  return lines.join('\n');
}
