/**
 * The "new task" form. Its `when` box previews the next runs live from `GET /preview`, and shows the API's own
 * message when the API cannot read it, so what is checked here is exactly what scheduling will accept.
 */
import { api, ApiError, type Preview, type Scheduled } from './api.js';
import { byId, formatInstant, h } from './dom.js';

export interface NewTaskContext {
  timeZone: () => string;
  scheduled: (task: Scheduled) => void;
}

export function createNewTaskForm(context: NewTaskContext) {
  const dialog = byId<HTMLDialogElement>('task-dialog');
  const form = byId<HTMLFormElement>('task-form');
  const when = byId<HTMLInputElement>('task-when');
  const timezone = byId<HTMLInputElement>('task-timezone');
  const preview = byId('task-preview');
  const error = byId('task-error');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;

  async function refreshPreview() {
    const text = when.value.trim();
    const ask = ++asked;
    if (!text) {
      preview.replaceChildren();
      return;
    }
    const query = new URLSearchParams({ when: text, count: '5' });
    if (timezone.value.trim()) query.set('timezone', timezone.value.trim());
    try {
      const answer = await api<Preview>('GET', `/preview?${query}`);
      if (ask !== asked) return;
      const zone = answer.timezone ?? (timezone.value.trim() || context.timeZone());
      preview.className = 'preview ok';
      preview.replaceChildren(
        h('span', {}, answer.kind === 'recurring' ? 'Next runs:' : 'Runs once:'),
        h('ol', {}, ...answer.next.map((iso) => h('li', {}, formatInstant(iso, zone)))),
      );
    } catch (err) {
      if (ask !== asked) return;
      preview.className = 'preview error';
      preview.replaceChildren(err instanceof ApiError ? err.message : String(err));
    }
  }

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refreshPreview(), 250);
  };
  when.addEventListener('input', schedule);
  timezone.addEventListener('input', schedule);

  byId('task-cancel').addEventListener('click', () => dialog.close());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    let payload: unknown;
    try {
      payload = JSON.parse(byId<HTMLTextAreaElement>('task-payload').value || '{}');
    } catch (err) {
      error.textContent = `The payload is not valid JSON: ${(err as Error).message}`;
      error.hidden = false;
      return;
    }
    const body: Record<string, unknown> = {
      schedule_type: byId<HTMLInputElement>('task-type').value.trim(),
      when: when.value.trim(),
      payload,
    };
    if (timezone.value.trim()) body.timezone = timezone.value.trim();
    const name = byId<HTMLInputElement>('task-name').value.trim();
    if (name) body.metadata = { name };
    const callback = byId<HTMLInputElement>('task-callback').value.trim();
    if (callback) body.callback_url = callback;
    const overlap = byId<HTMLSelectElement>('task-overlap').value;
    if (overlap) body.policy = { overlap };
    try {
      const task = await api<Scheduled>('POST', '/tasks/schedule', body);
      dialog.close();
      context.scheduled(task);
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : String(err);
      error.hidden = false;
    }
  });

  return {
    open() {
      error.hidden = true;
      if (!timezone.value) timezone.value = context.timeZone();
      dialog.showModal();
      when.focus();
      void refreshPreview();
    },
  };
}
