/**
 * What `npm test`'s global set-up (test/dev-server-setup.ts) shares with every test process, and claims on it: a
 * name taken in the run's claims folder by creating an entry (mkdir is atomic across processes), so two test files
 * in different processes never take the same namespace or port. Light on purpose: test/helpers/service.ts uses it
 * in processes that load no Temporal SDK.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

/** What test/dev-server-setup.ts hands to the files: the shared dev server, and where names are claimed. */
export interface SharedDevServerInfo {
  readonly address: string;
  /** The run's claims folder: namespace `i` is claimed as the entry `i`, port `p` as `ports/p`. */
  readonly claims: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pulseDevServer: SharedDevServerInfo | undefined;
  }
}

/** The shared dev server of this `npm test` run; undefined outside vitest (a script) or without one. */
export function sharedDevServer(): SharedDevServerInfo | undefined {
  try {
    return inject('pulseDevServer');
  } catch {
    return undefined; // not under vitest (a script, or test/helpers/run-doc-examples.ts in its own namespace)
  }
}

/**
 * Claims `name` (a path under the claims folder) for this run: true when this process got it, false when another
 * one has it, undefined when there is no run to claim in.
 */
export function claimInRun(name: string): boolean | undefined {
  const shared = sharedDevServer();
  if (!shared) return undefined;
  const entry = path.join(shared.claims, name);
  mkdirSync(path.dirname(entry), { recursive: true });
  try {
    mkdirSync(entry);
    return true;
  } catch {
    return false;
  }
}
