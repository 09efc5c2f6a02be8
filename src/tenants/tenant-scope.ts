/**
 * The tenant a request acts for, carried through everything it calls (the task service, the ledger, the tools and
 * MCP) without threading it through every signature: the auth middleware opens the scope, the services read it.
 * No scope at all is single-tenant Pulse (no tenants file), unchanged.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { quote } from '../tasks/visibility-query.js';
import type { TenantLimits } from './tenant-registry.js';

export interface TenantScope {
  /** The tenant acted for; absent for an admin key that named none (it sees every tenant). */
  readonly tenantId?: string;
  readonly admin: boolean;
  /** The tenant's limits. */
  readonly limits?: TenantLimits;
}

const storage = new AsyncLocalStorage<TenantScope>();

export function withTenantScope<T>(scope: TenantScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentScope(): TenantScope | undefined {
  return storage.getStore();
}

/** The tenant whose tasks a request may see; undefined when it may see every task (single-tenant, or admin). */
export function visibleTenant(): string | undefined {
  return storage.getStore()?.tenantId;
}

/** Whether a task stamped with `tenant` is visible to the current request. */
export function canSee(tenant: unknown): boolean {
  const scope = storage.getStore();
  if (!scope || scope.tenantId === undefined) return true;
  return tenant === scope.tenantId;
}

/** The visibility clause that keeps a listing to the current tenant's tasks; none when it may see all. */
export function tenantClause(): string[] {
  const tenant = visibleTenant();
  return tenant === undefined ? [] : [`PulseTenant = ${quote(tenant)}`];
}
