import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { setTimeout as sleep } from 'node:timers/promises';

const { temporal } = proto;
import { PULSE_SEARCH_ATTRIBUTES } from '../shared/search-attributes.js';

const INDEXED_VALUE_TYPE: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.TEXT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.BOOL]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DOUBLE]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
};

/**
 * How often each service of a Temporal server reloads its namespaces (`system.namespaceCacheRefreshInterval`, 2 s
 * by default), and with them a namespace's custom search attributes. A production server reads attributes from
 * that cache, so one just added is refused as unknown until every service has reloaded. (The CLI's dev server
 * reads them from its database on every use instead: `system.forceSearchAttributesCacheRefreshOnRead`.)
 */
const NAMESPACE_REFRESH_MS = 2000;

/**
 * Registers Pulse's custom search attributes in the namespace if they are missing; returns the names it added.
 * Idempotent, so every start may call it, against the embedded server or a real cluster. When it added any, it
 * returns once the server accepts them (see `untilSearchAttributesUsable`).
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const addedAt = Date.now();
  const added = await addSearchAttributes(
    connection,
    namespace,
    PULSE_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name)),
  );
  if (added.length > 0) await untilSearchAttributesUsable(connection, namespace, addedAt);
  return added;
}

/**
 * Waits until the server takes Pulse's search attributes in `namespace`: a visibility query naming them passes, and
 * a namespace refresh has passed since they were added (`addedAt`), so the services that validate workflow starts
 * and upserts (not only the one answering the query) have them too.
 */
async function untilSearchAttributesUsable(
  connection: Connection,
  namespace: string,
  addedAt = Date.now(),
  timeoutMs = 30_000,
): Promise<void> {
  const query = PULSE_SEARCH_ATTRIBUTES.filter((key) => key.type === SearchAttributeType.KEYWORD)
    .map((key) => `${key.name} = ''`)
    .join(' AND ');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
  await sleep(Math.max(0, addedAt + NAMESPACE_REFRESH_MS + 500 - Date.now()));
}

/** Adds the given attributes without checking first (the time-skipping test server cannot list them). */
export async function addSearchAttributes(
  connection: Connection,
  namespace: string,
  missing: readonly (typeof PULSE_SEARCH_ATTRIBUTES)[number][] = PULSE_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type]!])),
  });
  return missing.map((key) => key.name);
}
