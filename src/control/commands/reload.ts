import type { Watcher } from "../../core/watcher.js";
import type { ChangeCommand } from "../command.js";
import { ArgumentError, MessageError } from "../protocol.js";
import { pidChanges } from "./start-stop.js";
import {
  checkMatch,
  checkTypes,
  getWatcher,
  MATCH,
  matchWatchers,
  okOutput,
  WAITING,
} from "./util.js";

/**
 * `reload [NAME] [--terminate] [--waiting] [--sequential] [--match=simple|glob|regex]`.
 * `match` is ours (Circus's reload takes one exact name): without it the name is exact, as
 * Circus's; with it the name is a pattern, as start/stop/restart's, and the watchers it picks
 * reload in the arbiter's order, warmup_delay apart (the web console reloads all but itself).
 */
export const reload: ChangeCommand<Watcher[] | null> = {
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
        "properties": {"name": "<name>", "graceful": true, "sequential": false, "waiting": false,
                       "match": "[simple|glob|regex]"}
    }

The response returns the status "ok". If the property graceful is set to true the
processes will be exited gracefully. If the property name is present, then the reload
will be applied to the watcher. With "match" (ours: "simple", "glob" or "regex"), the name
is a pattern, as start's, and every watcher it matches is reloaded in turn.

Command line:
    $ circusctl reload [<name>] [--terminate] [--waiting] [--sequential] [--match=...]

Options:
    <name>: name of the watcher
    --terminate: quit the node immediately`,
  mutating: true,
  options: [
    WAITING,
    { name: "sequential", type: "boolean", help: "sequential reload" },
    { name: "terminate", type: "boolean", help: "stop immediately" },
    MATCH,
  ],
  watcherArgs: [0],
  validate: (props) => {
    checkTypes(props, {
      name: "string",
      graceful: "boolean",
      sequential: "boolean",
      waiting: "boolean",
      match: "string",
    });
    checkMatch(props);
  },
  check: (arbiter, props) => {
    if (props.name === undefined) return null;
    if (props.match === undefined) return [getWatcher(arbiter, props.name)];
    return matchWatchers(arbiter, props);
  },
  async execute(change, props, matched) {
    const graceful = props.graceful !== false;
    const sequential = props.sequential === true;
    if (matched === null) {
      await change.reload(graceful, sequential);
      return;
    }
    // Those a change queued before this one removed are gone.
    const watchers = matched.filter((w) => change.arbiter.watchers.includes(w));
    if (watchers.length === 0)
      throw new MessageError(`program ${String(matched[0]?.name)} not found`);
    if (watchers.length > 1) {
      await change.reload(graceful, sequential, watchers);
      return;
    }
    const watcher = watchers[0] as Watcher;
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
    if (typeof line.options.match === "string") props.match = line.options.match;
    return props;
  },
  consoleOutput: (reply) => okOutput(reply),
};
