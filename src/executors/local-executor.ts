import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { permanentFailure, type FieldError } from '../errors.js';
import { DestinationRefusedError, type DestinationGuard } from '../security/ssrf-guard.js';
import { FailureType } from '../shared/failure-types.js';
import type { ExecutionRequest } from '../shared/task-types.js';
import {
  agentParamProblems,
  isStreamingEntrypoint,
  readAgentParams,
  type AgentParams,
} from './agent-params.js';
import type { Executor, ExecutionContext, TaskParams } from './executor.js';
import { importUserModule } from './import-user-module.js';
import { runAgentHttp, runAgentStream } from './runagent-protocol.js';

export interface LocalConfig {
  /** `ENABLE_LOCAL_EXECUTOR` (default true). */
  readonly enabled: boolean;
  /** `LOCAL_AGENT_PATH`: folder of JS/TS agent modules, also put on the Python path. */
  readonly agentPath: string | undefined;
  /** Python interpreter for Python agents (`PULSE_PYTHON`, default `python3`). */
  readonly python: string;
  /**
   * `PULSE_PYTHON_ALLOW_SYS_PATH`: also run modules found on the Python path, not only under LOCAL_AGENT_PATH.
   * Off by default: with it on, any task can call any installed function (os.system included).
   */
  readonly allowPythonSysPath?: boolean;
  /** Port of a `runagent serve` agent when only `agent_host` is given. */
  readonly defaultAgentPort: number;
  /** The SSRF guard of the task's tenant: `agent_host` is user-supplied, so every connection to it is checked. */
  readonly guardFor?: (tenant: string | undefined) => DestinationGuard | undefined;
}

const PYTHON_RUNNER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'python',
  'pulse_agent_runner.py',
);
const JS_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts'];
/** A module name: file or dotted Python module, never a path that could leave LOCAL_AGENT_PATH. */
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

type LocalMode =
  | { readonly kind: 'http'; readonly baseUrl: string }
  | { readonly kind: 'javascript'; readonly file: string }
  | { readonly kind: 'python' };

/** Finds `<agentPath>/<agentId>.{js,mjs,cjs,ts,mts}` or `<agentPath>/<agentId>/index.*`. */
function findJsModule(agentPath: string | undefined, agentId: string): string | undefined {
  if (!agentPath) return undefined;
  const base = path.resolve(agentPath, agentId);
  const candidates = [
    ...JS_EXTENSIONS.map((ext) => base + ext),
    ...JS_EXTENSIONS.map((ext) => path.join(base, `index${ext}`)),
  ];
  return candidates.find((file) => existsSync(file) && statSync(file).isFile());
}

/**
 * Whether `agentId` names a Python module under `agentPath` (`a.b` → `a/b.py` or `a/b/__init__.py`), as the runner
 * will require at run time; a compiled extension module counts too.
 */
function hasPythonModule(agentPath: string | undefined, agentId: string): boolean {
  if (!agentPath) return false;
  const base = path.resolve(agentPath, ...agentId.split('.'));
  const candidates = [`${base}.py`, path.join(base, '__init__.py'), `${base}.pyc`];
  return candidates.some((file) => existsSync(file) && statSync(file).isFile());
}

/** Source that may define names it does not spell out: re-exports, CommonJS, star imports, module __getattr__. */
const INDIRECT_NAMES =
  /\bexport\s*\*|\brequire\s*\(|\bmodule\.exports\b|\bexports\[|\bimport\s+\*|__getattr__|\bglobals\s*\(/;

/**
 * Why the module found for `agentId` cannot have `entrypoint`, or undefined when it may. Deliberately sure rather
 * than clever: only a name that appears nowhere in the module's own source, which defines no names indirectly,
 * is refused (a package folder, or a name spelt once in a comment, goes to run time as before).
 */
function missingEntrypointProblem(
  config: LocalConfig,
  agentId: string,
  entrypoint: string,
): string | undefined {
  const js = findJsModule(config.agentPath, agentId.replace(/\./g, '/'));
  const py = config.agentPath ? `${path.resolve(config.agentPath, ...agentId.split('.'))}.py` : undefined;
  const file = js ?? (py && existsSync(py) ? py : undefined);
  if (!file) return undefined;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (INDIRECT_NAMES.test(source) || new RegExp(`\\b${entrypoint}\\b`).test(source)) return undefined;
  return `agent module ${path.basename(file)} does not define '${entrypoint}' (it appears nowhere in ${file})`;
}

/** Why no local module answers to `agentId`, or undefined when one does (or may, on the Python path). */
function missingModuleProblem(config: LocalConfig, agentId: string): string | undefined {
  if (config.allowPythonSysPath) return undefined;
  if (findJsModule(config.agentPath, agentId.replace(/\./g, '/'))) return undefined;
  if (hasPythonModule(config.agentPath, agentId)) return undefined;
  if (!config.agentPath) {
    return (
      'names no agent: LOCAL_AGENT_PATH is not set, so the local executor has no modules to run ' +
      '(set it to a folder of agent modules, or give agent_host/agent_port for an agent served by runagent serve)'
    );
  }
  return (
    `names no agent under LOCAL_AGENT_PATH (${config.agentPath}): no ${agentId}.js/.mjs/.ts/.py module or ` +
    `${agentId}/ package there`
  );
}

/**
 * Runs agents on this machine, chosen by what the task gives: an agent served by `runagent serve` at
 * `agent_host`/`agent_port`; a JS/TS module under `LOCAL_AGENT_PATH` exporting the entrypoint; or a Python module
 * (importable from `LOCAL_AGENT_PATH` or the Python path) run in a child `python3` that is killed on cancel.
 */
export function createLocalExecutor(config: LocalConfig): Executor {
  function modeFor(agent: AgentParams): LocalMode {
    if (agent.agentHost || agent.agentPort) {
      const host = agent.agentHost ?? '127.0.0.1';
      const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
      return { kind: 'http', baseUrl: `http://${hostPart}:${agent.agentPort ?? config.defaultAgentPort}` };
    }
    const file = findJsModule(config.agentPath, agent.agentId.replace(/\./g, '/'));
    return file ? { kind: 'javascript', file } : { kind: 'python' };
  }

  return {
    name: 'local',
    description:
      'Runs agents on this machine: runagent serve (agent_host/agent_port), JS/TS or Python modules.',
    isAvailable: () =>
      config.enabled ? { available: true } : { available: false, reason: 'ENABLE_LOCAL_EXECUTOR is false' },
    validateParams(task: TaskParams): FieldError[] {
      const problems = agentParamProblems(task);
      if (problems.length > 0) return problems;
      const agent = readAgentParams(task);
      if (!agent.agentHost && !agent.agentPort && !MODULE_NAME.test(agent.agentId)) {
        problems.push({
          field: 'payload.agent_id',
          message: 'must be a module name (letters, digits, _ and -, dotted for packages) for a local agent',
        });
      }
      if (!agent.agentHost && !agent.agentPort && !/^[A-Za-z][A-Za-z0-9_]*$/.test(agent.entrypointTag)) {
        problems.push({
          field: 'payload.entrypoint_tag',
          message: 'must be the name of a public function (letters, digits and _, not starting with _)',
        });
      }
      if (problems.length === 0 && !agent.agentHost && !agent.agentPort) {
        // A module that is not there now is a 400 at once, not a failed run hours later.
        const missing = missingModuleProblem(config, agent.agentId);
        if (missing) problems.push({ field: 'payload.agent_id', message: missing });
        const entrypoint = missing
          ? undefined
          : missingEntrypointProblem(config, agent.agentId, agent.entrypointTag);
        if (entrypoint) problems.push({ field: 'payload.entrypoint_tag', message: entrypoint });
      }
      return problems;
    },
    async execute(request: ExecutionRequest, context: ExecutionContext): Promise<unknown> {
      const agent = readAgentParams(request);
      const mode = modeFor(agent);
      switch (mode.kind) {
        case 'http': {
          const call = { ...agent, timeoutMs: request.timeoutMs };
          const guard = config.guardFor?.(request.tenant);
          if (guard) {
            // Checked again here (not only at schedule time): a literal address never passes through DNS lookup.
            await guard.checkUrl(mode.baseUrl, 'agent_host').catch((err: unknown) => {
              throw err instanceof DestinationRefusedError
                ? permanentFailure(FailureType.DestinationRefused, err.message)
                : err;
            });
          }
          const target = {
            baseUrl: mode.baseUrl,
            ...(guard ? { dispatcher: guard.dispatcher, lookup: guard.lookup } : {}),
          };
          return isStreamingEntrypoint(agent.entrypointTag)
            ? runAgentStream(target, call, context)
            : runAgentHttp(target, call, context);
        }
        case 'javascript':
          return runJsModule(mode.file, agent, request.timeoutMs, context);
        case 'python':
          return runPythonModule(config, agent, request.timeoutMs, context);
      }
    },
  };
}

async function runJsModule(
  file: string,
  agent: AgentParams,
  timeoutMs: number,
  context: ExecutionContext,
): Promise<unknown> {
  const module = (await importUserModule(pathToFileURL(file).href)) as Record<string, unknown> & {
    default?: Record<string, unknown>;
  };
  const entrypoint = module[agent.entrypointTag] ?? module.default?.[agent.entrypointTag];
  if (typeof entrypoint !== 'function') {
    const exported = Object.keys(module).filter((k) => typeof module[k] === 'function');
    throw permanentFailure(
      FailureType.AgentValidationError,
      `agent module ${path.basename(file)} has no exported function '${agent.entrypointTag}' (it exports: ${exported.join(', ') || 'none'})`,
    );
  }
  // An in-process function cannot be killed; it gets the signal, and the run stops waiting for it.
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([context.signal, timeout]);
  const stopped = new Promise<never>((_, reject) => {
    signal.addEventListener(
      'abort',
      () =>
        reject(
          timeout.aborted
            ? new Error(`agent ${agent.agentId} timed out after ${timeoutMs} ms`)
            : signal.reason,
        ),
      { once: true },
    );
  });
  try {
    const run = Promise.resolve().then(() =>
      (entrypoint as (params: unknown, options: unknown) => unknown)(agent.params, {
        signal,
        heartbeat: context.heartbeat,
      }),
    );
    return await Promise.race([run, stopped]);
  } catch (err) {
    if (signal.aborted) throw err;
    throw permanentFailure(
      FailureType.AgentError,
      `agent ${agent.agentId}.${agent.entrypointTag} threw: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function runPythonModule(
  config: LocalConfig,
  agent: AgentParams,
  timeoutMs: number,
  context: ExecutionContext,
): Promise<unknown> {
  const pythonPath = [config.agentPath, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
  return new Promise((resolve, reject) => {
    // Own process group, so a kill reaches whatever the agent itself started.
    const child = spawn(config.python, [PYTHON_RUNNER], {
      env: { ...process.env, PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const finish = (error: unknown, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(value);
    };
    const onAbort = () => {
      kill();
      finish(context.signal.reason ?? new Error('cancelled'));
    };
    const timer = setTimeout(() => {
      kill();
      finish(
        new Error(`python agent ${agent.agentId}.${agent.entrypointTag} timed out after ${timeoutMs} ms`),
      );
    }, timeoutMs);
    context.signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', (err) => finish(new Error(`cannot start ${config.python}: ${err.message}`)));
    child.on('close', (code) => {
      const line = (marker: string) =>
        stdout
          .split('\n')
          .reverse()
          .find((l) => l.startsWith(marker))
          ?.slice(marker.length);
      const result = line('__PULSE_RESULT__ ');
      if (code === 0 && result !== undefined) return finish(undefined, JSON.parse(result) as unknown);
      const error = line('__PULSE_ERROR__ ');
      if (error !== undefined) {
        const { kind, type, message } = JSON.parse(error) as { kind: string; type: string; message: string };
        const failureType = kind === 'run' ? FailureType.AgentError : FailureType.AgentValidationError;
        const what =
          kind === 'import'
            ? `cannot import python module '${agent.agentId}'`
            : `python agent ${agent.agentId}.${agent.entrypointTag}`;
        return finish(permanentFailure(failureType, `${what}: ${type}: ${String(message).slice(0, 2000)}`));
      }
      finish(
        new Error(`python agent exited with code ${code}${stderr ? `: ${stderr.trim().slice(-500)}` : ''}`),
      );
    });
    child.stdin.end(
      JSON.stringify({
        module: agent.agentId,
        function: agent.entrypointTag,
        params: agent.params,
        agent_path: config.agentPath ?? null,
        allow_sys_path: config.allowPythonSysPath ?? false,
      }),
    );
  });
}
