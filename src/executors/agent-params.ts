/**
 * The agent fields of a `run_agent` / `execute_agent` payload (CONTRACT.md), read once and checked the same way by
 * every agent executor. `metadata` may carry `agent_host`/`agent_port` too (the Python SDK puts them there).
 */
import { isIP } from 'node:net';
import type { FieldError } from '../errors.js';
import type { TaskParams } from './executor.js';

export interface AgentParams {
  readonly agentId: string;
  readonly entrypointTag: string;
  readonly params: Record<string, unknown>;
  readonly userId?: string;
  readonly persistentMemory?: boolean;
  readonly agentHost?: string;
  readonly agentPort?: number;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Problems with the agent fields; empty when they are usable. */
/** `agent_host`, when given, is a host and nothing more: checked for every agent task, whatever its executor. */
export function agentHostProblem(host: unknown): FieldError | undefined {
  if (host == null || (typeof host === 'string' && isHost(host))) return undefined;
  return {
    field: 'payload.agent_host',
    message:
      'must be a host name or IP address, without a scheme, path or port (the port goes in agent_port)',
  };
}

/** A host name, an IP address, or a bracketed IPv6 address: nothing else (no port, scheme or path). */
function isHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare)) return bare === host || isIP(bare) === 6;
  return /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(
    host,
  );
}

export function agentParamProblems(task: TaskParams): FieldError[] {
  const { payload, metadata } = task;
  const problems: FieldError[] = [];
  if (!text(payload.agent_id)) problems.push({ field: 'payload.agent_id', message: 'is required' });
  if (!text(payload.entrypoint_tag))
    problems.push({ field: 'payload.entrypoint_tag', message: 'is required' });
  const params = payload.params;
  if (params != null && (typeof params !== 'object' || Array.isArray(params))) {
    problems.push({ field: 'payload.params', message: 'must be an object of keyword arguments' });
  }
  if (payload.user_id != null && typeof payload.user_id !== 'string') {
    problems.push({ field: 'payload.user_id', message: 'must be a string' });
  }
  if (payload.persistent_memory != null && typeof payload.persistent_memory !== 'boolean') {
    problems.push({ field: 'payload.persistent_memory', message: 'must be true or false' });
  }
  const port = payload.agent_port ?? metadata.agent_port;
  if (port != null) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65_535) {
      problems.push({ field: 'payload.agent_port', message: 'must be a port number between 1 and 65535' });
    }
  }
  const hostProblem = agentHostProblem(payload.agent_host ?? metadata.agent_host);
  if (hostProblem) problems.push(hostProblem);
  return problems;
}

/** Reads the agent fields; call only after `agentParamProblems` returned nothing. */
export function readAgentParams(task: TaskParams): AgentParams {
  const { payload, metadata } = task;
  const host = text(payload.agent_host) ?? text(metadata.agent_host);
  const port = payload.agent_port ?? metadata.agent_port;
  return {
    agentId: text(payload.agent_id)!,
    entrypointTag: text(payload.entrypoint_tag)!,
    params: (payload.params as Record<string, unknown> | null | undefined) ?? {},
    ...(typeof payload.user_id === 'string' ? { userId: payload.user_id } : {}),
    ...(typeof payload.persistent_memory === 'boolean'
      ? { persistentMemory: payload.persistent_memory }
      : {}),
    ...(host ? { agentHost: host } : {}),
    ...(port != null ? { agentPort: Number(port) } : {}),
  };
}

/** Streaming entrypoints end in `_stream` (RunAgent convention). */
export function isStreamingEntrypoint(tag: string): boolean {
  return tag.endsWith('_stream');
}
