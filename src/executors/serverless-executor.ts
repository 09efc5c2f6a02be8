import type { FieldError } from '../errors.js';
import type { ExecutionRequest } from '../shared/task-types.js';
import { agentParamProblems, isStreamingEntrypoint, readAgentParams } from './agent-params.js';
import type { Executor, ExecutionContext, TaskParams } from './executor.js';
import { runAgentHttp, runAgentStream, type RunAgentTarget } from './runagent-protocol.js';

export interface ServerlessConfig {
  /** `ENABLE_SERVERLESS_INTEGRATION` (default true). */
  readonly enabled: boolean;
  /** `RUNAGENT_BASE_URL`, default `https://backend.run-agent.ai`. */
  readonly baseUrl: string;
  /** `RUNAGENT_SERVERLESS_API_KEY` or `RUNAGENT_API_KEY`. */
  readonly apiKey: string | undefined;
}

/** Runs agents deployed on RunAgent Serverless (`/api/v1/agents/{id}/run`, or `run-stream` for `*_stream`). */
export function createServerlessExecutor(config: ServerlessConfig): Executor {
  const target: RunAgentTarget = { baseUrl: config.baseUrl, apiKey: config.apiKey };
  return {
    name: 'serverless',
    description: `Runs agents deployed on RunAgent Serverless at ${config.baseUrl}.`,
    isAvailable() {
      if (!config.enabled) return { available: false, reason: 'ENABLE_SERVERLESS_INTEGRATION is false' };
      if (!config.apiKey) {
        return {
          available: false,
          reason: 'no API key: set RUNAGENT_SERVERLESS_API_KEY or RUNAGENT_API_KEY',
        };
      }
      return { available: true };
    },
    validateParams(task: TaskParams): FieldError[] {
      return agentParamProblems(task);
    },
    async execute(request: ExecutionRequest, context: ExecutionContext): Promise<unknown> {
      const agent = readAgentParams(request);
      const call = { ...agent, timeoutMs: request.timeoutMs };
      return isStreamingEntrypoint(agent.entrypointTag)
        ? runAgentStream(target, call, context)
        : runAgentHttp(target, call, context);
    },
  };
}
