/**
 * `pulse tenants`: the tenants file (`--file`, else `PULSE_TENANTS_FILE`), edited in place: list, add a tenant,
 * rotate its key, set its limits, add an admin key. A new key is printed once and only its hash is written; the
 * running service reads the file again by itself (it watches it; SIGHUP does it too).
 */
import type { Command } from 'commander';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  TenantFileSchema,
  TenantSchema,
  hashKey,
  newApiKey,
  readTenantFile,
  type Tenant,
  type TenantFile,
} from '../../tenants/tenant-registry.js';
import {
  NotFoundHereError,
  UsageError,
  num,
  str,
  subcommand,
  type Action,
  type Context,
  type Values,
} from './command.js';
import { wholeNumber } from './option-values.js';

function fileOf({ values, env }: Pick<Context, 'values' | 'env'>): string {
  const file = str(values, 'file') ?? env.PULSE_TENANTS_FILE;
  if (!file) throw new UsageError('Name the tenants file: --file PATH, or set PULSE_TENANTS_FILE.');
  return path.resolve(file);
}

function read(file: string, create = false): TenantFile {
  if (!existsSync(file)) {
    if (create) return { admin_keys: [], tenants: [] };
    throw new UsageError(`There is no tenants file at ${file}; \`pulse tenants add\` creates it.`);
  }
  return readTenantFile(file);
}

/** Writes the file whole (a temporary file renamed over it), readable by its owner only: it holds key hashes. */
function write(file: string, data: TenantFile): void {
  const checked = TenantFileSchema.parse(data);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

function tenantIn(data: TenantFile, id: string): Tenant {
  const tenant = data.tenants.find((t) => t.id === id);
  if (!tenant) throw new NotFoundHereError(`There is no tenant '${id}' (pulse tenants list shows them).`);
  return tenant;
}

function limitsOf(values: Values): Tenant['limits'] {
  const limits = {
    requests_per_minute: num(values, 'requestsPerMinute'),
    active_tasks: num(values, 'activeTasks'),
    concurrent_runs: num(values, 'concurrentRuns'),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}

const keyNote = (key: string) =>
  `${key}\n(shown this once: only its hash is in the file; use it as "Authorization: Bearer <key>")`;

export function addTenantsCommand(program: Command, action: Action): void {
  const tenants = subcommand(
    program,
    'tenants',
    '',
    'Manage the tenants file: tenants, their keys and limits',
  );
  const withFile = (command: Command) =>
    command.option('--file <PATH>', 'The tenants file (default: PULSE_TENANTS_FILE)');
  const withLimits = (command: Command) =>
    command
      .option('--requests-per-minute <N>', 'API requests a minute', wholeNumber(1_000_000))
      .option('--active-tasks <N>', 'Tasks not yet ended or cancelled', wholeNumber(10_000_000))
      .option('--concurrent-runs <N>', 'Runs at once, across every worker', wholeNumber(100_000));

  withFile(subcommand(tenants, 'list', '', 'The tenants, their limits and how many keys each has')).action(
    action(async (ctx) => {
      const data = read(fileOf(ctx));
      const rows = data.tenants.map((t) => ({
        id: t.id,
        ...(t.name ? { name: t.name } : {}),
        keys: t.keys.length,
        limits: t.limits ?? {},
        ...(t.weight !== undefined ? { weight: t.weight } : {}),
      }));
      ctx.emit({ tenants: rows, admin_keys: data.admin_keys.length }, () =>
        [
          ...rows.map(
            (r) =>
              `${r.id}${r.name ? ` (${r.name})` : ''}: ${r.keys} key${r.keys === 1 ? '' : 's'}` +
              `${Object.keys(r.limits).length ? `, limits ${JSON.stringify(r.limits)}` : ''}`,
          ),
          `${data.admin_keys.length} admin key${data.admin_keys.length === 1 ? '' : 's'}`,
        ].join('\n'),
      );
    }),
  );

  withLimits(
    withFile(subcommand(tenants, 'add', '<id>', 'Add a tenant with a new API key (printed once)')).option(
      '--name <NAME>',
      'A name to show',
    ),
  ).action(
    action(async (ctx) => {
      const file = fileOf(ctx);
      const data = read(file, true);
      const id = ctx.args[0]!;
      const checked = TenantSchema.shape.id.safeParse(id);
      if (!checked.success)
        throw new UsageError(`The tenant id '${id}' ${checked.error.issues[0]!.message}.`);
      if (data.tenants.some((t) => t.id === id)) throw new UsageError(`Tenant '${id}' exists already.`);
      const key = newApiKey();
      const limits = limitsOf(ctx.values);
      const name = str(ctx.values, 'name');
      const tenant: Tenant = {
        id,
        ...(name ? { name } : {}),
        keys: [hashKey(key)],
        ...(limits && Object.keys(limits).length ? { limits } : {}),
      };
      const parsed = TenantFileSchema.safeParse({ ...data, tenants: [...data.tenants, tenant] });
      if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('; '));
      write(file, parsed.data);
      ctx.emit({ id, key }, () => `Tenant ${id} added. Its API key:\n${keyNote(key)}`);
    }),
  );

  withFile(subcommand(tenants, 'rotate', '<id>', 'Give a tenant a new API key (printed once)'))
    .option('--revoke-old', 'Remove its other keys at once (default: they keep working until removed)')
    .action(
      action(async (ctx) => {
        const file = fileOf(ctx);
        const data = read(file);
        const tenant = tenantIn(data, ctx.args[0]!);
        const key = newApiKey();
        const keys = ctx.values.revokeOld ? [hashKey(key)] : [...tenant.keys, hashKey(key)];
        write(file, { ...data, tenants: data.tenants.map((t) => (t.id === tenant.id ? { ...t, keys } : t)) });
        ctx.emit({ id: tenant.id, key, keys: keys.length }, () =>
          [
            `Tenant ${tenant.id}: new API key`,
            keyNote(key),
            ctx.values.revokeOld
              ? 'Its other keys no longer work.'
              : `It has ${keys.length} keys; once clients use the new one: pulse tenants rotate ${tenant.id} --revoke-old`,
          ].join('\n'),
        );
      }),
    );

  withLimits(withFile(subcommand(tenants, 'limits', '<id>', "Set a tenant's limits"))).action(
    action(async (ctx) => {
      const file = fileOf(ctx);
      const data = read(file);
      const tenant = tenantIn(data, ctx.args[0]!);
      const limits = { ...tenant.limits, ...limitsOf(ctx.values) };
      write(file, { ...data, tenants: data.tenants.map((t) => (t.id === tenant.id ? { ...t, limits } : t)) });
      ctx.emit({ id: tenant.id, limits }, () => `Tenant ${tenant.id}: limits ${JSON.stringify(limits)}`);
    }),
  );

  withFile(subcommand(tenants, 'admin-key', '', 'Add an admin key (sees every tenant; printed once)')).action(
    action(async (ctx) => {
      const file = fileOf(ctx);
      const data = read(file, true);
      const key = newApiKey();
      write(file, { ...data, admin_keys: [...data.admin_keys, hashKey(key)] });
      ctx.emit({ key }, () => `Admin key added:\n${keyNote(key)}`);
    }),
  );
}
