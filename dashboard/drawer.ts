/**
 * The task drawer: one task's configuration, its occurrences (runs with results, errors and callback outcome, and
 * the reason for every non-run), a link into the Temporal Web UI, and the actions pause/resume, trigger, cancel
 * and reschedule.
 */
import { api, ApiError, type Occurrence, type Occurrences, type Task } from './api.js';
import { byId, formatDuration, formatInstant, h } from './dom.js';

export interface DrawerContext {
  timeZone: () => string;
  /** After an action: the calendar reloads its events. */
  changed: () => void;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

function json(value: unknown): HTMLElement {
  return h('pre', {}, JSON.stringify(value, null, 2));
}

function field(label: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value)];
}

function runDetails(occurrence: Occurrence, timeZone: string): HTMLElement {
  const run = occurrence.run;
  const list = h('dl', { class: 'fields' });
  list.append(
    ...field('Due', formatInstant(occurrence.at, timeZone)),
    ...field('Outcome', h('span', { class: `badge occ-${occurrence.status}` }, occurrence.status)),
    ...field('Reason', h('span', { class: 'reason' }, occurrence.reason)),
  );
  if (occurrence.manual) list.append(...field('Started', 'by hand (trigger), outside the schedule'));
  if (run) {
    list.append(
      ...field('Started at', formatInstant(run.started_at, timeZone)),
      ...field('Duration', formatDuration(run.duration_ms)),
    );
    if (run.result_summary) list.append(...field('Result', h('code', {}, run.result_summary)));
    if (run.error) list.append(...field('Error', h('code', { class: 'run-error' }, run.error)));
    if (run.callback) {
      const cb = run.callback;
      const text = `${cb.status}${cb.attempts ? ` after ${cb.attempts} attempt(s)` : ''} to ${cb.url}${cb.error ? `: ${cb.error}` : ''}`;
      list.append(...field('Callback', h('span', { class: `callback-${cb.status}` }, text)));
    }
    list.append(
      ...field('Run', h('a', { href: run.ui_url, target: '_blank', rel: 'noopener' }, run.workflow_id)),
    );
  }
  if (occurrence.blocked_by) {
    const blocker = occurrence.blocked_by;
    list.append(
      ...field(
        'Blocked by',
        h('a', { href: blocker.ui_url, target: '_blank', rel: 'noopener' }, blocker.workflow_id),
      ),
    );
  }
  return list;
}

function occurrenceTable(occurrences: Occurrence[], timeZone: string): HTMLElement {
  if (occurrences.length === 0)
    return h('p', { class: 'muted' }, 'No occurrences in the last week or next month.');
  const body = h('tbody');
  for (const o of occurrences) {
    const detail = [
      o.reason,
      o.run?.error ? `— ${o.run.error}` : '',
      o.run?.callback ? `(callback ${o.run.callback.status})` : '',
    ]
      .filter(Boolean)
      .join(' ');
    body.append(
      h(
        'tr',
        { 'data-status': o.status },
        h('td', {}, formatInstant(o.at, timeZone)),
        h('td', {}, h('span', { class: `badge occ-${o.status}` }, o.status)),
        h('td', {}, detail),
        h('td', {}, o.run ? formatDuration(o.run.duration_ms) : ''),
      ),
    );
  }
  return h(
    'table',
    { class: 'occurrences' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Due'), h('th', {}, 'Outcome'), h('th', {}, 'Reason'), h('th', {}, 'Took')),
    ),
    body,
  );
}

export function createDrawer(context: DrawerContext) {
  const drawer = byId('drawer');
  const body = byId('drawer-body');
  let current: { taskId: string; occurrence?: Occurrence } | undefined;

  byId('drawer-close').addEventListener('click', () => close());
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !drawer.hidden) close();
  });

  function close() {
    drawer.hidden = true;
    current = undefined;
  }

  async function act(label: string, action: () => Promise<unknown>, status: HTMLElement) {
    status.className = 'action-status';
    status.textContent = `${label}…`;
    try {
      await action();
      status.textContent = `${label}: done`;
      context.changed();
      if (current) await render(current.taskId, current.occurrence, status.textContent);
    } catch (err) {
      status.className = 'action-status error';
      status.textContent = err instanceof ApiError ? err.message : String(err);
    }
  }

  async function render(taskId: string, occurrence?: Occurrence, lastAction?: string) {
    const timeZone = context.timeZone();
    let task: Task;
    let occurrences: Occurrences;
    try {
      [task, occurrences] = await Promise.all([
        api<Task>('GET', `/tasks/${encodeURIComponent(taskId)}`),
        api<Occurrences>(
          'GET',
          `/tasks/${encodeURIComponent(taskId)}/occurrences?${new URLSearchParams({ timezone: timeZone })}`,
        ),
      ]);
    } catch (err) {
      body.replaceChildren(h('p', { class: 'error' }, err instanceof ApiError ? err.message : String(err)));
      return;
    }
    if (current?.taskId !== taskId) return;
    const title = (task.metadata?.name as string | undefined) ?? occurrence?.name ?? task.id;
    const status = h('p', { class: 'action-status', role: 'status' }, lastAction ?? '');
    const actions = h('div', { class: 'actions' });
    if (!FINISHED.has(task.status)) {
      const paused = task.status === 'paused';
      const toggle = h(
        'button',
        { type: 'button', 'data-action': paused ? 'resume' : 'pause' },
        paused ? 'Resume' : 'Pause',
      );
      toggle.addEventListener('click', () =>
        act(
          paused ? 'Resume' : 'Pause',
          () =>
            api('PATCH', `/tasks/${encodeURIComponent(task.id)}`, { status: paused ? 'active' : 'paused' }),
          status,
        ),
      );
      const trigger = h('button', { type: 'button', 'data-action': 'trigger' }, 'Trigger now');
      trigger.addEventListener('click', () =>
        act('Trigger', () => api('POST', `/tasks/${encodeURIComponent(task.id)}/trigger`), status),
      );
      const cancel = h('button', { type: 'button', 'data-action': 'cancel', class: 'danger' }, 'Cancel task');
      cancel.addEventListener('click', () => {
        if (confirm(`Cancel task ${task.id}? This cannot be undone.`)) {
          void act('Cancel', () => api('DELETE', `/tasks/${encodeURIComponent(task.id)}`), status);
        }
      });
      const when = h('input', {
        'data-field': 'reschedule-when',
        placeholder: 'new when, e.g. tomorrow at 9am',
        size: '26',
      });
      const reschedule = h('button', { type: 'button', 'data-action': 'reschedule' }, 'Reschedule');
      reschedule.addEventListener('click', () =>
        act(
          'Reschedule',
          () => api('PATCH', `/tasks/${encodeURIComponent(task.id)}`, { when: when.value }),
          status,
        ),
      );
      actions.append(toggle, trigger, cancel, h('span', { class: 'reschedule' }, when, reschedule));
    }
    const config = h('dl', { class: 'fields' });
    config.append(
      ...field('Task', h('code', {}, task.id)),
      ...field('Status', h('span', { class: 'badge', 'data-task-status': task.status }, task.status)),
      ...field('Kind', task.kind),
      ...field('Schedule type', task.schedule_type),
      ...field('Executor', task.executor ?? '—'),
      ...field('Next run', formatInstant(task.next_execution_iso, timeZone)),
      ...field('Created', formatInstant(task.created_at_iso, timeZone)),
      ...field('Callback URL', task.callback_url ?? '—'),
    );
    body.replaceChildren(
      h('h2', {}, title),
      h(
        'p',
        {},
        h(
          'a',
          { href: task.ui_url, target: '_blank', rel: 'noopener', class: 'ui-link' },
          'Open in the Temporal Web UI ↗',
        ),
      ),
      actions,
      status,
      occurrence ? h('section', {}, h('h3', {}, 'This occurrence'), runDetails(occurrence, timeZone)) : '',
      h(
        'section',
        {},
        h('h3', {}, 'Configuration'),
        config,
        h('h4', {}, 'Schedule'),
        json(task.schedule_config),
        h('h4', {}, 'Payload'),
        json(task.payload),
        h('h4', {}, 'Metadata'),
        json(task.metadata),
      ),
      h('section', {}, h('h3', {}, 'Occurrences'), occurrenceTable(occurrences.occurrences, timeZone)),
    );
  }

  return {
    async open(taskId: string, occurrence?: Occurrence) {
      current = { taskId, ...(occurrence ? { occurrence } : {}) };
      drawer.hidden = false;
      body.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
      await render(taskId, occurrence);
    },
    close,
  };
}
