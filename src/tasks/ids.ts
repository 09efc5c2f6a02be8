/**
 * Task ids, idempotency and list cursors. A task id is the workflow id (or the schedule id), so Temporal's own
 * uniqueness is the dedup: the same `Idempotency-Key` from the same caller always names the same task.
 */
import { createHash, randomUUID } from 'node:crypto';
import { BadRequestError } from '../errors.js';

/** Who sent an `Idempotency-Key`: keys are scoped per API key, so two clients cannot collide. */
export interface IdempotencyKey {
  readonly key: string;
  readonly principal: string;
}

export function newTaskId(): string {
  return `task_${randomUUID().replace(/-/g, '')}`;
}

export function idempotentTaskId({ key, principal }: IdempotencyKey): string {
  return `task_${createHash('sha256').update(`${principal}\n${key}`).digest('hex').slice(0, 32)}`;
}

/** JSON with sorted keys, so the same request hashes the same whatever the key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Kept in the task's memo, so a retried request can be told from a different one under the same key. */
export function hashRequest(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url');
}

/** Cursors deeper than this are refused: listing reads at most this many tasks anyway. */
const MAX_CURSOR_OFFSET = 100_000;

/** A cursor is a position in the list tied to the filters it belongs to, so it cannot be reused with others. */
function cursorKey(scope: string): string {
  return createHash('sha256').update(scope).digest('base64url').slice(0, 16);
}

export function encodeCursor(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ q: cursorKey(scope), o: offset })).toString('base64url');
}

export function decodeCursor(cursor: string, scope: string): number {
  let decoded: { q?: unknown; o?: unknown } | undefined;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { q?: unknown; o?: unknown };
  } catch {
    // Not JSON: not a cursor we handed out; refused below like any other foreign cursor.
  }
  const offset = decoded?.o;
  if (
    decoded?.q !== cursorKey(scope) ||
    typeof offset !== 'number' ||
    !Number.isInteger(offset) ||
    offset < 0 ||
    offset > MAX_CURSOR_OFFSET
  ) {
    throw new BadRequestError(
      'INVALID_CURSOR',
      'cursor is not a next_cursor returned by GET /tasks with the same filters.',
    );
  }
  return offset;
}
