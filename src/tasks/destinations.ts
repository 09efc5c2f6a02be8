/**
 * The SSRF check of a built task: every destination it will connect to, checked at schedule time so a refused one
 * is a 400 now. The same guard checks the address again at connection time (DNS may change in between).
 */
import { BadRequestError } from '../errors.js';
import {
  createDestinationGuard,
  DestinationRefusedError,
  type DestinationGuard,
} from '../security/ssrf-guard.js';
import type { ScheduledTaskInput } from '../shared/task-types.js';

/** Secure by default: without an explicit guard, private and metadata destinations are refused. */
export function defaultDestinationGuard(): DestinationGuard {
  return createDestinationGuard({ allowPrivateNetworks: false, allowedHosts: [] });
}

/** The destinations of a task, each with the request field that named it. */
export function destinationsOf(input: ScheduledTaskInput): Array<[field: string, url: string]> {
  const targets: Array<[string, string]> = [];
  if (input.callbackUrl) targets.push(['callback_url', input.callbackUrl]);
  if (input.delivery?.failureUrl) targets.push(['delivery.failure_url', input.delivery.failureUrl]);
  if (input.webhook) targets.push(['webhook_url', input.webhook.url]);
  if (input.scheduleType === 'http_request' && typeof input.payload.url === 'string') {
    targets.push(['payload.url', input.payload.url]);
  }
  const host = input.payload.agent_host ?? input.metadata?.agent_host;
  const port = input.payload.agent_port ?? input.metadata?.agent_port;
  if (input.executor === 'local' && (host != null || port != null)) {
    const name = String(host ?? '127.0.0.1');
    const bracketed = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
    targets.push(['payload.agent_host', `http://${bracketed}:${String(port ?? 8450)}/`]);
  }
  return targets;
}

/** Refuses the task (a 400 naming the field) when any destination is refused by the guard. */
export async function checkDestinations(guard: DestinationGuard, input: ScheduledTaskInput): Promise<void> {
  for (const [field, url] of destinationsOf(input)) {
    try {
      await guard.checkUrl(url, field);
    } catch (err) {
      if (err instanceof DestinationRefusedError) {
        throw new BadRequestError('DESTINATION_REFUSED', err.message, [{ field, message: err.reason }]);
      }
      throw err;
    }
  }
}
