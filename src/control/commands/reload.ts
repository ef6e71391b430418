import type { Watcher } from "../../core/watcher.js";
import type { ChangeCommand } from "../command.js";
import { ArgumentError } from "../protocol.js";
import { pidChanges } from "./start-stop.js";
import { checkTypes, getWatcher, okOutput, WAITING } from "./util.js";

/** `reload [NAME] [--terminate] [--waiting] [--sequential]`. */
export const reload: ChangeCommand<Watcher | null> = {
  name: "reload",
  summary: "Reload the arbiter or a watcher",
  help: `Reload the arbiter or a watcher

This command reloads all the processes in a watcher or all watchers, in one of 3 ways:
  * If graceful is false, a simple restart occurs.
  * If send_hup is true for the watcher, a HUP signal is sent to each process.
  * Otherwise:
      * If sequential is false, numprocesses new processes are spawned, then the old
        ones are stopped.
      * If sequential is true, each process is replaced in turn.

ZMQ Message:
    {
        "command": "reload",
        "properties": {"name": "<name>", "graceful": true, "sequential": false, "waiting": false}
    }

The response returns the status "ok". If the property graceful is set to true the
processes will be exited gracefully. If the property name is present, then the reload
will be applied to the watcher.

Command line:
    $ circusctl reload [<name>] [--terminate] [--waiting] [--sequential]

Options:
    <name>: name of the watcher
    --terminate: quit the node immediately`,
  mutating: true,
  options: [
    WAITING,
    { name: "sequential", type: "boolean", help: "sequential reload" },
    { name: "terminate", type: "boolean", help: "stop immediately" },
  ],
  watcherArgs: [0],
  validate: (props) =>
    checkTypes(props, {
      name: "string",
      graceful: "boolean",
      sequential: "boolean",
      waiting: "boolean",
    }),
  check: (arbiter, props) => (props.name === undefined ? null : getWatcher(arbiter, props.name)),
  async execute(change, props, watcher) {
    const graceful = props.graceful !== false;
    const sequential = props.sequential === true;
    if (watcher === null) {
      await change.reload(graceful, sequential);
      return;
    }
    const changes = change.watcher(watcher);
    return { info: await pidChanges(watcher, () => changes.reload(graceful, sequential), true) };
  },
  message(line) {
    if (line.args.length > 1) throw new ArgumentError("invalid number of arguments");
    const props: Record<string, unknown> = {
      graceful: line.options.terminate !== true,
      waiting: line.options.waiting === true,
      sequential: line.options.sequential === true,
    };
    if (line.args[0] !== undefined) props.name = line.args[0];
    return props;
  },
  consoleOutput: (reply) => okOutput(reply),
};
