import type { Watcher } from "../../core/watcher.js";
import type { ChangeCommand } from "../command.js";
import { MessageError } from "../protocol.js";
import { checkArgs, checkTypes, getWatcher, okOutput, requireProps, WAITING } from "./util.js";

/** `rm NAME [--waiting] [--nostop]`: removes a watcher, stopping its processes unless nostop. */
export const rm: ChangeCommand<Watcher> = {
  name: "rm",
  summary: "Remove a watcher",
  help: `Remove a watcher

This command removes a watcher dynamically from the arbiter. The watchers are gracefully
stopped by default.

ZMQ Message:
    {"command": "rm", "properties": {"name": "<nameofwatcher>", "nostop": false, "waiting": false}}

The response returns a status "ok".

If "nostop" is true (default: false), the processes of the watcher are not stopped: the
watcher is just forgotten by circus and its processes are responsible for stopping
themselves. Otherwise the watcher processes are stopped gracefully.

If "waiting" is false (default), the call returns immediately after starting to remove
and stop the watcher; if true, only when the remove and stop is completely ended.

Command line:
    $ circusctl rm <name> [--waiting] [--nostop]

Options:
    <name>: name of the watcher to remove
    nostop: do not stop the watcher processes, just remove the watcher`,
  mutating: true,
  options: [WAITING, { name: "nostop", type: "boolean", help: "Do not stop watcher processes" }],
  watcherArgs: [0],
  validate(props) {
    requireProps(props, ["name"]);
    checkTypes(props, { name: "string", nostop: "boolean", waiting: "boolean" });
  },
  check: (arbiter, props) => getWatcher(arbiter, props.name),
  async execute(change, props, watcher) {
    if (!change.arbiter.watchers.includes(watcher))
      throw new MessageError(`program ${watcher.name} not found`);
    await change.removeWatcher(watcher.name, props.nostop === true);
  },
  message(line) {
    checkArgs(line, 1, 1);
    const props: Record<string, unknown> = { name: line.args[0] };
    if (line.options.nostop === true) props.nostop = true;
    if (line.options.waiting === true) props.waiting = true;
    return props;
  },
  consoleOutput: (reply) => okOutput(reply),
};
