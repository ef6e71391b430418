/**
 * Loading users' code (hooks, stream classes, plugins): JS or TypeScript modules by path.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const TS_EXTENSIONS = [".ts", ".mts", ".cts", ".tsx"];

/** Imports a module by path relative to baseDir (or a package name), TypeScript included. */
export async function importModule(
  specifier: string,
  baseDir: string,
): Promise<Record<string, unknown>> {
  const file = path.resolve(baseDir, specifier);
  const local = specifier.startsWith(".") || path.isAbsolute(specifier) || existsSync(file);
  if (local && TS_EXTENSIONS.includes(path.extname(file))) {
    // tsx compiles TypeScript on the fly, so users can write hooks in TS without a build.
    const { tsImport } = await import("tsx/esm/api");
    return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(local ? pathToFileURL(file).href : specifier)) as Record<string, unknown>;
}

/** A `module-path:export` reference that could not be resolved. */
export class ModuleLoadError extends Error {
  override name = "ModuleLoadError";
}

/**
 * Resolves `module-path:export` (the default export when no `:export` is given) relative to
 * baseDir. Throws a ModuleLoadError when the module cannot load or has no such export.
 */
export async function loadExport(ref: string, baseDir: string): Promise<unknown> {
  const colon = ref.lastIndexOf(":");
  const [specifier, exportName] =
    colon > 0 ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, "default"];
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(specifier, baseDir);
  } catch (error) {
    throw new ModuleLoadError(`cannot load ${specifier}: ${(error as Error).message}`);
  }
  if (!(exportName in mod) || mod[exportName] === undefined)
    throw new ModuleLoadError(`${specifier} has no export ${JSON.stringify(exportName)}`);
  return mod[exportName];
}
