/**
 * The dashboard's one way to the Pulse API: same origin, the API key (if any) from sessionStorage as a Bearer
 * header, never in a URL. Errors carry the API's own `detail`, which the page shows as it is.
 */
import type { OccurrenceView } from '../src/ledger/occurrence-view.js';

const KEY_STORAGE = 'pulse.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

const TENANT_STORAGE = 'pulse.tenant';

/** The tenant an admin key acts for (`x-pulse-tenant`); none: every tenant. */
export const tenantChoice = {
  get: (): string | null => sessionStorage.getItem(TENANT_STORAGE),
  set: (id: string | null) =>
    id ? sessionStorage.setItem(TENANT_STORAGE, id) : sessionStorage.removeItem(TENANT_STORAGE),
};

/** Called on every 401, so the page can ask for a key. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = apiKey.get();
  if (key) headers.authorization = `Bearer ${key}`;
  const tenant = tenantChoice.get();
  if (tenant) headers['x-pulse-tenant'] = tenant;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    const detail = (parsed as { detail?: unknown } | undefined)?.detail;
    throw new ApiError(response.status, typeof detail === 'string' ? detail : `${response.status} ${text}`);
  }
  return parsed as T;
}

/** The API's shapes the page reads: the ledger's own types (erased from the bundle). */
export type { OccurrenceRunView as OccurrenceRun } from '../src/ledger/occurrence-view.js';
export type Occurrence = OccurrenceView;

/** A busy day's occurrences of one status, counted (`collapsed` in the answer). */
export interface DayGroup {
  /** The local date (`YYYY-MM-DD`) in the answer's time zone. */
  date: string;
  status: string;
  count: number;
}

export interface Occurrences {
  from: string;
  to: string;
  timezone: string;
  count: number;
  occurrences: Occurrence[];
  /** Asked for with `collapse_over`: the busy days, as counts per status. */
  collapsed?: DayGroup[];
  truncated: boolean;
}

export interface Task {
  id: string;
  schedule_type: string;
  created_at_iso: string;
  payload: Record<string, unknown>;
  schedule_config: Record<string, unknown>;
  status: string;
  metadata: Record<string, unknown>;
  next_execution_iso: string | null;
  executor: string | null;
  ui_url: string;
  kind: 'once' | 'recurring';
  callback_url: string | null;
}

export interface Preview {
  kind: 'once' | 'recurring';
  timezone?: string;
  next: string[];
}

export interface Scheduled {
  task_id: string;
  next_execution: string | null;
  status: string;
  ui_url: string;
}
