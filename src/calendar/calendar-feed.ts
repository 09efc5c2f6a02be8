/**
 * The calendar feed: upcoming occurrences from the ledger as an iCalendar document (RFC 5545, written by
 * `ical-generator`) that calendar apps subscribe to. Calendar apps cannot send headers, so a feed is reached by a
 * read-only feed token in its URL (never the API key); the tokens live in `feed-token-store.ts`.
 */
import ical from 'ical-generator';
import { canSee, currentScope, visibleTenant, withTenantScope } from '../tenants/tenant-scope.js';
import type { LedgerService, OccurrenceView } from '../ledger/ledger-service.js';
import type { FeedFilters, FeedTokenInfo, FeedTokenStore } from './feed-token-store.js';

/** Where the feed is served; the one route the API key does not guard. */
export const CALENDAR_FEED_PATH = '/calendar.ics';

/** How far ahead a feed looks. */
const HORIZON_MS = 31 * 86_400_000;
/** Most events in one feed (the earliest): an every-minute task must not make a feed calendar apps choke on. */
const MAX_EVENTS = 2000;
/** How often calendar apps are asked to fetch the feed again (REFRESH-INTERVAL / X-PUBLISHED-TTL). */
const REFRESH_SECONDS = 15 * 60;

export interface NewFeedToken {
  readonly label?: string;
  readonly filters?: FeedFilters;
}

export interface CalendarFeed {
  /** Makes a feed token; `url` is the subscription address on `baseUrl`. The token is shown only here. */
  createToken(input: NewFeedToken, baseUrl: string): Promise<FeedTokenInfo & { token: string; url: string }>;
  listTokens(): Promise<FeedTokenInfo[]>;
  /** False when there is no such token. */
  revokeToken(id: string): Promise<boolean>;
  /** The feed's iCalendar text, or undefined for a token never made or revoked. */
  render(token: string): Promise<string | undefined>;
}

export interface CalendarFeedDeps {
  readonly ledger: LedgerService;
  readonly tokens: FeedTokenStore;
  readonly now?: () => Date;
  /**
   * Whether tenants are on now (a tenants file): then a feed made by no tenant and no admin key, made while Pulse
   * was single-tenant, is no feed at all, rather than a view of every tenant's tasks for whoever holds its URL.
   */
  readonly tenantsOn?: () => boolean;
}

/** The subscription URL of a token on `baseUrl`. */
export function feedUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${CALENDAR_FEED_PATH}?token=${encodeURIComponent(token)}`;
}

/** What runs, in a few words: the task's name, else its type and agent. */
function summaryOf(o: OccurrenceView): string {
  const what = o.agent_id ? `${o.schedule_type} ${o.agent_id}` : o.schedule_type;
  return o.name ? `${o.name} (${what})` : what;
}

/**
 * The feed as iCalendar text: one VEVENT per occurrence, its UID the task and due time (stable across fetches, so
 * apps update rather than duplicate; a rescheduled time is a new event), in UTC so no VTIMEZONE is needed.
 */
export function renderFeed(
  occurrences: readonly OccurrenceView[],
  options: { name: string; stamp: Date },
): string {
  const calendar = ical({
    name: options.name,
    prodId: { company: 'Pulse', product: 'Pulse scheduler', language: 'EN' },
    ttl: REFRESH_SECONDS,
  });
  for (const o of occurrences) {
    const start = new Date(o.at);
    calendar.createEvent({
      id: `${o.task_id}/${o.at}@pulse`,
      stamp: options.stamp,
      start,
      end: start,
      summary: summaryOf(o),
      description: [
        `${o.kind === 'recurring' ? 'Recurring' : 'One-time'} ${o.schedule_type} task ${o.task_id}`,
        `Status: ${o.status} (${o.reason})`,
      ].join('\n'),
      url: o.task_ui_url,
      x: { 'X-PULSE-TASK-ID': o.task_id },
    });
  }
  // RFC 5545 ends every line, the last one too, with CRLF.
  return calendar.toString().replace(/(?<!\r\n)$/, '\r\n');
}

export function createCalendarFeed(deps: CalendarFeedDeps): CalendarFeed {
  const { ledger, tokens } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    async createToken(input, baseUrl) {
      const tenant = visibleTenant();
      const created = await tokens.create({
        label: input.label ?? null,
        filters: input.filters ?? {},
        ...(tenant ? { tenant } : {}),
        ...(!tenant && currentScope()?.admin ? { admin: true } : {}),
      });
      return { ...created, url: feedUrl(baseUrl, created.token) };
    },
    // A tenant sees, and revokes, only its own feeds.
    listTokens: async () => (await tokens.list()).filter((t) => canSee(t.tenant)),
    revokeToken: async (id) => {
      const token = (await tokens.list()).find((t) => t.id === id);
      return token !== undefined && canSee(token.tenant) && tokens.revoke(id);
    },
    async render(token) {
      const info = await tokens.find(token);
      if (!info) return undefined;
      if (!info.tenant && !info.admin && deps.tenantsOn?.()) return undefined;
      const from = now();
      // The feed shows what its maker could see: its tenant's tasks.
      const read = (query: Parameters<typeof ledger.occurrences>[0]) =>
        info.tenant
          ? withTenantScope({ tenantId: info.tenant, admin: false }, () => ledger.occurrences(query))
          : ledger.occurrences(query);
      const answer = await read({
        ...info.filters,
        from: from.toISOString(),
        to: new Date(from.getTime() + HORIZON_MS).toISOString(),
        status: 'upcoming',
      });
      return renderFeed(answer.occurrences.slice(0, MAX_EVENTS), {
        // A label from before labels were checked may hold line breaks: never a line of its own in the feed.
        name: info.label ? `Pulse: ${info.label.replace(/\p{Cc}+/gu, ' ')}` : 'Pulse',
        stamp: from,
      });
    },
  };
}
