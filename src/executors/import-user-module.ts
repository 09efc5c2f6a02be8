/** Scoped importer for TypeScript files, set up on first use: one tsx loader for the life of the process. */
let typescriptImport: Promise<(specifier: string, parent: string) => Promise<unknown>> | undefined;

const TYPESCRIPT = /\.[cm]?tsx?$/;

/**
 * Imports a module the deployment names (`PULSE_EXECUTORS_MODULE`, a local JavaScript agent). A TypeScript file
 * loads through tsx, always: Pulse runs from a bundle (scripts/run-bundled.mjs), so Node alone would refuse the
 * `.ts` extension, or on versions that strip types, refuse the `.js` imports TypeScript sources use. One tsx
 * namespace serves every such import, so a module imported again (an agent's next run) comes from Node's cache.
 * The module gets its own copy of any Pulse source it imports: it should take what it needs from its arguments.
 */
export async function importUserModule(url: string): Promise<Record<string, unknown>> {
  if (!TYPESCRIPT.test(new URL(url).pathname)) return (await import(url)) as Record<string, unknown>;
  typescriptImport ??= import('tsx/esm/api').then(
    ({ register }) => register({ namespace: 'pulse-user-modules' }).import,
  );
  return (await (
    await typescriptImport
  )(url, import.meta.url)) as Record<string, unknown>;
}
