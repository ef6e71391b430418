import { loadExport } from "../sys/modules.js";
import type { HookContext, HookFunction, HookName, HookRef } from "../config/types.js";
import { logger } from "../log/logger.js";
import { timeNow } from "../python/repr.js";

/** What a hook call adds to the watcher and arbiter: the pid, signal, stats or exit code. */
export type HookExtra = Omit<HookContext, "watcher" | "arbiter" | "hookName">;

/** Publishes a watcher event (`hook_success`, `hook_failure`). */
type Report = (topic: string, data: Record<string, unknown>) => void;

/** A hook that could not be loaded: a missing module or export. */
export class HookLoadError extends Error {
  override name = "HookLoadError";
  /** The hook that failed to load, when known. */
  hook?: HookName;
}

/** Resolves `module-path:export` (a default export when no `:export` is given). */
export async function loadHook(ref: string, baseDir: string): Promise<HookFunction> {
  let fn: unknown;
  try {
    fn = await loadExport(ref, baseDir);
  } catch (error) {
    throw new HookLoadError((error as Error).message);
  }
  if (typeof fn !== "function") throw new HookLoadError(`${ref} is not a function`);
  return fn as HookFunction;
}

/** The outcome of one hook call, reported as a hook_success or hook_failure event. */
export interface HookOutcome {
  /** What the caller acts on: false aborts where the hook may abort. */
  result: boolean;
  error: Error | null;
}

/** Hooks whose failure never stops what they surround, as in Circus (`ignore_hook_failure`). */
const FAILURE_IGNORED = new Set<HookName>([
  "before_stop",
  "after_stop",
  "before_signal",
  "after_signal",
  "extended_stats",
]);

/**
 * Runs a watcher's hooks with Circus's semantics: a hook that returns a falsy value yields
 * false; a hook that throws yields false, unless its ignore-errors flag is set or it is one
 * of FAILURE_IGNORED, in which case the error counts as success.
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
      return { result: hook.ignoreErrors || FAILURE_IGNORED.has(name), error: err };
    }
  }

  /**
   * Runs a hook as a watcher does: a failure is logged, and the outcome published as
   * `hook_success` or `hook_failure`. True when the caller may go on.
   */
  async runReported(
    name: HookName,
    ctx: Omit<HookContext, "hookName">,
    report: Report,
  ): Promise<boolean> {
    if (!this.has(name)) return true;
    const outcome = await this.run(name, ctx);
    const watcher = (ctx.watcher as { name: string }).name;
    if (outcome.error) {
      logger.error(`${watcher}: hook ${name} failed: ${outcome.error.message}`);
      report("hook_failure", { name, time: timeNow(), error: outcome.error.message });
    } else {
      report("hook_success", { name });
    }
    return outcome.result;
  }

  /**
   * The extended_stats hook, which adds figures to a process's stats mapping. As in Circus it
   * runs without events, and a failure only leaves the mapping as it was.
   */
  async extendStats(ctx: Omit<HookContext, "hookName">): Promise<void> {
    if (!this.has("extended_stats")) return;
    const outcome = await this.run("extended_stats", ctx);
    const watcher = (ctx.watcher as { name: string }).name;
    if (outcome.error)
      logger.error(`${watcher}: hook extended_stats failed: ${outcome.error.message}`);
  }
}
