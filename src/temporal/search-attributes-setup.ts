import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';

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
 * Registers Pulse's custom search attributes in the namespace if they are missing; returns the names it added.
 * Idempotent, so every start may call it, against the embedded server or a real cluster.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  return addSearchAttributes(
    connection,
    namespace,
    PULSE_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name)),
  );
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
