import type { FieldError } from '../errors.js';
import type { ExecutionRequest } from '../shared/task-types.js';
import { agentParamProblems, isStreamingEntrypoint, readAgentParams } from './agent-params.js';
import type { Executor, ExecutionContext, TaskParams } from './executor.js';
import { permanentFailure } from '../errors.js';
import { FailureType } from '../shared/failure-types.js';
import { fetchEntrypoints, runAgentHttp, runAgentStream, type RunAgentTarget } from './runagent-protocol.js';

/** How long an agent's list of entrypoints is trusted before it is fetched again. */
const ENTRYPOINTS_TTL_MS = 5 * 60_000;

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
  const entrypoints = new Map<string, { tags: string[]; fetchedAt: number }>();

  /**
   * Refuses an entrypoint the agent does not declare, before paying for a run. An agent whose architecture
   * cannot be read is run anyway: the run itself will say what is wrong.
   */
  async function checkEntrypoint(agentId: string, tag: string, context: ExecutionContext): Promise<void> {
    let known = entrypoints.get(agentId);
    if (!known || Date.now() - known.fetchedAt > ENTRYPOINTS_TTL_MS) {
      try {
        known = { tags: await fetchEntrypoints(target, agentId, context), fetchedAt: Date.now() };
        entrypoints.set(agentId, known);
      } catch {
        return;
      }
    }
    if (known.tags.length > 0 && !known.tags.includes(tag)) {
      throw permanentFailure(
        FailureType.AgentValidationError,
        `agent ${agentId} has no entrypoint '${tag}' (it declares: ${known.tags.join(', ')})`,
      );
    }
  }

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
      await checkEntrypoint(agent.agentId, agent.entrypointTag, context);
      const call = { ...agent, timeoutMs: request.timeoutMs };
      return isStreamingEntrypoint(agent.entrypointTag)
        ? runAgentStream(target, call, context)
        : runAgentHttp(target, call, context);
    },
  };
}
