import type { Command } from "../command.js";
import { checkTypes, consoleError, getWatcher, nameArg } from "./util.js";

/** `list [NAME]`: watcher names, or a watcher's pids. */
export const list: Command = {
  name: "list",
  summary: "Get list of watchers or processes in a watcher",
  help: `Get list of watchers or processes in a watcher

ZMQ Message:
    To get the list of all the watchers:
        {"command": "list"}
    To get the list of active processes in a watcher:
        {"command": "list", "properties": {"name": "nameofwatcher"}}

The response returns the list asked: the mapping returned holds either 'watchers' or
'pids' depending on the request.

Command line:
    $ circusctl list [<name>]`,
  mutating: false,
  watcherArgs: [0],
  validate: (props) => checkTypes(props, { name: "string" }),
  execute(arbiter, props) {
    if (props.name !== undefined) return { pids: getWatcher(arbiter, props.name).pids() };
    return { watchers: arbiter.watchers.map((w) => w.name.toLowerCase()).sort() };
  },
  message: nameArg,
  consoleOutput(reply) {
    if (Array.isArray(reply.pids)) return reply.pids.join(",");
    if (Array.isArray(reply.watchers)) return reply.watchers.join(",");
    return consoleError({
      reason: "Response doesn't contain 'pids' nor 'watchers'.",
      ...reply,
    });
  },
};
