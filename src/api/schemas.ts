/**
 * Request and response schemas of the HTTP API. Each schema is the validator, the TypeScript type and the
 * OpenAPI document at once. They live in `schemas/` by role (shared fields, requests, task responses, the
 * occurrence ledger); this file is the one place routes, services and the client import them from.
 */
export { DAY_MS, RunStatusEnum, TaskKindEnum, TaskStatusEnum, durationMs } from './schemas/fields.js';
export * from './schemas/occurrences.js';
export * from './schemas/requests.js';
export * from './schemas/responses.js';

// The body-depth limit is checked before any schema runs; its scanner has its own file.
export { MAX_JSON_DEPTH, pathBeyondDepth } from './json-depth.js';
