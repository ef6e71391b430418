/**
 * What the plugin tests (test/plugins-*.test.ts) share: `[plugin:NAME]` sections, the hog.mjs watcher command, and waiting for a watcher's one process.
 */
import path from "node:path";
import { iniSection, ROOT, waitFor, type WaitOptions } from "./circusd.js";
import type { RawClient } from "./control.js";

/** test/fixtures/plugins/resource/hog.mjs: a process that idles, spins a CPU or holds memory. */
export const HOG = path.join(ROOT, "test/fixtures/plugins/resource/hog.mjs");

/** A `[plugin:NAME]` section with `options` as `key = value` lines. */
export function pluginSection(name: string, options: Record<string, string | number>): string {
  return iniSection(`plugin:${name}`, [], options) + "\n";
}

/** A watcher's pids, from `list` (none when it has no such watcher). */
export async function watcherPids(c: RawClient, name: string): Promise<number[]> {
  const reply = await c.call("list", { name });
  return (reply.pids as number[] | undefined) ?? [];
}

/** Waits until the watcher runs one process other than `not`, and returns its pid. */
export async function onePid(
  c: RawClient,
  name: string,
  not = 0,
  options: WaitOptions = {},
): Promise<number> {
  return waitFor(
    async () => {
      const list = await watcherPids(c, name);
      return list.length === 1 && list[0] !== not ? list[0] : null;
    },
    { message: `${name} to run one process other than ${not}`, ...options },
  );
}
