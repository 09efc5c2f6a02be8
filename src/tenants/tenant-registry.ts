/**
 * The tenants of one Pulse (`PULSE_TENANTS_FILE`, docs/tenants.md): who may call, as whom, within which limits. The
 * file holds only hashes of API keys (`sha256:<hex>`); a presented key is hashed and looked up. The registry is
 * read again on SIGHUP and when the file changes; a file that does not parse keeps the last good registry (and
 * says why in the log), so a typo cannot lock every tenant out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isAllowedHostEntry } from '../security/ssrf-guard.js';

const KeyHash = z
  .string()
  .regex(
    /^sha256:[0-9a-f]{64}$/,
    'must be "sha256:" and 64 hex digits (pulse tenants add/rotate writes them)',
  );

export const TenantLimitsSchema = z
  .object({
    requests_per_minute: z.number().int().min(1).optional(),
    active_tasks: z.number().int().min(1).optional(),
    concurrent_runs: z.number().int().min(1).optional(),
  })
  .strict();

export const TenantSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, _ and - (at most 63)'),
    name: z.string().max(200).optional(),
    keys: z.array(KeyHash).min(1),
    limits: TenantLimitsSchema.optional(),
    /** Signs this tenant's callbacks and webhook pushes instead of `PULSE_WEBHOOK_SECRET`. */
    webhook_secret: z.string().startsWith('whsec_').optional(),
    /** Hosts this tenant's tasks may reach besides the global allow list (the SSRF guard). */
    allowed_hosts: z
      .array(
        z
          .string()
          .min(1)
          .max(253)
          .refine(isAllowedHostEntry, 'must be a host name, an IP address or *.example.com'),
      )
      .optional(),
    /** Share of the workers when runs of many tenants are due at once (Temporal fairness weight); default 1. */
    weight: z.number().positive().max(1000).optional(),
  })
  .strict();

export const TenantFileSchema = z
  .object({
    admin_keys: z.array(KeyHash).default([]),
    tenants: z.array(TenantSchema),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Map<string, string>();
    file.tenants.forEach((tenant, i) => {
      if (file.tenants.findIndex((t) => t.id === tenant.id) !== i) {
        ctx.addIssue({ code: 'custom', path: ['tenants', i, 'id'], message: `'${tenant.id}' appears twice` });
      }
      for (const key of tenant.keys) {
        const owner = seen.get(key);
        if (owner && owner !== tenant.id) {
          ctx.addIssue({
            code: 'custom',
            path: ['tenants', i, 'keys'],
            message: `a key of '${tenant.id}' is also a key of '${owner}'`,
          });
        }
        seen.set(key, tenant.id);
      }
    });
  });

export type Tenant = z.infer<typeof TenantSchema>;
export type TenantFile = z.infer<typeof TenantFileSchema>;
export type TenantLimits = z.infer<typeof TenantLimitsSchema>;

/** Who a key belongs to. */
export type Caller = { readonly admin: true } | { readonly admin: false; readonly tenant: Tenant };

export function hashKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** A new API key: 32 random bytes, base64url, with a prefix that says what it is. */
export function newApiKey(): string {
  return `pulse_${randomBytes(32).toString('base64url')}`;
}

export class TenantFileError extends Error {}

/** Reads and checks a tenants file; throws a `TenantFileError` naming each problem. */
export function readTenantFile(file: string): TenantFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TenantFileError(
      `cannot read the tenants file ${file}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const parsed = TenantFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'} ${i.message}`);
    throw new TenantFileError(`the tenants file ${file} is not valid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export interface TenantRegistry {
  /** The tenant (or admin) a presented API key belongs to; undefined for an unknown key. */
  identify(key: string): Caller | undefined;
  tenant(id: string): Tenant | undefined;
  tenants(): readonly Tenant[];
  /** Reads the file again (SIGHUP, a change); keeps the current registry when the file is not valid. */
  reload(): void;
  close(): void;
}

export interface RegistryOptions {
  readonly file: string;
  /** Where a reload that failed is reported. */
  readonly onError?: (err: Error) => void;
  readonly onReload?: (tenants: number) => void;
}

/** Loads the registry (a bad file at start is an error: the service does not start half-secured). */
export function loadTenantRegistry(options: RegistryOptions): TenantRegistry {
  let byKey = new Map<string, Caller>();
  let byId = new Map<string, Tenant>();
  const apply = (file: TenantFile) => {
    const keys = new Map<string, Caller>();
    for (const key of file.admin_keys) keys.set(key, { admin: true });
    for (const tenant of file.tenants) for (const key of tenant.keys) keys.set(key, { admin: false, tenant });
    byKey = keys;
    byId = new Map(file.tenants.map((t) => [t.id, t]));
  };
  apply(readTenantFile(options.file));

  const reload = () => {
    try {
      apply(readTenantFile(options.file));
      options.onReload?.(byId.size);
    } catch (err) {
      options.onError?.(err as Error);
    }
  };
  let pending: NodeJS.Timeout | undefined;
  // Editors and `pulse tenants` replace the file (a new file renamed over it) rather than write it, and a watch on
  // the file itself follows the replaced inode, deaf to every later change: so watch its folder, for entries of its
  // name, and settle bursts of events.
  let watcher: FSWatcher | undefined;
  const name = path.basename(options.file);
  try {
    watcher = watch(path.dirname(options.file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(pending);
      pending = setTimeout(reload, 100);
    });
  } catch {
    // A file system without watching: SIGHUP still reloads.
  }
  const onHangup = () => reload();
  process.on('SIGHUP', onHangup);
  return {
    identify: (key) => byKey.get(hashKey(key)),
    tenant: (id) => byId.get(id),
    tenants: () => [...byId.values()],
    reload,
    close() {
      clearTimeout(pending);
      watcher?.close();
      process.off('SIGHUP', onHangup);
    },
  };
}
