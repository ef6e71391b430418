import type { Command } from "../command.js";
import { checkTypes, consoleError, getWatcher, nameArg } from "./util.js";

/** `status [NAME]`: a watcher's state, or every watcher's. */
export const status: Command = {
  name: "status",
  summary: "Get the status of a watcher or all watchers",
  help: `Get the status of a watcher or all watchers

ZMQ Message:
    {"command": "status", "properties": {"name": "<name>"}}

The response returns the status "active", "stopped", "starting" or "stopping" of the
watcher, or, without a name, a mapping "statuses" of every watcher's status.

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
    if (props.name !== undefined) return { status: getWatcher(arbiter, props.name).status() };
    return { statuses: Object.fromEntries(arbiter.watchers.map((w) => [w.name, w.status()])) };
  },
  message: nameArg,
  consoleOutput(reply) {
    if (reply.statuses && typeof reply.statuses === "object") {
      const statuses = reply.statuses as Record<string, string>;
      return Object.keys(statuses)
        .sort()
        .map((name) => `${name}: ${statuses[name]}`)
        .join("\n");
    }
    if (reply.status !== "error") return String(reply.status);
    return consoleError(reply);
  },
};
