import type { SocketConfig } from "../config/types.js";

/** What a config reload does to the sockets, by name (lower case). */
export interface SocketPlan {
  /** New sections: bound before the watchers that use them start. */
  added: SocketConfig[];
  /** Sections gone: closed once no watcher runs with them. */
  removed: string[];
  /** Sections whose options differ: not applied at run time (the workers hold the old one). */
  changed: string[];
}

/** A socket's options without where they were read from (nor its name's case), to compare. */
function key(config: SocketConfig): string {
  return JSON.stringify({ ...config, name: config.name.toLowerCase(), source: null });
}

/** Compares the sockets of the running config with those of the new one. */
export function planSockets(current: SocketConfig[], next: SocketConfig[]): SocketPlan {
  const now = new Map(current.map((s) => [s.name.toLowerCase(), s]));
  const wanted = new Map(next.map((s) => [s.name.toLowerCase(), s]));
  const plan: SocketPlan = { added: [], removed: [], changed: [] };
  for (const [name, config] of wanted) {
    const old = now.get(name);
    if (!old) plan.added.push(config);
    else if (key(old) !== key(config)) plan.changed.push(config.name);
  }
  for (const name of now.keys()) if (!wanted.has(name)) plan.removed.push(name);
  return plan;
}
