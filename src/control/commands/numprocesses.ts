import type { Command } from "../command.js";
import { checkTypes, consoleError, getWatcher, nameArg } from "./util.js";

/** `numprocesses [NAME]`: processes of a watcher, or of every watcher. */
export const numprocesses: Command = {
  name: "numprocesses",
  summary: "Get the number of processes",
  help: `Get the number of processes in a watcher or in the arbiter

ZMQ Message:
    {"command": "numprocesses", "properties": {"name": "<watchername>"}}

The response returns the number of processes in the 'numprocesses' property:
    {"status": "ok", "numprocesses": <n>, "time", "timestamp"}
If the property name isn't specified, the sum of all processes managed is returned.

Command line:
    $ circusctl numprocesses [<name>]

Options:
    <name>: name of the watcher`,
  mutating: false,
  watcherArgs: [0],
  validate: (props) => checkTypes(props, { name: "string" }),
  execute(arbiter, props) {
    if (props.name !== undefined) {
      const watcher = getWatcher(arbiter, props.name);
      return { numprocesses: watcher.processes.size, watcher_name: props.name };
    }
    return { numprocesses: arbiter.numprocesses() };
  },
  message: nameArg,
  consoleOutput: (reply) =>
    reply.status === "ok" ? String(reply.numprocesses) : consoleError(reply),
};
