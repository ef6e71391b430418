import type { Command } from "../command.js";
import { checkTypes, consoleError, getWatcher, nameArg } from "./util.js";

/** ` (9990 of 10000 running: REASON; retrying)`, or nothing without a shortfall. */
function describeShortfall(value: unknown): string {
  if (!value || typeof value !== "object") return "";
  const { running, numprocesses, reason } = value as Record<string, unknown>;
  return ` (${running} of ${numprocesses} running: ${reason}; retrying)`;
}

/** `status [NAME]`: a watcher's state, or every watcher's. */
export const status: Command = {
  name: "status",
  summary: "Get the status of a watcher or all watchers",
  help: `Get the status of a watcher or all watchers

ZMQ Message:
    {"command": "status", "properties": {"name": "<name>"}}

The response returns the status "active", "stopped", "starting" or "stopping" of the
watcher, or, without a name, a mapping "statuses" of every watcher's status.

Beyond Circus: while a resource limit (open files, processes, memory) holds a watcher's
spawns back, it stays active with the processes it has and retries; the response then adds
"shortfall" (with a name) or "shortfalls" (name -> shortfall) with "running",
"numprocesses", "errno" and "reason", and circusctl prints them after the status.

Command line:
    $ circusctl status [<name>]

Example:
    $ circusctl status dummy
    active
    $ circusctl status
    dummy: active
    dummy2: active
    refuge: active`,
  mutating: false,
  watcherArgs: [0],
  validate: (props) => checkTypes(props, { name: "string" }),
  execute(arbiter, props) {
    if (props.name !== undefined) {
      const watcher = getWatcher(arbiter, props.name);
      const shortfall = watcher.shortfall();
      return { status: watcher.status(), ...(shortfall && { shortfall }) };
    }
    const statuses = Object.fromEntries(arbiter.watchers.map((w) => [w.name, w.status()]));
    const short = arbiter.watchers.flatMap((w) => {
      const shortfall = w.shortfall();
      return shortfall ? [[w.name, shortfall] as const] : [];
    });
    return { statuses, ...(short.length > 0 && { shortfalls: Object.fromEntries(short) }) };
  },
  message: nameArg,
  consoleOutput(reply) {
    if (reply.statuses && typeof reply.statuses === "object") {
      const statuses = reply.statuses as Record<string, string>;
      const shortfalls = (reply.shortfalls ?? {}) as Record<string, unknown>;
      return Object.keys(statuses)
        .sort()
        .map((name) => `${name}: ${statuses[name]}${describeShortfall(shortfalls[name])}`)
        .join("\n");
    }
    if (reply.status !== "error") return String(reply.status) + describeShortfall(reply.shortfall);
    return consoleError(reply);
  },
};
