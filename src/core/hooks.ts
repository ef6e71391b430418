import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { HookContext, HookFunction, HookName, HookRef } from "../config/types.js";

/** A hook that could not be loaded: a missing module or export. */
export class HookLoadError extends Error {
  override name = "HookLoadError";
  /** The hook that failed to load, when known. */
  hook?: HookName;
}

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

/** Resolves `module-path:export` (a default export when no `:export` is given). */
export async function loadHook(ref: string, baseDir: string): Promise<HookFunction> {
  const colon = ref.lastIndexOf(":");
  const [specifier, exportName] =
    colon > 0 ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, "default"];
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(specifier, baseDir);
  } catch (error) {
    throw new HookLoadError(`cannot load ${specifier}: ${(error as Error).message}`);
  }
  const fn = mod[exportName];
  if (typeof fn !== "function") {
    throw new HookLoadError(`${specifier} has no function export ${JSON.stringify(exportName)}`);
  }
  return fn as HookFunction;
}

/** The outcome of one hook call, reported as a hook_success or hook_failure event. */
export interface HookOutcome {
  /** What the caller acts on: false aborts where the hook may abort. */
  result: boolean;
  error: Error | null;
}

/**
 * Runs a watcher's hooks with Circus's semantics: a hook that returns a falsy value yields
 * false; a hook that throws yields false, unless its ignore-errors flag is set, in which case
 * the error counts as success.
 */
export class HookRunner {
  private readonly loaded = new Map<HookName, HookFunction>();

  constructor(
    private readonly hooks: Partial<Record<HookName, HookRef>>,
    private readonly baseDir: string,
  ) {}

  has(name: HookName): boolean {
    return this.hooks[name] !== undefined;
  }

  /** Loads every hook now, so a bad reference fails at startup and not at first use. */
  async load(): Promise<void> {
    for (const [name, hook] of Object.entries(this.hooks) as [HookName, HookRef][]) {
      try {
        this.loaded.set(
          name,
          typeof hook.ref === "function" ? hook.ref : await loadHook(hook.ref, this.baseDir),
        );
      } catch (error) {
        if (error instanceof HookLoadError) error.hook = name;
        throw error;
      }
    }
  }

  async run(name: HookName, ctx: Omit<HookContext, "hookName">): Promise<HookOutcome> {
    const hook = this.hooks[name];
    if (!hook) return { result: true, error: null };
    try {
      let fn = this.loaded.get(name);
      if (!fn) {
        fn = typeof hook.ref === "function" ? hook.ref : await loadHook(hook.ref, this.baseDir);
        this.loaded.set(name, fn);
      }
      const value = await fn({ ...ctx, hookName: name });
      return { result: Boolean(value), error: null };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      return { result: hook.ignoreErrors, error: err };
    }
  }
}
