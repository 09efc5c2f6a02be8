/**
 * The Temporal side of the cluster: database schemas, the server process, the namespace with Pulse's search
 * attributes, and the Web UI.
 *
 * The server runs with no config file, from the config template built into it and environment variables: exactly
 * what the `temporalio/server` image does, so this and docker-compose.yml differ only in the values they pass.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { settingsDynamicConfig } from '../../src/temporal/dev-server.js';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes-setup.js';
import { PulseScheduleType } from '../../src/shared/search-attributes.js';
import type { ClusterBinaries } from './build.js';
import { serverPorts, type ClusterOptions } from './options.js';
import { PG_PASSWORD, PG_USER } from './postgres.js';
import { sleep } from './processes.js';

/** The dynamic config shared with docker-compose.yml. */
export const DYNAMIC_CONFIG_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'dynamicconfig.yaml',
);

const SCHEMAS = [
  { database: 'temporal', schema: 'postgresql/v12/temporal' },
  { database: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

/** A minimal environment, so a stray `DB` or `LOG_LEVEL` in the caller's shell cannot change the server. */
function baseEnv(): NodeJS.ProcessEnv {
  const { PATH, HOME, TZ } = process.env;
  return { PATH, HOME, ...(TZ ? { TZ } : {}) };
}

/**
 * Creates both databases and brings their schemas to the version this server embeds. Idempotent: an existing
 * database is kept, and `update-schema` applies only the versions it lacks.
 */
export function setupSchemas(binaries: ClusterBinaries, options: ClusterOptions): void {
  for (const { database, schema } of SCHEMAS) {
    const common = [
      '--plugin',
      'postgres12',
      '--endpoint',
      '127.0.0.1',
      '--port',
      String(options.ports.postgres),
      '--user',
      PG_USER,
      '--password',
      PG_PASSWORD,
      '--database',
      database,
    ];
    const run = (args: string[]) => {
      const result = spawnSync(binaries.sqlTool, [...common, ...args], { encoding: 'utf8', env: baseEnv() });
      return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
    };
    const created = run(['create-database']);
    if (!created.ok && !/already exists/i.test(created.output))
      throw new Error(`temporal-sql-tool create-database ${database} failed:\n${created.output}`);
    // Makes the version tables if missing; on a migrated database it changes nothing.
    const base = run(['setup-schema', '-v', '0.0']);
    if (!base.ok) throw new Error(`temporal-sql-tool setup-schema ${database} failed:\n${base.output}`);
    const updated = run(['update-schema', '--schema-name', schema]);
    if (!updated.ok)
      throw new Error(`temporal-sql-tool update-schema ${database} failed:\n${updated.output}`);
  }
}

/**
 * The shared dynamic config, plus what `npm start` would set from the environment (`PULSE_TIMER_MAX_TIME_SHIFT`),
 * written where the server reads it.
 */
export function writeDynamicConfig(runDir: string, env: NodeJS.ProcessEnv): string {
  mkdirSync(runDir, { recursive: true });
  const extra = settingsDynamicConfig(loadConfig(env)).map((setting) => {
    const at = setting.indexOf('=');
    // The value is JSON, which is YAML too.
    return `${setting.slice(0, at)}:\n  - value: ${setting.slice(at + 1)}\n`;
  });
  const file = path.join(runDir, 'dynamicconfig.yaml');
  writeFileSync(file, [readFileSync(DYNAMIC_CONFIG_FILE, 'utf8'), ...extra].join('\n'));
  return file;
}

/** The server's command and environment; its config is the template built into it, as in the Docker image. */
export function serverCommand(binaries: ClusterBinaries, options: ClusterOptions, dynamicConfigFile: string) {
  const { METRICS_PORT, ...ports } = serverPorts(options.ports.frontend);
  return {
    command: binaries.server,
    args: ['start'],
    env: {
      ...baseEnv(),
      DB: 'postgres12',
      DB_PORT: String(options.ports.postgres),
      POSTGRES_SEEDS: '127.0.0.1',
      POSTGRES_USER: PG_USER,
      POSTGRES_PWD: PG_PASSWORD,
      // Every service of the server on loopback: nothing but this machine reaches Temporal (it has no auth here).
      BIND_ON_IP: '127.0.0.1',
      NUM_HISTORY_SHARDS: '4',
      LOG_LEVEL: options.serverLogLevel,
      DYNAMIC_CONFIG_FILE_PATH: dynamicConfigFile,
      PROMETHEUS_ENDPOINT: `127.0.0.1:${METRICS_PORT}`,
      ...Object.fromEntries(Object.entries(ports).map(([key, value]) => [key, String(value)])),
    },
  };
}

/** Waits until the frontend answers; a server that is still joining its own ring answers with an error. */
export async function waitForServer(address: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('temporal-server exited while starting');
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        // The system namespace answering means the history and matching services are up too.
        await connection.workflowService.describeNamespace({ namespace: 'temporal-system' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await sleep(250);
    }
  }
  throw new Error(`temporal-server at ${address} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}

/**
 * Registers the namespace (or sets its retention if it exists) and Pulse's search attributes, then waits until
 * the frontend can filter on them: its namespace cache refreshes every few seconds, and a task started before
 * that would be refused for an unknown search attribute.
 */
export async function setupNamespace(address: string, options: ClusterOptions): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const retention = msToTs(options.retentionDays * 86_400_000);
    try {
      await connection.workflowService.registerNamespace({
        namespace: options.namespace,
        workflowExecutionRetentionPeriod: retention,
      });
    } catch (err) {
      if (!/already exists|already registered/i.test(String(err))) throw err;
      await connection.workflowService.updateNamespace({
        namespace: options.namespace,
        config: { workflowExecutionRetentionTtl: retention },
      });
    }
    const added = await retry(() => ensureSearchAttributes(connection, options.namespace), 30_000);
    await retry(
      () =>
        connection.workflowService.countWorkflowExecutions({
          namespace: options.namespace,
          query: `${PulseScheduleType.name} = 'probe'`,
        }),
      60_000,
    );
    return added;
  } finally {
    await connection.close();
  }
}

async function retry<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/** Writes the ui-server's config (loopback only, pointed at the cluster's frontend); returns its root folder. */
export function writeUiConfig(uiDir: string, options: ClusterOptions): string {
  const configDir = path.join(uiDir, 'config');
  mkdirSync(configDir, { recursive: true });
  const origin = `http://localhost:${options.ports.ui}`;
  writeFileSync(
    path.join(configDir, 'pulse.yaml'),
    [
      `temporalGrpcAddress: 127.0.0.1:${options.ports.frontend}`,
      'host: 127.0.0.1',
      `port: ${options.ports.ui}`,
      'enableUi: true',
      `defaultNamespace: ${options.namespace}`,
      'refreshInterval: 0s',
      'disableNewsFetch: true',
      'notifyOnNewVersion: false',
      'cors:',
      '  allowOrigins:',
      `    - ${origin}`,
      `    - http://127.0.0.1:${options.ports.ui}`,
      'auth:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  return uiDir;
}

export function uiCommand(binaries: ClusterBinaries, uiDir: string) {
  return {
    command: binaries.uiServer,
    args: ['--root', uiDir, '--config', 'config', '--env', 'pulse', 'start'],
    env: baseEnv(),
  };
}
