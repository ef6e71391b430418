/** What the control and circusctl tests share: the command names, reply keys, waiting for pids. */
import { waitFor } from "./circusd.js";
import type { RawClient } from "./control.js";

/** Circus's own commands (kill and logs are this project's): circusctl's help lists each. */
export const HELP_COMMANDS = [
  "add",
  "decr",
  "dstats",
  "get",
  "globaloptions",
  "incr",
  "list",
  "listen",
  "listsockets",
  "numprocesses",
  "numwatchers",
  "options",
  "quit",
  "reload",
  "reloadconfig",
  "restart",
  "rm",
  "set",
  "signal",
  "start",
  "stats",
  "status",
  "stop",
];

/** A reply's keys, sorted. */
export const keys = (reply: Record<string, unknown>) => Object.keys(reply).sort();

/** Waits until watcher `name` has `n` processes; their pids. */
export async function waitForPids(c: RawClient, name: string, n: number): Promise<number[]> {
  return waitFor(
    async () => {
      const reply = await c.call("list", { name });
      const pids = reply.pids as number[];
      return pids.length === n ? pids : null;
    },
    { message: `${name} to have ${n} processes` },
  );
}
