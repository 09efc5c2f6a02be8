/**
 * The Pulse dashboard: the occurrence ledger (`GET /occurrences`) on a FullCalendar calendar, in month, week, day
 * and agenda views, in any IANA time zone (through the Luxon plugin), coloured by outcome, with filters; a drawer
 * per task; a form for new tasks. Bundled by esbuild when Pulse first serves it (src/api/dashboard-routes.ts).
 */
import { Calendar, type EventInput, type EventSourceFuncArg } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import listPlugin from '@fullcalendar/list';
import luxonPlugin from '@fullcalendar/luxon3';
import timeGridPlugin from '@fullcalendar/timegrid';
import {
  api,
  apiKey,
  tenantChoice,
  ApiError,
  whenUnauthorized,
  type DayGroup,
  type Occurrence,
  type Occurrences,
} from './api.js';
import { byId } from './dom.js';
import { createDrawer } from './drawer.js';
import { createNewTaskForm } from './new-task.js';

/** Outcome colours; the same names are CSS classes (`occ-<status>`) for the legend and badges. */
const COLOURS: Record<string, { bg: string; fg: string }> = {
  succeeded: { bg: '#1e8e3e', fg: '#fff' },
  failed: { bg: '#d93025', fg: '#fff' },
  skipped: { bg: '#9aa0a6', fg: '#fff' },
  missed: { bg: '#e37400', fg: '#fff' },
  held: { bg: '#b06000', fg: '#fff' },
  paused: { bg: '#1a73e8', fg: '#fff' },
  cancelled: { bg: '#5f6368', fg: '#fff' },
  running: { bg: '#8430ce', fg: '#fff' },
  due: { bg: '#e8eaed', fg: '#202124' },
  upcoming: { bg: '#e8eaed', fg: '#202124' },
};

const TZ_STORAGE = 'pulse.timezone';

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `?view=month|week|day|agenda` opens that view (a link or bookmark to one); the week otherwise. */
const VIEWS: Record<string, string> = {
  month: 'dayGridMonth',
  week: 'timeGridWeek',
  day: 'timeGridDay',
  agenda: 'listWeek',
};

function initialZone(): string {
  const candidates = [
    new URLSearchParams(location.search).get('timezone'),
    sessionStorage.getItem(TZ_STORAGE),
    Intl.DateTimeFormat().resolvedOptions().timeZone,
  ];
  return candidates.find((zone): zone is string => !!zone && validZone(zone)) ?? 'UTC';
}

function label(o: Occurrence): string {
  const name = o.name ?? `${o.schedule_type} ${o.task_id.slice(0, 8)}`;
  return o.status === 'upcoming' || o.status === 'due' ? name : `${name} · ${o.status}`;
}

function toEvent(o: Occurrence): EventInput {
  const colour = COLOURS[o.status] ?? COLOURS.upcoming!;
  return {
    id: `${o.task_id}@${o.at}${o.manual ? ':manual' : ''}`,
    title: label(o),
    start: o.at,
    backgroundColor: colour.bg,
    borderColor: colour.bg,
    textColor: colour.fg,
    classNames: [`occ-${o.status}`],
    extendedProps: { occurrence: o },
  };
}

/**
 * Events a day of the month view shows before "+more". FullCalendar lays out every event of a day, shown or not, so
 * a busier day is asked for (`collapse_over`) and drawn as counts per outcome, which open that day's agenda: a month
 * of ten thousand tasks is then a few hundred events and a small answer.
 */
const MONTH_DAY_EVENTS = 4;

function groupEvent(group: DayGroup): EventInput {
  const colour = COLOURS[group.status] ?? COLOURS.upcoming!;
  return {
    id: `day:${group.date}:${group.status}`,
    title: `${group.count} ${group.status}`,
    start: group.date,
    allDay: true,
    backgroundColor: colour.bg,
    borderColor: colour.bg,
    textColor: colour.fg,
    classNames: ['occ-group', `occ-${group.status}`],
    extendedProps: { group },
  };
}

let timeZone = initialZone();
const notice = byId('notice');

function showNotice(text: string, kind: 'info' | 'error' = 'info') {
  notice.textContent = text;
  notice.className = `notice ${kind}`;
  notice.hidden = !text;
}

const filters = {
  status: byId<HTMLSelectElement>('filter-status'),
  scheduleType: byId<HTMLInputElement>('filter-schedule-type'),
  agent: byId<HTMLInputElement>('filter-agent'),
};

const drawer = createDrawer({ timeZone: () => timeZone, changed: () => calendar.refetchEvents() });

const calendar = new Calendar(byId('calendar'), {
  plugins: [dayGridPlugin, timeGridPlugin, listPlugin, luxonPlugin],
  timeZone,
  initialView: VIEWS[new URLSearchParams(location.search).get('view') ?? ''] ?? 'timeGridWeek',
  headerToolbar: {
    left: 'prev,next today',
    center: 'title',
    right: 'dayGridMonth,timeGridWeek,timeGridDay,listWeek',
  },
  buttonText: { listWeek: 'agenda' },
  height: 'auto',
  nowIndicator: true,
  scrollTime: '07:00:00',
  dayMaxEvents: MONTH_DAY_EVENTS,
  // Every view asks again: the month view's events (counts on busy days) are not the other views'.
  lazyFetching: false,
  defaultTimedEventDuration: '00:30',
  eventDisplay: 'block',
  events: async (info: EventSourceFuncArg): Promise<EventInput[]> => {
    const query = new URLSearchParams({ from: info.startStr, to: info.endStr, timezone: timeZone });
    if (filters.status.value) query.set('status', filters.status.value);
    if (filters.scheduleType.value.trim()) query.set('schedule_type', filters.scheduleType.value.trim());
    if (filters.agent.value.trim()) query.set('agent_id', filters.agent.value.trim());
    // The month view's window (six weeks; the others are a week or a day), known before the view is.
    if (info.end.getTime() - info.start.getTime() > 20 * 86_400_000) {
      query.set('collapse_over', String(MONTH_DAY_EVENTS));
    }
    try {
      const answer = await api<Occurrences>('GET', `/occurrences?${query}`);
      if (answer.truncated)
        showNotice('Too many occurrences in this window; narrow it or add a filter.', 'error');
      else if (notice.classList.contains('error')) showNotice('');
      performance.mark('pulse:occurrences-received');
      return [...answer.occurrences.map(toEvent), ...(answer.collapsed ?? []).map(groupEvent)];
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        showNotice(err instanceof Error ? err.message : String(err), 'error');
      return [];
    }
  },
  eventDidMount: ({ event, el }) => {
    const group = event.extendedProps.group as DayGroup | undefined;
    if (group) {
      el.dataset.status = group.status;
      el.title = `${group.count} ${group.status} on ${group.date}: open the day's agenda`;
      return;
    }
    const o = event.extendedProps.occurrence as Occurrence;
    el.dataset.taskId = o.task_id;
    el.dataset.status = o.status;
    el.title = `${o.status}: ${o.reason}`;
  },
  eventClick: ({ event, jsEvent }) => {
    jsEvent.preventDefault();
    const group = event.extendedProps.group as DayGroup | undefined;
    if (group) {
      calendar.changeView('listDay', group.date);
      return;
    }
    const o = event.extendedProps.occurrence as Occurrence;
    void drawer.open(o.task_id, o);
  },
});

const keyDialog = byId<HTMLDialogElement>('key-dialog');
whenUnauthorized(() => {
  showNotice('This Pulse needs an API key to show its tasks.', 'error');
  if (!keyDialog.open) keyDialog.showModal();
});
byId<HTMLFormElement>('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('key-input');
  if (!input.value) return;
  apiKey.set(input.value);
  input.value = '';
  keyDialog.close();
  showNotice('');
  void setUpTenantPicker();
  calendar.refetchEvents();
});
byId('api-key').addEventListener('click', () => keyDialog.showModal());

/** An admin key picks the tenant it looks at; a tenant's key sees its own tasks, and no picker. */
async function setUpTenantPicker(): Promise<void> {
  const picker = byId<HTMLSelectElement>('tenant');
  let answer: { admin: boolean; tenants: Array<{ id: string; name: string | null }> };
  try {
    answer = await api('GET', '/tenants');
  } catch {
    return;
  }
  byId('tenant-picker').hidden = !answer.admin;
  if (!answer.admin) {
    tenantChoice.set(null);
    return;
  }
  picker.replaceChildren(
    new Option('all tenants', ''),
    ...answer.tenants.map((t) => new Option(t.name ? `${t.name} (${t.id})` : t.id, t.id)),
  );
  picker.value = tenantChoice.get() ?? '';
  picker.onchange = () => {
    tenantChoice.set(picker.value || null);
    calendar.refetchEvents();
  };
}
void setUpTenantPicker();

const zoneInput = byId<HTMLInputElement>('timezone');
zoneInput.value = timeZone;
const zoneList = byId('timezones');
for (const zone of Intl.supportedValuesOf('timeZone')) {
  const option = document.createElement('option');
  option.value = zone;
  zoneList.append(option);
}
zoneInput.addEventListener('change', () => {
  const zone = zoneInput.value.trim();
  if (!validZone(zone)) {
    showNotice(`'${zone}' is not an IANA time zone.`, 'error');
    return;
  }
  timeZone = zone;
  sessionStorage.setItem(TZ_STORAGE, zone);
  calendar.setOption('timeZone', zone);
  calendar.refetchEvents();
});

for (const input of [filters.status, filters.scheduleType, filters.agent]) {
  input.addEventListener('change', () => calendar.refetchEvents());
}

const form = createNewTaskForm({
  timeZone: () => timeZone,
  scheduled: (task) => {
    showNotice(`Scheduled ${task.task_id}.`);
    if (task.next_execution) calendar.gotoDate(task.next_execution);
    calendar.refetchEvents();
  },
});
byId('new-task').addEventListener('click', () => form.open());

calendar.render();
document.body.dataset.ready = 'true';
