/**
 * `depends_on` checked across the watchers of a config: every name is a watcher of it, and
 * no watcher depends on itself through others (a cycle would wait forever).
 */
import { ConfigError, sourceLocation } from "./errors.js";
import type { WatcherConfig } from "./types.js";

/** The first problem of the watchers' `depends_on`, or null. */
export function checkDependencies(watchers: readonly WatcherConfig[]): ConfigError | null {
  const byName = new Map(watchers.map((w) => [w.name.toLowerCase(), w]));
  const where = (w: WatcherConfig) =>
    sourceLocation(w.source, w.source?.section ?? `watcher:${w.name}`, "depends_on");
  for (const w of watchers) {
    for (const name of w.dependsOn) {
      if (!byName.has(name)) return new ConfigError(`no watcher named ${name}`, where(w));
      if (name === w.name.toLowerCase())
        return new ConfigError(`${w.name} cannot depend on itself`, where(w));
    }
  }
  // Depth-first, with the path kept, so that the error shows the whole cycle.
  const done = new Set<string>();
  const visit = (w: WatcherConfig, path: string[]): ConfigError | null => {
    const name = w.name.toLowerCase();
    if (path.includes(name))
      return new ConfigError(
        `a cycle: ${[...path.slice(path.indexOf(name)), name].join(" -> ")}`,
        where(w),
      );
    if (done.has(name)) return null;
    for (const dep of w.dependsOn) {
      const found = visit(byName.get(dep) as WatcherConfig, [...path, name]);
      if (found) return found;
    }
    done.add(name);
    return null;
  };
  for (const w of watchers) {
    const found = visit(w, []);
    if (found) return found;
  }
  return null;
}

/**
 * The watchers in an order where each comes after those it depends on; among the others the
 * given order (priority) is kept.
 */
export function dependencyOrder<T extends { config: WatcherConfig }>(watchers: readonly T[]): T[] {
  const byName = new Map(watchers.map((w) => [w.config.name.toLowerCase(), w]));
  const out: T[] = [];
  const placed = new Set<T>();
  const place = (w: T, seen: Set<T>): void => {
    if (placed.has(w) || seen.has(w)) return;
    seen.add(w);
    for (const dep of w.config.dependsOn) {
      const found = byName.get(dep);
      if (found) place(found, seen);
    }
    placed.add(w);
    out.push(w);
  };
  for (const w of watchers) place(w, new Set());
  return out;
}
