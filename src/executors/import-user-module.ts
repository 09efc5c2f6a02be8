/**
 * Imports a module the deployment names (`PULSE_EXECUTORS_MODULE`, a local JavaScript agent). A TypeScript file
 * loads through tsx when the process has no loader for it: Pulse runs from a bundle (scripts/run-bundled.mjs), so
 * Node alone would refuse the `.ts` extension.
 */
export async function importUserModule(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
}
